package formatter

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestAuthorization(t *testing.T) {
	tests := []struct {
		name                                       string
		mchid, nonce, signature, timestamp, serial string
		want                                       string
	}{
		// Node: authorization(1,2,3,4,5), cross-checked with wechatpay-axios-plugin 0.9.6.
		{"node 1,2,3,4,5", "1", "2", "3", "4", "5",
			`WECHATPAY2-SHA256-RSA2048 mchid="1",serial_no="5",timestamp="4",nonce_str="2",signature="3"`},
		// Node: authorization() still starts with the scheme and ends with a quote.
		{"node empty", "", "", "", "", "",
			`WECHATPAY2-SHA256-RSA2048 mchid="",serial_no="",timestamp="",nonce_str="",signature=""`},
		{"realistic", "1900000001", "593BEC0C930BF1AFEB40B4A08C8FB242", "Cg==", "1554208460", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
			`WECHATPAY2-SHA256-RSA2048 mchid="1900000001",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",timestamp="1554208460",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="Cg=="`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Authorization(tt.mchid, tt.nonce, tt.signature, tt.timestamp, tt.serial); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAuthorizationPattern(t *testing.T) {
	// PHP FormatterTest::testAuthorization, with the field order of the
	// WeChat Pay documentation.
	pattern := regexp.MustCompile(`^WECHATPAY2-SHA256-RSA2048 ` +
		`mchid="[0-9A-Za-z]{1,32}",` +
		`serial_no="[0-9A-Za-z]{8,40}",` +
		`timestamp="1[0-9]{9}",` +
		`nonce_str="[0-9A-Za-z]{16,}",` +
		`signature="[0-9A-Za-z+/]+={0,2}"$`)
	got := Authorization("1001", Nonce(), "Cg==", strconv.FormatInt(Timestamp(), 10), "mockmockmock")
	if !pattern.MatchString(got) {
		t.Fatalf("%q does not match %s", got, pattern)
	}
}

func TestRequestVectors(t *testing.T) {
	// Node: request(1,2,3,4,5) and request(6,7,8,9) (the body defaults to "").
	tests := []struct {
		method, uri, timestamp, nonce, body, want string
	}{
		{"1", "2", "3", "4", "5", "1\n2\n3\n4\n5\n"},
		{"6", "7", "8", "9", "", "6\n7\n8\n9\n\n"},
		{"", "", "", "", "", "\n\n\n\n\n"},
		{"GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "",
			"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"},
	}
	for _, tt := range tests {
		if got := Request(tt.method, tt.uri, tt.timestamp, tt.nonce, tt.body); got != tt.want {
			t.Errorf("Request(%q, %q, %q, %q, %q) = %q, want %q", tt.method, tt.uri, tt.timestamp, tt.nonce, tt.body, got, tt.want)
		}
		if got := string(AppendRequest(nil, tt.method, tt.uri, tt.timestamp, tt.nonce, []byte(tt.body))); got != tt.want {
			t.Errorf("AppendRequest(nil, %q, …) = %q, want %q", tt.method, got, tt.want)
		}
	}
}

func TestRequestPhrases(t *testing.T) {
	// PHP FormatterTest::requestPhrasesProvider.
	phrases := []struct{ name, method, uri, body string }{
		{"DELETE root(/)", "DELETE", "/", ""},
		{"DELETE root(/) with query", "DELETE", "/?hello=wechatpay", ""},
		{"GET root(/)", "GET", "/", ""},
		{"GET root(/) with query", "GET", "/?hello=wechatpay", ""},
		{"POST root(/) with body", "POST", "/", "{}"},
		{"POST root(/) with body and query", "POST", "/?hello=wechatpay", "{}"},
		{"PUT root(/) with body", "PUT", "/", "{}"},
		{"PUT root(/) with body and query", "PUT", "/?hello=wechatpay", "{}"},
		{"PATCH root(/) with body", "PATCH", "/", "{}"},
		{"PATCH root(/) with body and query", "PATCH", "/?hello=wechatpay", "{}"},
	}
	for _, p := range phrases {
		t.Run(p.name, func(t *testing.T) {
			got := Request(p.method, p.uri, strconv.FormatInt(Timestamp(), 10), Nonce(), p.body)
			pattern := regexp.MustCompile(`^` + p.method + "\n" + regexp.QuoteMeta(p.uri) + "\n" +
				`1[0-9]{9}` + "\n" + `[0-9A-Za-z]{32}` + "\n" + regexp.QuoteMeta(p.body) + "\n$")
			if !pattern.MatchString(got) {
				t.Fatalf("%q does not match %s", got, pattern)
			}
			if c := strings.Count(got, "\n"); c != 5 {
				t.Fatalf("%q has %d line feeds, want 5", got, c)
			}
		})
	}
}

func TestResponseVectors(t *testing.T) {
	// Node: response(3,2,1) and response(9,8).
	tests := []struct{ timestamp, nonce, body, want string }{
		{"3", "2", "1", "3\n2\n1\n"},
		{"9", "8", "", "9\n8\n\n"},
		{"", "", "", "\n\n\n"},
	}
	for _, tt := range tests {
		if got := Response(tt.timestamp, tt.nonce, tt.body); got != tt.want {
			t.Errorf("Response(%q, %q, %q) = %q, want %q", tt.timestamp, tt.nonce, tt.body, got, tt.want)
		}
		if got := string(AppendResponse(nil, tt.timestamp, tt.nonce, []byte(tt.body))); got != tt.want {
			t.Errorf("AppendResponse(nil, %q, %q, %q) = %q, want %q", tt.timestamp, tt.nonce, tt.body, got, tt.want)
		}
	}
}

func TestResponsePhrases(t *testing.T) {
	// PHP FormatterTest::responsePhrasesProvider.
	phrases := []struct{ name, body string }{
		{"HTTP 200 STATUS with body", "{}"},
		{"HTTP 200 STATUS with no body", ""},
		{"HTTP 202 STATUS with no body", ""},
		{"HTTP 204 STATUS with no body", ""},
		{"HTTP 301 STATUS with no body", ""},
		{"HTTP 301 STATUS with body", "<html></html>"},
		{"HTTP 302 STATUS with no body", ""},
		{"HTTP 302 STATUS with body", "<html></html>"},
		{"HTTP 307 STATUS with no body", ""},
		{"HTTP 307 STATUS with body", "<html></html>"},
		{"HTTP 400 STATUS with body", "{}"},
		{"HTTP 401 STATUS with body", "{}"},
		{"HTTP 403 STATUS with body", "<html></html>"},
		{"HTTP 404 STATUS with body", "<html></html>"},
		{"HTTP 500 STATUS with body", "{}"},
		{"HTTP 502 STATUS with body", "<html></html>"},
		{"HTTP 503 STATUS with body", "<html></html>"},
	}
	for _, p := range phrases {
		t.Run(p.name, func(t *testing.T) {
			got := Response(strconv.FormatInt(Timestamp(), 10), Nonce(), p.body)
			pattern := regexp.MustCompile(`^1[0-9]{9}` + "\n" + `[0-9A-Za-z]{32}` + "\n" + regexp.QuoteMeta(p.body) + "\n$")
			if !pattern.MatchString(got) {
				t.Fatalf("%q does not match %s", got, pattern)
			}
			if c := strings.Count(got, "\n"); c != 3 {
				t.Fatalf("%q has %d line feeds, want 3", got, c)
			}
		})
	}
}

func TestJoinedByLineFeed(t *testing.T) {
	// Node: joinedByLineFeed('') and joinedByLineFeed('a', …, 'g'); no
	// pieces give "" as in both SDKs.
	tests := []struct {
		pieces []string
		want   string
	}{
		{nil, ""},
		{[]string{""}, "\n"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, "a\nb\nc\nd\ne\nf\ng\n"},
		{[]string{"中文", "\n"}, "中文\n\n\n"},
	}
	for _, tt := range tests {
		if got := JoinedByLineFeed(tt.pieces...); got != tt.want {
			t.Errorf("JoinedByLineFeed(%q) = %q, want %q", tt.pieces, got, tt.want)
		}
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	buf := []byte("prefix:")
	got := AppendRequest(buf, "POST", "/v3/pay/transactions/native", "1554208460", "abc", []byte(`{"a":1}`))
	if want := "prefix:POST\n/v3/pay/transactions/native\n1554208460\nabc\n{\"a\":1}\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A buffer with room is extended in place.
	room := make([]byte, 0, 256)
	out := AppendResponse(room, "1", "2", []byte("3"))
	if &out[0] != &room[:1][0] {
		t.Fatal("AppendResponse reallocated a buffer that had room")
	}
}

func TestAppendMatchesStringForms(t *testing.T) {
	for _, body := range []string{"", "{}", "中文 body\nwith lines"} {
		if a, s := string(AppendRequest(nil, "PUT", "/x?y=z", "1", "n", []byte(body))), Request("PUT", "/x?y=z", "1", "n", body); a != s {
			t.Errorf("AppendRequest %q != Request %q", a, s)
		}
		if a, s := string(AppendResponse(nil, "1", "n", []byte(body))), Response("1", "n", body); a != s {
			t.Errorf("AppendResponse %q != Response %q", a, s)
		}
	}
}
