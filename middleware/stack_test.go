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

func TestXMLGuard(t *testing.T) {
	for _, tc := range []struct {
		chunks []string
		xml    bool
	}{
		{[]string{"<xml><return_code>FAIL</return_code></xml>"}, true},
		{[]string{"<x", "ml><return_", "code>FAIL</return_code></xml>"}, true},
		{[]string{"  \n<xml></xml>"}, true},
		{[]string{"\ufeff交易时间,公众账号ID\n`2014"}, false},
		{[]string{"a,b"}, false},
		{[]string{"\x1f\x8b\x08\x00gzip"}, false},
		{nil, false},
	} {
		var sink bytes.Buffer
		g := &xmlGuard{w: &sink}
		for _, c := range tc.chunks {
			if n, err := g.Write([]byte(c)); n != len(c) || err != nil {
				t.Fatal(n, err)
			}
		}
		if err := g.finish(); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(tc.chunks, "")
		if g.xml != tc.xml {
			t.Errorf("%q: xml %v", all, g.xml)
		}
		if tc.xml && (g.buf.String() != all || sink.Len() != 0) || !tc.xml && sink.String() != all {
			t.Errorf("%q: sink %q buf %q", all, sink.String(), g.buf.String())
		}
	}
	g := &xmlGuard{w: &bytes.Buffer{}}
	g.Write([]byte("<xml>"))
	g.finish()
	if _, err := g.Write(bytes.Repeat([]byte("x"), xmlGuardLimit)); err == nil {
		t.Fatal("an endless XML answer was buffered")
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
