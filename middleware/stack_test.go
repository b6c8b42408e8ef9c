package middleware

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
)

func tag(name string, trace *[]string, mu *sync.Mutex) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) {
			mu.Lock()
			*trace = append(*trace, name)
			mu.Unlock()
			return next.Handle(ctx, r)
		})
	}
}

func TestStackComposeAndEdit(t *testing.T) {
	var trace []string
	var mu sync.Mutex
	s, err := NewStack(Step{"a", tag("a", &trace, &mu)}, Step{"c", tag("c", &trace, &mu)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewStack(Step{"a", tag("a", &trace, &mu)}, Step{"a", tag("a", &trace, &mu)}); !errors.Is(err, ErrStepExists) {
		t.Fatal(err)
	}
	terminal := HandlerFunc(func(ctx context.Context, r *Request) (*Response, error) { return &Response{StatusCode: 204}, nil })
	h := s.Handler(terminal)
	call := func() string {
		trace = nil
		if _, err := h.Handle(context.Background(), &Request{}); err != nil {
			t.Fatal(err)
		}
		return strings.Join(trace, "")
	}
	if got := call(); got != "ac" {
		t.Fatal(got)
	}
	s.After("a", "b", tag("b", &trace, &mu))
	if got := call(); got != "abc" || !s.Has("b") {
		t.Fatal(got)
	}
	clone := s.Clone()
	s.Replace("b", tag("B", &trace, &mu))
	if got := call(); got != "aBc" {
		t.Fatal(got)
	}
	if got := strings.Join(clone.Names(), ""); got != "abc" {
		t.Fatal("the clone followed the original:", got)
	}
	trace = nil
	clone.Compose(terminal).Handle(context.Background(), &Request{})
	if got := strings.Join(trace, ""); got != "abc" {
		t.Fatal(got)
	}
	var zero Stack
	if _, err := zero.Handler(nil).Handle(context.Background(), &Request{}); err == nil {
		t.Fatal("a stack without a terminal handled a request")
	}
}

// Editing a stack while calls go through it is safe (run with -race).
func TestStackConcurrentEdits(t *testing.T) {
	var trace []string
	var mu sync.Mutex
	s := &Stack{}
	h := s.Handler(HandlerFunc(func(context.Context, *Request) (*Response, error) { return &Response{}, nil }))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				h.Handle(context.Background(), &Request{})
			}
		}()
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				name := fmt.Sprintf("s%d", i)
				s.Push(name, tag(name, &trace, &mu))
				s.Remove(name)
			}
		}(i)
	}
	wg.Wait()
	if n := len(s.Names()); n != 0 {
		t.Fatal(n)
	}
}

func TestEncodeQuery(t *testing.T) {
	got := EncodeQuery([]formatter.Pair{{Key: "b", Value: "a b+c"}, {Key: "a", Value: "~-._/?&=中"}, {Key: "e", Value: ""}})
	if want := "b=a%20b%2Bc&a=~-._%2F%3F%26%3D%E4%B8%AD&e="; got != want {
		t.Fatalf("%s\n%s", got, want)
	}
}

// The guard in front of a sink decides on the first byte that is not
// whitespace, however the answer is split: only a download's file reaches
// the sink.
func TestV2Sink(t *testing.T) {
	bill := "\ufeff交易时间,公众账号ID\n`2014-06-03 10:00:00,`wx2421b1c4370ec43b\n"
	for _, tc := range []struct {
		body     string
		download bool
		want     v2Body
	}{
		{"<xml><return_code>FAIL</return_code></xml>", true, v2XML},
		{"  \n<xml></xml>", true, v2XML},
		{strings.Repeat(" ", 40) + "<xml><return_code>FAIL</return_code></xml>", true, v2XML},
		{"\ufeff \r\n\ufeff<xml/>", false, v2XML},
		{bill, true, v2File},
		{"交易时间,公众账号ID\r\n总交易单数,应结订单总金额\r\n`0,`0.00\r\n", true, v2File},
		{"\x1f\x8b\x08\x00gzip", true, v2File},
		{bill, false, v2Other},
		{"\x1f\x8b\x08\x00gzip", false, v2Other},
		{"", true, v2Empty},
		{" \n\t", false, v2Empty},
		{`{"return_code":"SUCCESS","result_code":"SUCCESS"}`, true, v2Other},
		{`{"return_code":"SUCCESS","result_code":"SUCCESS"}`, false, v2Other},
		{"junk<xml></xml>", false, v2Other},
		{"junk,\n<xml><return_code>FAIL</return_code></xml>", true, v2Other},
		{" 交易时间,公众账号ID\n`2014\n", true, v2Other},
		{"a,b", true, v2Other},
		{"\x1f", true, v2Other},
		{"<html><body>502</body></html>", false, v2XML},
	} {
		for _, chunk := range []int{1, 2, 3, 7, 1 << 20} {
			var sink bytes.Buffer
			g := &v2Sink{w: &sink, download: tc.download}
			for b := []byte(tc.body); len(b) > 0; {
				n := min(chunk, len(b))
				if w, err := g.Write(b[:n]); w != n || err != nil {
					t.Fatal(w, err)
				}
				b = b[n:]
			}
			if err := g.finish(); err != nil {
				t.Fatal(err)
			}
			if g.kind != tc.want {
				t.Errorf("%q in chunks of %d: kind %d, want %d", tc.body, chunk, g.kind, tc.want)
			}
			if tc.want == v2File && (sink.String() != tc.body || g.buf.Len() != 0) ||
				tc.want != v2File && (sink.Len() != 0 || g.buf.String() != tc.body) {
				t.Errorf("%q in chunks of %d: sink %q buf %q", tc.body, chunk, sink.String(), g.buf.String())
			}
			if classifyV2Body([]byte(tc.body), tc.download, true) != tc.want {
				t.Errorf("%q: classifyV2Body differs", tc.body)
			}
		}
	}
	for _, body := range []string{"<xml>", strings.Repeat(" ", 100)} {
		g := &v2Sink{w: &bytes.Buffer{}}
		g.Write([]byte(body))
		if _, err := g.Write(bytes.Repeat([]byte(" "), maxV2Buffered)); !errors.Is(err, ErrUnexpectedFormat) {
			t.Fatalf("%q then 1 MiB: %v", body, err)
		}
	}
}

func TestUnsignedDownloadPaths(t *testing.T) {
	for p, want := range map[string]bool{
		"/v3/billdownload/file":                     true,
		"/v3/merchant-service/images/ChsyMDAwMDAx":  true,
		"/v3/merchant-service/images/upload":        false,
		"/v3/merchant-service/images/":              false,
		"/v3/global/merchant-service/images/abc123": true,
		"/v3/transferdownload/signfile":             true,
		"/v3/bill/tradebill":                        false,
		"/v3/statements":                            false,
	} {
		if unsignedDownload(p) != want {
			t.Errorf("%s: %v", p, !want)
		}
	}
}

func TestTeeSinkBound(t *testing.T) {
	var sink bytes.Buffer
	ts := &teeSink{w: &sink}
	if n, err := ts.Write([]byte("{}")); n != 2 || err != nil || ts.copy.String() != "{}" {
		t.Fatal(n, err)
	}
	if _, err := ts.Write(make([]byte, maxSignedSink)); !errors.Is(err, errSignedSinkTooLarge) || sink.Len() != 2 {
		t.Fatalf("%v, sink %d bytes", err, sink.Len())
	}
}
