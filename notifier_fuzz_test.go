package wechatpay_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// The keys of the notification fuzz targets: fixed, so that the seed
// corpus under testdata/fuzz may hold notifications signed with them.
const (
	fuzzAPIv2Key = "fuzzAPIv2fuzzAPIv2fuzzAPIv2_0123"
	fuzzAPIv3Key = "fuzzAPIv3fuzzAPIv3fuzzAPIv3_0123"
	fuzzKeyID    = "PUB_KEY_ID_0100000000000000000000000001"
)

// fuzzNotifier is a receiver with the fuzz keys, and WeChat Pay's side of
// them: the platform private key.
func fuzzNotifier(t testing.TB) (*wechatpay.Notifier, *rsa.PrivateKey) {
	t.Helper()
	key, err := crypto.LoadPrivateKey("crypto/testdata/apiclient_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	nf, err := wechatpay.NewNotifier(wechatpay.Config{
		Certs:    map[string]any{fuzzKeyID: &key.PublicKey},
		APIv3Key: crypto.NewSecret(fuzzAPIv3Key),
		Secret:   crypto.NewSecret(fuzzAPIv2Key),
	})
	if err != nil {
		t.Fatal(err)
	}
	return nf, key
}

// serve passes a notification through h, the real handler, as a server
// would, and returns the status.
func serve(h http.Handler, header http.Header, body []byte) int {
	req := httptest.NewRequest("POST", "/notify", bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// FuzzParseNotification signs and encrypts any plaintext under any id as
// WeChat Pay does, so that decryption and JSON decoding are reached: the
// handler hands exactly that plaintext to the business function. Then a
// byte of the body is changed, and nothing must pass.
func FuzzParseNotification(f *testing.F) {
	for _, s := range []string{
		`{"out_trade_no":"1217752501201407033233368018","trade_state":"SUCCESS","amount":{"total":100}}`,
		"", "null", "[]", `{"a":`, "\xff\xfe", `{"amount":{"total":1e400}}`, "<xml/>",
	} {
		f.Add([]byte(s), "EV-0001", uint32(0))
		f.Add([]byte(s), "EV-\x00\u2028", uint32(0x0107))
	}
	nf, key := fuzzNotifier(f)
	f.Fuzz(func(t *testing.T, plaintext []byte, id string, tamper uint32) {
		nonce := "fdasflkja484"
		ct, err := crypto.EncryptAESGCM([]byte(fuzzAPIv3Key), []byte(nonce), plaintext, []byte("transaction"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{
			"id": id, "create_time": "2015-05-20T13:29:35+08:00", "event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource",
			"summary": "支付成功", "resource": map[string]string{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
				"ciphertext": ct, "associated_data": "transaction", "nonce": nonce},
		})
		var wantID string
		json.Unmarshal(mustJSON(id), &wantID)
		if tamper != 0 {
			i := int(tamper) % len(body)
			signed := append([]byte(nil), body...)
			body[i] ^= byte(tamper>>8) | 1
			h := v3Headers(t, key, signed)
			if _, err := nf.ParseNotification(h, body); !errors.Is(err, wechatpay.ErrBadSignature) {
				t.Fatalf("a changed body: %v", err)
			}
			calls := 0
			if code := serve(nf.Handler(func(context.Context, *wechatpay.Notification) error { calls++; return nil }), h, body); code != 401 || calls != 0 {
				t.Fatalf("a changed body: %d, %d calls", code, calls)
			}
			return
		}
		h := v3Headers(t, key, body)
		var got *wechatpay.Notification
		code := serve(nf.Handler(func(_ context.Context, n *wechatpay.Notification) error {
			got = n
			var v any
			_ = n.Unmarshal(&v)
			_ = n.Get("amount.total").Int()
			return nil
		}), h, body)
		if code != 204 || got == nil || !bytes.Equal(got.Plaintext, plaintext) || got.ID != wantID {
			t.Fatalf("%d: got %+v, want plaintext %q id %q", code, got, plaintext, wantID)
		}
	})
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// v3Headers signs body as WeChat Pay signs a notification, now.
func v3Headers(t testing.TB, key *rsa.PrivateKey, body []byte) http.Header {
	t.Helper()
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "n0nce"
	d := sha256.Sum256(formatter.AppendResponse(nil, ts, nonce, body))
	sig, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{"Wechatpay-Timestamp": {ts}, "Wechatpay-Nonce": {nonce}, "Wechatpay-Serial": {fuzzKeyID},
		"Wechatpay-Signature": {base64.StdEncoding.EncodeToString(sig)}, "Content-Type": {"application/json"}}
}

// refundEnvelope are the fields a refund notification may carry beside
// req_info (webhook v2/refund-processed).
var refundEnvelope = map[string]bool{"return_code": true, "return_msg": true, "appid": true, "mch_id": true,
	"sub_mch_id": true, "sub_appid": true, "nonce_str": true, "req_info": true}

// FuzzParseV2Notification reads any body as an APIv2 notification: what
// it accepts is authenticated (a sign recomputed here, or a req_info that
// decrypts, with nothing unsigned beside it). Then it signs any field
// (and encrypts it in a req_info) as WeChat Pay does: that is accepted and
// read back exactly, and a nested, repeated or added element refuses it.
func FuzzParseV2Notification(f *testing.F) {
	f.Add([]byte("<xml><return_code>SUCCESS</return_code></xml>"), "out_trade_no", "1217752501201407033233368018", uint8(0))
	f.Add([]byte("<xml><req_info>AAAA</req_info></xml>"), "total_fee", "1", uint8(1))
	f.Add([]byte("<html>"), "refund_status", "SUCCESS", uint8(2))
	f.Add([]byte(""), "a:b", "]]>\r\n", uint8(3))
	f.Add([]byte("<xml/>"), "event_id", "", uint8(4))
	nf, _ := fuzzNotifier(f)
	secret := []byte(fuzzAPIv2Key)
	f.Fuzz(func(t *testing.T, raw []byte, name, value string, mode uint8) {
		n, err := nf.ParseV2Notification(nil, raw)
		checkV2Outcome(t, raw, n, err, secret)

		switch name {
		case "sign", "sign_type", "algorithm", "req_info", "event_ciphertext", "return_code", "nonce_str":
			return
		}
		calls := 0
		h := nf.V2Handler(func(context.Context, *wechatpay.V2Notification) error { calls++; return nil })
		var body []byte
		if mode&4 == 0 {
			fields := map[string]string{"return_code": "SUCCESS", "nonce_str": "n", name: value}
			signType := []string{crypto.SignTypeMD5, crypto.SignTypeHMACSHA256}[mode&1]
			if mode&1 == 1 {
				fields["sign_type"] = signType
			}
			sign, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(fields))), secret)
			if err != nil {
				t.Fatal(err)
			}
			fields["sign"] = sign
			if body, err = transformer.ToXML(fields); err != nil {
				return // a value XML cannot carry
			}
			if back, _ := transformer.ToMap(body); back[name] != value {
				return // a name XML cannot carry, written as <item>
			}
			n, err := nf.ParseV2Notification(nil, body)
			if err != nil || n.Field(name) != value || n.ReqInfo != nil {
				t.Fatalf("a signed %q=%q: %v", name, value, err)
			}
		} else {
			plain, err := transformer.ToXML(map[string]string{name: value}, transformer.WithRoot("root"))
			if back, _ := transformer.ToMap(plain); err != nil || back[name] != value {
				return
			}
			enc, err := crypto.EncryptAESECB(crypto.ECBKeyFromAPIv2Key(secret), plain)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = transformer.ToXML(map[string]string{"return_code": "SUCCESS", "mch_id": "1900000109", "nonce_str": "n", "req_info": enc})
			n, err := nf.ParseV2Notification(nil, body)
			if err != nil || n.ReqInfo[name] != value || n.Fields != nil || n.Field(name) != "" {
				t.Fatalf("a refund with %q=%q: %v", name, value, err)
			}
		}
		if code := serve(h, nil, body); code != 200 || calls != 1 {
			t.Fatalf("through the handler: %d, %d calls", code, calls)
		}
		// Whatever is added beside what is signed refuses it.
		extra := "<" + name + ">x</" + name + ">" // repeated, or undocumented beside req_info
		if mode&2 == 2 {
			extra = "<" + name + "_detail><v>1</v></" + name + "_detail>"
		}
		if mode&4 != 0 && mode&2 == 0 && refundEnvelope[name] {
			return // a documented envelope field, once: allowed, and unverified
		}
		changed := bytes.Replace(body, []byte("</xml>"), []byte(extra+"</xml>"), 1)
		if _, err := transformer.ToMap(changed); err != nil {
			return
		}
		if _, err := nf.ParseV2Notification(nil, changed); !errors.Is(err, wechatpay.ErrUnsignedFields) && !errors.Is(err, wechatpay.ErrBadSignature) {
			t.Fatalf("%s added: %v", extra, err)
		}
		if code := serve(h, nil, changed); code != 401 || calls != 1 {
			t.Fatalf("%s added, through the handler: %d, %d calls", extra, code, calls)
		}
	})
}

// checkV2Outcome asserts that an accepted APIv2 notification is
// authenticated, and a refused one refused with a documented error.
func checkV2Outcome(t *testing.T, raw []byte, n *wechatpay.V2Notification, err error, secret []byte) {
	t.Helper()
	if err != nil {
		var ve *wechatpay.VerifyError
		if !errors.As(err, &ve) && !errors.Is(err, wechatpay.ErrNotificationMalformed) && !errors.Is(err, wechatpay.ErrNotificationDecrypt) {
			t.Fatalf("an undocumented failure: %v", err)
		}
		return
	}
	if n.ReqInfo != nil {
		if n.Fields != nil {
			t.Fatalf("a refund notification with signed-looking fields %v", n.Fields)
		}
		for k := range n.Unverified {
			if !refundEnvelope[k] {
				t.Fatalf("an undocumented <%s> beside req_info", k)
			}
		}
		if _, err := crypto.DecryptAESECB(crypto.ECBKeyFromAPIv2Key(secret), n.Unverified["req_info"]); err != nil {
			t.Fatalf("accepted a req_info that does not decrypt: %v", err)
		}
		return
	}
	flat := map[string]string{}
	for k, v := range n.Fields {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("accepted a nested or repeated <%s>", k)
		}
		flat[k] = s
	}
	signType := flat["sign_type"]
	if signType == "" {
		signType = flat["algorithm"]
	}
	if signType == "" {
		signType = crypto.SignTypeMD5
	}
	want, _ := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(flat))), secret)
	if want == "" || want != flat["sign"] {
		t.Fatalf("accepted %q with sign %q, want %q", raw, flat["sign"], want)
	}
}
