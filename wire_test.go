package wechatpay_test

// The wire against wechatpay-php 1.4.12 and wechatpay-axios-plugin 0.9.6,
// item by item as issue 15 lists the differences: each test sends through
// the whole client to a loopback WeChat Pay (wechatpaytest) and checks
// what arrived. docs/porting-from-php.md names every difference kept.

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Item 1: an APIv2 GET whose query carries a sign (the catalog sample of
// v2/appauth/getaccesstoken) is signed again, with a nonce_str, as PHP and
// Node sign it; the sandbox checks the sign.
func TestWireV2GetSignComputed(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	query := wechatpay.Ordered{
		{"mch_id", srv.MchID}, {"appid", "wxcbda96de0b165486"}, {"openid", "baf04e6bbbd06f7b1a197d18ed53b7f1"},
		{"code", "wxcbda96de0b165489"}, {"grant_type", "authorization_code"}, {"scope", "pay_identity"},
		{"sign_type", "HMAC-SHA256"}, {"sign", "C380BEC2BFD727A4B6845133519F3AD6"},
	}
	if _, err := c.Chain("v2/appauth/getaccesstoken").Get(wechatpay.M{"query": query}); err != nil {
		t.Fatal(err)
	}
	got := lastReceived(t, srv)
	pre := "/appauth/getaccesstoken?mch_id=" + srv.MchID + "&appid=wxcbda96de0b165486&openid=baf04e6bbbd06f7b1a197d18ed53b7f1&code=wxcbda96de0b165489&grant_type=authorization_code&scope=pay_identity&sign_type=HMAC-SHA256&sign="
	if !strings.HasPrefix(got.Target, pre) || strings.Contains(got.Target, "C380BEC2") || !strings.Contains(got.Target[len(pre):], "&nonce_str=") {
		t.Fatalf("sent %s", got.Target)
	}
	// nonceless leaves the nonce out, and the sign is still computed.
	if _, err := c.Chain("v2/appauth/getaccesstoken").Get(wechatpay.M{"query": query, "nonceless": true}); err != nil {
		t.Fatal(err)
	}
	if got := lastReceived(t, srv).Target; strings.Contains(got, "nonce_str") || strings.Contains(got, "C380BEC2") {
		t.Fatalf("sent %s", got)
	}
}

const (
	acceptV3 = "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5"
	acceptV2 = "text/xml, text/plain, application/x-gzip"
)

// Items 2, 3 and 6: the default headers of each protocol, where PHP and
// Node agree: Accept on every call (an APIv2 download's included);
// Content-Type on every call, bodiless or raw (application/json for a json
// body, as Guzzle writes it; an APIv2 GET's text/xml); no Content-Length
// on a bodiless DELETE.
func TestWireDefaultHeaders(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	ok := func(r *wechatpaytest.Request) *wechatpaytest.Answer { return wechatpaytest.JSON(200, map[string]any{}) }
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		srv.HandleFunc(m, "v3/wire", ok)
	}
	srv.HandleFunc("GET", "v2/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(nil)
	})
	cases := []struct {
		name, method, path string
		opts               wechatpay.M
		accept, ctype      string
		length             string // "" for no Content-Length
	}{
		{"v3 GET", "GET", "v3/wire", nil, acceptV3, "application/json; charset=utf-8", ""},
		{"v3 DELETE", "DELETE", "v3/wire", nil, acceptV3, "application/json; charset=utf-8", ""},
		{"v3 POST json", "POST", "v3/wire", wechatpay.M{"json": wechatpay.M{"a": 1}}, acceptV3, "application/json", "7"},
		{"v3 POST raw", "POST", "v3/wire", wechatpay.M{"body": `{"a":1}`}, acceptV3, "application/json; charset=utf-8", "7"},
		{"v3 PUT bytes", "PUT", "v3/wire", wechatpay.M{"body": []byte(`{}`)}, acceptV3, "application/json; charset=utf-8", "2"},
		{"v3 POST bodiless", "POST", "v3/wire", nil, acceptV3, "application/json; charset=utf-8", "0"},
		{"v3 PATCH bodiless", "PATCH", "v3/wire", nil, acceptV3, "application/json; charset=utf-8", "0"},
		{"v3 GET sink", "GET", "v3/wire", wechatpay.M{"sink": &bytes.Buffer{}}, acceptV3, "application/json; charset=utf-8", ""},
		{"v3 header override", "GET", "v3/wire", wechatpay.M{"headers": wechatpay.M{"Accept": "text/plain", "Content-Type": "text/csv"}}, "text/plain", "text/csv", ""},
		{"v2 GET", "GET", "v2/wire", wechatpay.M{"query": wechatpay.M{"mch_id": srv.MchID}}, acceptV2, "text/xml; charset=utf-8", ""},
	}
	for _, tc := range cases {
		if _, err := c.Chain(tc.path).Do(context.Background(), tc.method, tc.opts); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := lastReceived(t, srv)
		if got.Header.Get("Accept") != tc.accept || got.Header.Get("Content-Type") != tc.ctype || got.Header.Get("Content-Length") != tc.length {
			t.Errorf("%s: Accept %q, Content-Type %q, Content-Length %q", tc.name,
				got.Header.Get("Accept"), got.Header.Get("Content-Type"), got.Header.Get("Content-Length"))
		}
	}

	// Item 2: an APIv2 download keeps the APIv2 Accept.
	var bill bytes.Buffer
	if _, err := c.Chain("v2/pay/downloadbill").Post(wechatpay.M{"sink": &bill, "xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "bill_date": "20240601", "bill_type": "ALL"}}); err != nil {
		t.Fatal(err)
	}
	if h := lastReceived(t, srv).Header; h.Get("Accept") != acceptV2 || h.Get("Content-Type") != "text/xml; charset=utf-8" || bill.Len() == 0 {
		t.Fatalf("downloadbill: Accept %q, Content-Type %q, %d bytes", h.Get("Accept"), h.Get("Content-Type"), bill.Len())
	}
}

// Item 4: /v3/statements is an overseas statement, signed over
// {"sha1":…}, under /hk/, where wechatpay-php treats it as one; elsewhere
// (here under a gateway's prefix) its answer is verified over its body, as
// PHP verifies it.
func TestWireStatementsByURL(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	csv := "Date,Amount\n2018-01-30,100\n"
	sum := sha1.Sum([]byte(csv))
	digest := hex.EncodeToString(sum[:])
	rawSigned := func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		h := signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), csv)
		h.Set("Wechatpay-Statement-Sha1", digest)
		return &wechatpaytest.Answer{Header: h, Body: []byte(csv), Unsigned: true}
	}
	srv.HandleFunc("GET", "gw/v3/statements", rawSigned)
	res, err := c.Chain("v3/statements").Get(wechatpay.M{"base_uri": srv.URL + "gw/", "query": wechatpay.M{"date": "20180130"}})
	if err != nil || string(res.Body) != csv {
		t.Fatal(res, err)
	}
	if got := lastReceived(t, srv).Target; got != "/gw/v3/statements?date=20180130" {
		t.Fatal(got)
	}
	// Under /hk/ the same answer is not signed as a statement is.
	srv.HandleFunc("GET", "hk/v3/statements", rawSigned)
	if _, err := c.Chain("v3/statements").Get(wechatpay.M{"base_uri": srv.URL + "hk/"}); !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatal(err)
	}
}

// Item 5: a string query is sent as given, only what a query cannot hold
// escaped, as Guzzle does, and signed as sent; nested values are written
// as http_build_query writes them; nil values are left out.
func TestWireQueries(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "v3/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return wechatpaytest.JSON(200, map[string]any{}) })
	srv.HandleFunc("GET", "v2/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(nil)
	})
	cases := []struct {
		query any
		want  string
	}{
		{"a=1&b=2", "a=1&b=2"},
		{"b=2&a=%E5%BE%AE", "b=2&a=%E5%BE%AE"},
		{"note=a b#c&x=100%&ok=%41", "note=a%20b%23c&x=100%25&ok=%41"},
		{"name=微信", "name=%E5%BE%AE%E4%BF%A1"},
		{wechatpay.M{"a": wechatpay.M{"b": "c", "d": []string{"x", "y"}}, "z": 1, "n": nil, "e": wechatpay.M{}},
			"a%5Bb%5D=c&a%5Bd%5D%5B0%5D=x&a%5Bd%5D%5B1%5D=y&z=1"},
		{wechatpay.Ordered{{"z", 1}, {"a", wechatpay.Ordered{{"y", true}, {"x", false}}}, {"list", []any{1, "二"}}},
			"z=1&a%5By%5D=true&a%5Bx%5D=false&list%5B0%5D=1&list%5B1%5D=%E4%BA%8C"},
	}
	for _, tc := range cases {
		if _, err := c.Chain("v3/wire").Get(wechatpay.M{"query": tc.query}); err != nil {
			t.Fatalf("%v: %v", tc.query, err)
		}
		if got := lastReceived(t, srv).Target; got != "/v3/wire?"+tc.want {
			t.Errorf("%v: sent %s, want ?%s", tc.query, got, tc.want)
		}
	}
	// An APIv2 GET's string query is its fields: read as Guzzle's
	// Query::parse reads it, signed, written back.
	if _, err := c.Chain("v2/wire").Get(wechatpay.M{"query": "mch_id=" + srv.MchID + "&note=a+b%26c&nonce_str=N1"}); err != nil {
		t.Fatal(err)
	}
	if got := lastReceived(t, srv).Target; !strings.HasPrefix(got, "/wire?mch_id="+srv.MchID+"&note=a%20b%26c&nonce_str=N1&sign=") {
		t.Fatal(got)
	}
}

// Item 7: booleans are written true and false, as WeChat Pay documents
// them (need_query_detail=true), in a query and in APIv2 XML; PHP writes 1
// and 0 in a query, 1 and "" in XML.
func TestWireBooleans(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	if _, err := c.Chain("v3/transfer/batches/batch-id/{batch_id}").Get(wechatpay.M{
		"batch_id": "1030000071100999991182020050700019480001",
		"query":    wechatpay.M{"need_query_detail": true, "offset": 0, "limit": 20, "detail_status": "FAIL"},
	}); err != nil {
		t.Fatal(err)
	}
	if got := lastReceived(t, srv).Target; !strings.Contains(got, "need_query_detail=true") {
		t.Fatal(got)
	}
	srv.HandleFunc("POST", "v2/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(nil)
	})
	if _, err := c.Chain("v2/wire").Post(wechatpay.M{"xml": wechatpay.Ordered{{"mch_id", srv.MchID}, {"yes", true}, {"no", false}}}); err != nil {
		t.Fatal(err)
	}
	if got := string(lastReceived(t, srv).Body); !strings.HasPrefix(got, "<xml><mch_id>"+srv.MchID+"</mch_id><yes>true</yes><no>false</no><nonce_str>") {
		t.Fatal(got)
	}
}

// Item 8: a base URL's path is a prefix every call keeps, as the Node SDK
// keeps it, also for a path written with a leading "/" (which PHP resolves
// from the host, RFC 3986's way) and for a base URL without a trailing
// "/" (whose last segment PHP replaces).
func TestWireBaseURLPath(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "hk/v3/global/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"path": r.URL.Path})
	})
	for _, tc := range []struct{ base, chain string }{
		{srv.URL + "hk/", "/v3/global/wire"},
		{srv.URL + "hk/", "v3/global/wire"},
		{srv.URL + "hk", "v3/global/wire"},
		{srv.URL + "hk", "/v3/global/wire"},
	} {
		res, err := c.Chain(tc.chain).Get(wechatpay.M{"base_uri": tc.base})
		if err != nil || res.Get("path").String() != "/hk/v3/global/wire" {
			t.Errorf("%s + %s: %v %v", tc.base, tc.chain, res, err)
		}
	}
}

// Item 9: the answers WeChat Pay documents as unsigned (files) pass
// unverified on exactly their paths; a path in another case, and the image
// path without an ID, which PHP lets through, are verified (and here,
// unsigned, refused).
func TestWireUnsignedPaths(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	file := func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("%PDF-1.4 file"), Unsigned: true, Header: http.Header{"Content-Type": {"application/pdf"}}}
	}
	unsigned := []string{
		"v3/billdownload/file", "v3/transferdownload/signfile", "v3/transferdownload/elecvoucherfile",
		"v3/new-tax-control-fapiao/download", "v3/merchant-service/images/ChsyMDAwMDAx", "v3/global/merchant-service/images/ChsyMDAwMDAx",
	}
	for _, p := range unsigned {
		srv.HandleFunc("GET", p, file)
		if _, err := c.Chain(p).Get(wechatpay.M{"query": wechatpay.M{"complaint_id": "200201820200101080076610000"}}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, tc := range []struct{ template, value string }{
		{"v3/{p}/file", "BillDownload"},
		{"v3/merchant-service/images/{empty}", ""},
	} {
		srv.HandleFunc("GET", "v3/BillDownload/file", file)
		srv.HandleFunc("GET", "v3/merchant-service/images/", file)
		opts := wechatpay.M{}
		if tc.value != "" {
			opts["p"] = tc.value
		}
		if _, err := c.Chain(tc.template).Get(opts); !errors.Is(err, wechatpay.ErrMissingHeaders) {
			t.Errorf("%s %s: %v", tc.template, tc.value, err)
		}
	}
}

// Item 10: a declarative chain is normalised segment by segment; PHP
// normalises the whole string, so that a capital starting a later segment
// becomes "-" and its lower case there.
func TestWireDeclarativeCapitals(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "v3/pay/transactions/out-trade-no/{id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"path": r.URL.Path})
	})
	for chain, want := range map[string]string{
		"v3/pay/transactions/outTradeNo/N123123":   "/v3/pay/transactions/out-trade-no/n123123",
		"v3/pay/transactions/out-trade-no/{id}":    "/v3/pay/transactions/out-trade-no/N123123",
		"v3/pay/transactions/out-trade-no/_id_":    "/v3/pay/transactions/out-trade-no/N123123",
		"V3/Pay/Transactions/OutTradeNo/N123123":   "/v3/pay/transactions/out-trade-no/n123123",
		"v3/pay/transactions/out-trade-no/n123123": "/v3/pay/transactions/out-trade-no/n123123",
	} {
		opts := wechatpay.M{}
		if strings.Contains(chain, "id") {
			opts["id"] = "N123123"
		}
		res, err := c.Chain(chain).Get(opts)
		if err != nil || res.Get("path").String() != want {
			t.Errorf("%s: %v %v, want %s", chain, res, err, want)
		}
	}
}

// Item 11: an upload leaves as wechatpay-php's MediaUtil sends it: the
// meta part's Content-Type first, the file part's Content-Length, the meta
// JSON in the caller's order.
func TestWireUpload(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	csv := []byte("openid\noUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n")
	sum := sha256Hex(csv)
	const boundary = "0123456789abcdef0123456789abcdef01234567"
	media, err := wechatpay.NewMedia("openids.csv", bytes.NewReader(csv), wechatpay.MediaBoundary(boundary),
		wechatpay.MediaMeta(wechatpay.Ordered{{"bank_type", "CITIC"}, {"filename", "openids.csv"}, {"sha256", sum}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(context.Background(), "v3/marketing/bank/packages/{package_id}/tasks", media, wechatpay.M{"package_id": "8473295"}); err != nil {
		t.Fatal(err)
	}
	got := lastReceived(t, srv)
	want := "--" + boundary + "\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n" +
		`{"bank_type":"CITIC","filename":"openids.csv","sha256":"` + sum + `"}` + "\r\n--" + boundary +
		"\r\nContent-Disposition: form-data; name=\"file\"; filename=\"openids.csv\"\r\nContent-Length: 36\r\nContent-Type: text/csv\r\n\r\n" +
		string(csv) + "\r\n--" + boundary + "--\r\n"
	if string(got.Body) != want || got.Header.Get("Content-Type") != "multipart/form-data; boundary="+boundary {
		t.Fatalf("sent %q\nwant %q", got.Body, want)
	}
}

// Item 12: JSON is written with "/" and UTF-8 as they are (PHP writes \/
// and \uXXXX); the signature covers the bytes sent either way.
func TestWireJSONEscaping(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v3/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return wechatpaytest.JSON(200, map[string]any{}) })
	if _, err := c.Chain("v3/wire").Post(wechatpay.M{"json": wechatpay.M{"url": "https://a.b/c?d=1&e=<f>", "name": "深圳腾大"}}); err != nil {
		t.Fatal(err)
	}
	if got := string(lastReceived(t, srv).Body); got != `{"name":"深圳腾大","url":"https://a.b/c?d=1&e=<f>"}` {
		t.Fatal(got)
	}
}

// Item 13: an APIv2 endpoint WeChat Pay answers unsigned returns its
// SUCCESS answer unverified; its FAIL answer is a *V2Error, where PHP
// returns it untouched.
func TestWireV2UnsignedFail(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv)
	answer := &wechatpaytest.Answer{Fields: map[string]string{"return_code": "FAIL", "return_msg": "参数错误"}, Unsigned: true}
	srv.HandleFunc("POST", "v2/mmpaymkttransfers/promotion/transfers", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return answer })
	xml := wechatpay.M{"xml": wechatpay.M{"mch_appid": "wx8888888888888888", "mchid": srv.MchID, "partner_trade_no": "1"}, "security": true}
	_, err := c.Chain("v2/mmpaymkttransfers/promotion/transfers").Post(xml)
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnCode != "FAIL" || v2.Response == nil {
		t.Fatal(err)
	}
	answer = &wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "payment_no": "1"}, Unsigned: true}
	if res, err := c.Chain("v2/mmpaymkttransfers/promotion/transfers").Post(xml); err != nil || res.Get("payment_no").String() != "1" {
		t.Fatal(res, err)
	}
}

// Item 14: the six documented samples whose path variable is misnamed or
// misplaced are refused before anything is sent, naming the variable at
// fault.
func TestWireMisnamedVariables(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	cases := []struct {
		method, chain string
		opts          wechatpay.M
		option, hint  string
	}{
		{"GET", "v3/global/papay/transactions/out-trade-no/{out_trade_no}",
			wechatpay.M{"transaction_id": "1217752501201407033233368018", "query": wechatpay.M{"sub_mchid": "1900000109"}},
			"transaction_id", "which needs out_trade_no: a misspelling?"},
		{"POST", "v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract",
			wechatpay.M{"organization_id": "123", "use_id": "456"},
			"use_id", "which needs user_id: a misspelling?"},
		{"GET", "v3/bank-transfer/batches/out-batch-no/{out_batch_no}",
			wechatpay.M{"query": wechatpay.M{"out_batch_no": "plfk2020042013", "need_query_detail": true}},
			"out_batch_no", `the query option has a field "out_batch_no"`},
		{"PATCH", "v3/global/merchants/{sub_mchid}",
			wechatpay.M{"json": wechatpay.M{"sp_mchid": "3200000001", "sub_mchid": "20000100"}},
			"sub_mchid", `the json option has a field "sub_mchid"`},
		{"GET", "v3/merchant/fund/withdraw/bill-type/{bill_type}",
			wechatpay.M{"query": wechatpay.M{"bill_type": "NO_SUCC", "bill_date": "2019-06-11"}},
			"bill_type", `the query option has a field "bill_type"`},
		{"POST", "v3/payscore/users/{openid}/permissions/{service_id}/terminate",
			wechatpay.M{"json": wechatpay.M{"appid": "wx1", "reason": "r"}, "query": wechatpay.M{"openid": "o", "service_id": "s"}},
			"openid", `the query option has a field "openid"`},
	}
	for _, tc := range cases {
		_, err := c.Chain(tc.chain).Do(context.Background(), tc.method, tc.opts)
		var oe *wechatpay.OptionError
		if !errors.As(err, &oe) || oe.Option != tc.option || !strings.Contains(oe.Problem, tc.hint) {
			t.Errorf("%s: %v", tc.chain, err)
		}
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

// Item 15: a bill of nothing but a byte order mark is downloaded as it
// is, and is not a bill: CastCSVBill says so, where the Node SDK reads no
// rows.
func TestWireEmptyBill(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "v3/billdownload/file", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("\xEF\xBB\xBF"), Unsigned: true, Header: http.Header{"Content-Type": {"text/csv"}}}
	})
	var got bytes.Buffer
	if _, err := c.DownloadURL(context.Background(), "https://api.mch.weixin.qq.com/v3/billdownload/file?token=T", wechatpay.Download{Writer: &got}); err != nil {
		t.Fatal(err)
	}
	if got.String() != "\xEF\xBB\xBF" {
		t.Fatalf("%q", got.String())
	}
	if _, err := formatter.CastCSVBill(got.Bytes()); !errors.Is(err, formatter.ErrMalformedBill) {
		t.Fatal(err)
	}
}

// Item 16: M is sent in key order, Ordered in its own, as json, xml and
// query.
func TestWireOrdered(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v3/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return wechatpaytest.JSON(200, map[string]any{}) })
	srv.HandleFunc("POST", "v2/wire", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(nil)
	})
	ordered := wechatpay.Ordered{{"mchid", srv.MchID}, {"appid", "wxd678efh567hg6787"},
		{"amount", wechatpay.Ordered{{"total", 1}, {"currency", "CNY"}}}, {"detail", wechatpay.M{"b": 2, "a": "<&>"}}}
	if _, err := c.Chain("v3/wire").Post(wechatpay.M{"json": ordered, "query": wechatpay.Ordered{{"z", 1}, {"a", 2}}}); err != nil {
		t.Fatal(err)
	}
	got := lastReceived(t, srv)
	if string(got.Body) != `{"mchid":"`+srv.MchID+`","appid":"wxd678efh567hg6787","amount":{"total":1,"currency":"CNY"},"detail":{"a":"<&>","b":2}}` || got.Target != "/v3/wire?z=1&a=2" {
		t.Fatalf("%s %s", got.Target, got.Body)
	}
	if _, err := c.Chain("v2/wire").Post(wechatpay.M{"xml": wechatpay.Ordered{{"mch_id", srv.MchID}, {"body", "b"}, {"appid", "wx"}}}); err != nil {
		t.Fatal(err)
	}
	if got := string(lastReceived(t, srv).Body); !strings.HasPrefix(got, "<xml><mch_id>"+srv.MchID+"</mch_id><body>b</body><appid>wx</appid><nonce_str>") {
		t.Fatal(got)
	}
}
