package wechatpaytest_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func newClient(t testing.TB, cfg wechatpay.Config) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func serialHeader(srv *wechatpaytest.Server) wechatpay.M {
	serial := srv.PublicKeyID
	if srv.Mode() == wechatpaytest.CertificateMode {
		serial = srv.Platform.Serial
	}
	return wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": serial}}
}

func TestParamError(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	_, err := c.Chain("v3/pay/transactions/native").Post(serialHeader(srv), wechatpay.M{"json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "d", "out_trade_no": "T1",
		"notify_url": "https://example.com/n", "amount": wechatpay.M{"currency": "CNY"},
	}})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "PARAM_ERROR" || ae.Detail == nil ||
		ae.Detail.Field != "/amount/total" || ae.Detail.Location != "body" {
		t.Fatalf("want 400 PARAM_ERROR on /amount/total in body, got %v", err)
	}

	_, err = c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "T1"})
	if !errors.As(err, &ae) || ae.Detail == nil || ae.Detail.Field != "mchid" || ae.Detail.Location != "query" {
		t.Fatalf("want PARAM_ERROR on mchid in query, got %v", err)
	}

	_, err = c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "out_trade_no": "T1"}})
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ErrCode != "PARAM_ERROR" || !strings.Contains(v2.ErrCodeDes, "appid") {
		t.Fatalf("want an APIv2 PARAM_ERROR naming appid, got %v", err)
	}
}

func TestNotFound(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	_, err := c.Chain("v3/no/such/endpoint").Get()
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != "RESOURCE_NOT_EXISTS" {
		t.Fatalf("want 404 RESOURCE_NOT_EXISTS, got %v", err)
	}
}

// A request signed with a key the server did not issue is refused.
func TestSignError(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.PrivateKey = srv.Platform.Key // not the merchant's
	c := newClient(t, cfg)
	_, err := c.Chain("v3/certificates").Get()
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "SIGN_ERROR" {
		t.Fatalf("want 401 SIGN_ERROR, got %v", err)
	}
	cfg = srv.Config()
	cfg.Secret = crypto.NewSecret(strings.Repeat("x", 32))
	c = newClient(t, cfg)
	_, err = c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": srv.MchID, "out_trade_no": "T1"}})
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnCode != "FAIL" || v2.ReturnMsg != "签名错误" {
		t.Fatalf("want return_code FAIL 签名错误, got %v", err)
	}
}

// Routes of the caller's own take precedence over the catalog's, in their
// place on the wire.
func TestHandleFuncOverrides(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"transaction_id": r.Vars["transaction_id"], "trade_state": "REFUND"})
	})
	res, err := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200/1", "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.Get("trade_state").String() != "REFUND" || res.Get("transaction_id").String() != "4200/1" {
		t.Fatalf("%v %s", err, res.Body)
	}
	srv.HandleFunc("GET", "v3/refunds/id/{refund_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"path": r.URL.Path})
	})
	res, err = c.Chain("v3/refunds/id/{refund_id}").Get(wechatpay.M{"refund_id": "R1", "base_uri": srv.URL + "hk/"})
	if err != nil || res.Get("path").String() != "/hk/v3/refunds/id/R1" {
		t.Fatalf("%v %s", err, res.Body)
	}
}

// The generated answer follows the catalog's response tree and echoes the
// request's values.
func TestGeneratedAnswer(t *testing.T) {
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.CertificateMode, wechatpaytest.PublicKeyMode, wechatpaytest.BothModes} {
		srv := wechatpaytest.NewServer(wechatpaytest.WithMode(mode))
		c := newClient(t, srv.Config())
		res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "T-42", "query": wechatpay.M{"mchid": srv.MchID}})
		srv.Close()
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if res.Get("out_trade_no").String() != "T-42" || res.Get("mchid").String() != srv.MchID ||
			!res.Get("amount.total").Exists() || !res.Get("payer.openid").Exists() || res.Get("trade_state").String() == "" {
			t.Fatalf("mode %d: %s", mode, res.Body)
		}
		want := srv.Platform.Serial
		if mode != wechatpaytest.CertificateMode {
			want = srv.PublicKeyID
		}
		if got := res.Header.Get("Wechatpay-Serial"); got != want {
			t.Fatalf("mode %d: signed by %s, want %s", mode, got, want)
		}
	}
}

func TestNoContent(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close").Post(wechatpay.M{"out_trade_no": "T1", "json": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.StatusCode != http.StatusNoContent || len(res.Body) != 0 {
		t.Fatalf("%v %+v", err, res)
	}
}

// v3/certificates lists the platform certificate encrypted under the APIv3
// key.
func TestCertificates(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	res, err := c.Chain("v3/certificates").Get()
	if err != nil {
		t.Fatal(err)
	}
	d := res.Get("data.0")
	enc := d.Get("encrypt_certificate")
	if d.Get("serial_no").String() != srv.Platform.Serial || enc.Get("algorithm").String() != "AEAD_AES_256_GCM" || enc.Get("associated_data").String() != "certificate" {
		t.Fatalf("%s", res.Body)
	}
	pem, err := crypto.DecryptAESGCM([]byte(srv.APIv3Key), []byte(enc.Get("nonce").String()), enc.Get("ciphertext").String(), []byte("certificate"))
	if err != nil || !bytes.Equal(pem, srv.Platform.CertPEM()) {
		t.Fatalf("decrypted %q: %v", pem, err)
	}
}

// Cross-border merchants (境外) list the platform certificates at
// v3/global/certificates, answered as v3/certificates is.
func TestGlobalCertificates(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	res, err := c.Chain("v3/global/certificates").Get()
	if err != nil {
		t.Fatal(err)
	}
	enc := res.Get("data.0.encrypt_certificate")
	pem, err := crypto.DecryptAESGCM([]byte(srv.APIv3Key), []byte(enc.Get("nonce").String()), enc.Get("ciphertext").String(), []byte(enc.Get("associated_data").String()))
	if err != nil || !bytes.Equal(pem, srv.Platform.CertPEM()) || res.Get("data.0.serial_no").String() != srv.Platform.Serial {
		t.Fatalf("%s: decrypted %q: %v", res.Body, pem, err)
	}
	if srv.Count("GET v3/global/certificates") != 1 {
		t.Fatalf("%d requests", srv.Count("GET v3/global/certificates"))
	}
}

// v3/bill/tradebill hands out a download URL whose file matches the hash.
func TestTradeBill(t *testing.T) {
	for _, gz := range []bool{false, true} {
		srv := wechatpaytest.NewServer()
		c := newClient(t, srv.Config())
		q := wechatpay.M{"bill_date": "2024-06-01"}
		if gz {
			q["tar_type"] = "GZIP"
		}
		res, err := c.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": q})
		if err != nil {
			t.Fatal(err)
		}
		u := res.Get("download_url").String()
		if !strings.HasPrefix(u, srv.URL+"v3/billdownload/file?token=") || res.Get("hash_type").String() != "SHA1" {
			t.Fatalf("%s", res.Body)
		}
		var file bytes.Buffer
		_, err = c.Chain(strings.TrimPrefix(u, srv.URL)).Get(wechatpay.M{"sink": &file})
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		content := file.Bytes()
		if gz {
			zr, err := gzip.NewReader(&file)
			if err != nil {
				t.Fatalf("tar_type GZIP: %v", err)
			}
			content, _ = io.ReadAll(zr)
		}
		sum := sha1.Sum(content)
		if hex.EncodeToString(sum[:]) != res.Get("hash_value").String() || !bytes.Contains(content, []byte("交易时间")) {
			t.Fatalf("gzip %t: hash %x, answer %s", gz, sum, res.Body)
		}
	}
}

// An overseas statement is signed over its SHA-1, which the client checks.
func TestStatement(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	var file bytes.Buffer
	res, err := c.Chain("v3/statements").Get(wechatpay.M{
		"base_uri": srv.URL + "hk/", "sink": &file, "headers": wechatpay.M{"Accept-Encoding": "gzip"},
		"query": wechatpay.M{"date": "20240601", "mchid": srv.MchID},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(file.Bytes())
	if res.Header.Get("Wechatpay-Statement-Sha1") != hex.EncodeToString(sum[:]) {
		t.Fatalf("statement digest %x, header %s", sum, res.Header.Get("Wechatpay-Statement-Sha1"))
	}
}

// APIv2 security calls need the merchant certificate over mutual TLS.
func TestMutualTLS(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	refund := wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "transaction_id": "4200000985202406011234567890", "out_trade_no": "T1", "out_refund_no": "R1",
		"total_fee": "1", "refund_fee": "1",
	}}
	res, err := c.Chain("v2/secapi/pay/refund").Post(refund, wechatpay.M{"security": true})
	if err != nil || res.Get("return_code").String() != "SUCCESS" {
		t.Fatalf("%v", err)
	}
	if tls := srv.Received()[0]; !strings.HasPrefix(tls.Target, "/secapi/pay/refund") {
		t.Fatalf("%+v", tls)
	}
	// Without the certificate the server refuses.
	_, err = c.Chain("v2/secapi/pay/refund").Post(refund)
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnCode != "FAIL" {
		t.Fatalf("want return_code FAIL without the certificate, got %v", err)
	}
	// A certificate the server does not know is presented all the same, as
	// curl does, and refused during the TLS handshake: nothing is sent.
	other, err := wechatpaytest.NewIdentity("someone else")
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	cfg.Merchant = &wechatpay.MerchantCert{Cert: other.CertPEM(), Key: other.KeyPEM()}
	n := len(srv.Received())
	_, err = newClient(t, cfg).Chain("v2/secapi/pay/refund").Post(refund, wechatpay.M{"security": true})
	var te *wechatpay.TransportError
	if !errors.Is(err, wechatpay.ErrMerchantCertRejected) || !errors.As(err, &te) || te.Sent || len(srv.Received()) != n {
		t.Fatalf("want ErrMerchantCertRejected, not sent, with an unknown certificate, got %v", err)
	}
	// APIv3 over the same TLS server.
	if _, err := c.Chain("v3/certificates").Get(); err != nil {
		t.Fatal(err)
	}
}

func TestReceived(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	c.Chain("v3/certificates").Get()
	c.Chain("v3/nowhere").Get()
	got := srv.Received()
	if len(got) != 2 || got[0].Route != "v3/certificates" || got[0].Status != 200 || got[1].Route != "" || got[1].Status != 404 {
		t.Fatalf("%+v", got)
	}
	if srv.Count("GET v3/certificates") != 1 || srv.Count("POST v3/certificates") != 0 {
		t.Fatal("Count")
	}
	srv.Reset()
	if len(srv.Received()) != 0 {
		t.Fatal("Reset")
	}
}

// The bank-transfer public key the sandbox hands out is a real RSA key that
// encrypts bank details.
func TestGetPublicKey(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	// In production the base URL is https://fraud.mch.weixin.qq.com/; the
	// sandbox serves every host.
	res, err := c.Chain("v2/risk/getpublickey").Post(wechatpay.M{"security": true, "xml": wechatpay.M{"mch_id": srv.MchID, "sign_type": "MD5"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypto.LoadPublicKey(res.Get("pub_key").String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.EncryptOAEP(pub, []byte("6225760088888888")); err != nil {
		t.Fatal(err)
	}
}
