package transformer_test

import (
	"errors"
	"fmt"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

func ExampleToMap() {
	answer := []byte(`<xml>
  <return_code><![CDATA[SUCCESS]]></return_code>
  <return_msg><![CDATA[OK]]></return_msg>
  <prepay_id><![CDATA[wx201411101639507cbf6ffd8b0779950874]]></prepay_id>
  <total_fee>1</total_fee>
</xml>`)
	m, err := transformer.ToMap(answer)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m["return_code"], m["prepay_id"], m["total_fee"])
	// Output: SUCCESS wx201411101639507cbf6ffd8b0779950874 1
}

func ExampleToMap_invalid() {
	_, err := transformer.ToMap([]byte("<html><body><hr></body></html>"))
	fmt.Println(errors.Is(err, transformer.ErrInvalidXML))
	fmt.Println(err)
	// Output:
	// true
	// transformer: invalid XML at line 1: element <hr> closed by </body>
}

func ExampleToMap_entities() {
	// Declared entities are never expanded, nor fetched.
	m, err := transformer.ToMap([]byte(`<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo><value>&xxe;</value></foo>`))
	fmt.Printf("%q %v\n", m["value"], err)
	// Output: "" <nil>
}

func ExampleToXML() {
	xml, err := transformer.ToXML(map[string]any{
		"mch_id":    "10000100",
		"appid":     "wx2421b1c4370ec43b",
		"body":      "JSAPI支付测试",
		"detail":    `{"goods_detail":[{"goods_id":"iphone6s_16G"}]}`,
		"total_fee": 1,
	})
	fmt.Println(string(xml), err)
	// Output: <xml><appid>wx2421b1c4370ec43b</appid><body>JSAPI支付测试</body><detail><![CDATA[{"goods_detail":[{"goods_id":"iphone6s_16G"}]}]]></detail><mch_id>10000100</mch_id><total_fee>1</total_fee></xml> <nil>
}

func ExampleToXML_ordered() {
	// Pairs are written in the given order.
	xml, _ := transformer.ToXML([]formatter.Pair{
		{Key: "mch_id", Value: "10000100"},
		{Key: "appid", Value: "wx2421b1c4370ec43b"},
	})
	fmt.Println(string(xml))
	// Output: <xml><mch_id>10000100</mch_id><appid>wx2421b1c4370ec43b</appid></xml>
}

func ExampleToXML_indented() {
	xml, _ := transformer.ToXML(map[string]any{
		"appid":  "wx2421b1c4370ec43b",
		"detail": []any{map[string]string{"goods_detail": "华为手机"}},
	}, transformer.WithDeclaration(), transformer.WithIndent(" "), transformer.WithRoot("qqpay"))
	fmt.Print(string(xml))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <qqpay>
	//  <appid>wx2421b1c4370ec43b</appid>
	//  <detail>
	//   <item>
	//    <goods_detail>华为手机</goods_detail>
	//   </item>
	//  </detail>
	// </qqpay>
}

func ExampleToXML_cdata() {
	// "]]>" cannot sit inside one CDATA section: it is split across two,
	// and the value reads back unchanged.
	xml, _ := transformer.ToXML(map[string]string{"attach": "a]]>b<c"})
	m, _ := transformer.ToMap(xml)
	fmt.Println(string(xml))
	fmt.Println(m["attach"])
	// Output:
	// <xml><attach><![CDATA[a]]]]><![CDATA[>b<c]]></attach></xml>
	// a]]>b<c
}
