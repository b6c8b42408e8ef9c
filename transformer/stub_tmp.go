// Temporary stand-in for the transformer package while it is written; removed at merge.
package transformer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/formatter"
)

var ErrInvalidXML = errors.New("transformer: invalid XML")

type Option func()

func ToMap(data []byte) (map[string]any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	out := map[string]any{}
	depth := 0
	var key string
	var text strings.Builder
	for {
		t, err := d.Token()
		if err != nil {
			if depth == 0 && len(out) > 0 {
				return out, nil
			}
			if depth == 0 && err.Error() == "EOF" {
				return nil, ErrInvalidXML
			}
			return nil, ErrInvalidXML
		}
		switch x := t.(type) {
		case xml.StartElement:
			depth++
			if depth == 2 {
				key = x.Name.Local
				text.Reset()
			}
		case xml.CharData:
			if depth == 2 {
				text.Write(x)
			}
		case xml.EndElement:
			if depth == 2 {
				out[key] = text.String()
			}
			depth--
			if depth == 0 {
				return out, nil
			}
		}
	}
}

func ToXML(v any, _ ...Option) ([]byte, error) {
	var pairs []formatter.Pair
	switch x := v.(type) {
	case []formatter.Pair:
		pairs = x
	case map[string]string:
		pairs = formatter.Ksort(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s, _ := formatter.Stringify(x[k])
			pairs = append(pairs, formatter.Pair{Key: k, Value: s})
		}
	}
	var b bytes.Buffer
	b.WriteString("<xml>")
	for _, p := range pairs {
		b.WriteString("<" + p.Key + ">")
		if strings.ContainsAny(p.Value, "<>&\"") {
			b.WriteString("<![CDATA[" + p.Value + "]]>")
		} else {
			b.WriteString(p.Value)
		}
		b.WriteString("</" + p.Key + ">")
	}
	b.WriteString("</xml>")
	return b.Bytes(), nil
}
