package wechatpay_test

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// receiversServer answers v3/profitsharing/receivers/add as WeChat Pay
// does: it decrypts name with the private key Wechatpay-Serial names, and
// answers the name encrypted for the merchant. keys maps serials to the
// server's private keys.
func receiversServer(srv *wechatpaytest.Server, keys map[string]*rsa.PrivateKey) {
	srv.HandleFunc("POST", "v3/profitsharing/receivers/add", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		serial := r.Header.Get("Wechatpay-Serial")
		key, ok := keys[serial]
		if !ok {
			return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "Wechatpay-Serial "+serial+" is not a WeChat Pay key")
		}
		var body struct{ Name string }
		json.Unmarshal(r.Body, &body)
		ct, _ := base64.StdEncoding.DecodeString(body.Name)
		name, err := rsa.DecryptOAEP(sha1.New(), rand.Reader, key, ct, nil)
		if err != nil {
			return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "name does not decrypt")
		}
		back, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, &srv.Merchant.Key.PublicKey, name, nil)
		return wechatpaytest.JSON(200, map[string]string{"serial": serial, "name": base64.StdEncoding.EncodeToString(back)})
	})
}

// Sensitive fields go encrypted with the public key when there is one, else
// with the platform certificate, named in Wechatpay-Serial; the answer's
// come back decrypted with the merchant key.
func TestSensitiveFields(t *testing.T) {
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.CertificateMode, wechatpaytest.PublicKeyMode, wechatpaytest.BothModes} {
		srv := wechatpaytest.NewServer(wechatpaytest.WithMode(mode))
		defer srv.Close()
		receiversServer(srv, map[string]*rsa.PrivateKey{srv.Platform.Serial: srv.Platform.Key, srv.PublicKeyID: srv.PublicKey.Key})
		want := srv.PublicKeyID
		if mode == wechatpaytest.CertificateMode {
			want = srv.Platform.Serial
		}
		c := newClient(t, srv)
		enc, err := c.NewSensitiveEncrypter()
		if err != nil {
			t.Fatal(err)
		}
		name, err := enc.Encrypt("张三")
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{
			"type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": name, "relation_type": "PARTNER",
		}}, enc)
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if enc.Serial() != want || res.Get("serial").String() != want {
			t.Fatalf("mode %d: encrypted for %s, header %s; want %s", mode, enc.Serial(), res.Get("serial"), want)
		}
		back, err := c.DecryptSensitive(res.Get("name").String())
		if err != nil || back != "张三" {
			t.Fatalf("mode %d: %q %v", mode, back, err)
		}
	}
}

// The newest platform certificate valid now is chosen; expired and future
// ones are not; with none, ErrNoEncryptionKey.
func TestSensitiveKeyChoice(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	older, _ := wechatpaytest.NewIdentity("older")
	future, _ := wechatpaytest.NewIdentity("future")
	expired, _ := wechatpaytest.NewIdentity("expired")
	receiversServer(srv, map[string]*rsa.PrivateKey{srv.Platform.Serial: srv.Platform.Key, older.Serial: older.Key})
	c := newClient(t, srv) // trusts the platform certificate, valid from an hour ago
	now := time.Now()
	c.Keys().Update([]middleware.KeyInfo{
		{Serial: older.Serial, PublicKey: &older.Key.PublicKey, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(time.Hour)},
		{Serial: future.Serial, PublicKey: &future.Key.PublicKey, NotBefore: now.Add(time.Hour), NotAfter: now.Add(48 * time.Hour)},
		{Serial: expired.Serial, PublicKey: &expired.Key.PublicKey, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)},
	})
	enc, err := c.NewSensitiveEncrypter()
	if err != nil || enc.Serial() != srv.Platform.Serial {
		t.Fatal(enc, err)
	}
	name, _ := enc.Encrypt("李四")
	if _, err := c.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{"name": name}}, enc); err != nil {
		t.Fatal(err)
	}
	c.Keys().Delete(srv.Platform.Serial)
	if enc, _ := c.NewSensitiveEncrypter(); enc.Serial() != older.Serial {
		t.Fatal(enc.Serial())
	}
	c.Keys().Delete(older.Serial)
	if _, err := c.NewSensitiveEncrypter(); !errors.Is(err, wechatpay.ErrNoEncryptionKey) {
		t.Fatal(err)
	}
	// A key of unknown validity is the last resort.
	c.Keys().Set("5157F09EFDC096DE15EBE81A47057A72", &older.Key.PublicKey)
	if enc, err := c.NewSensitiveEncrypter(); err != nil || enc.Serial() != "5157F09EFDC096DE15EBE81A47057A72" {
		t.Fatal(enc, err)
	}
	// Config.Certs gives a certificate's validity, in any of its forms.
	for _, form := range []any{srv.Platform.Cert, string(srv.Platform.CertPEM()), srv.Platform.CertPEM(), srv.Platform.Cert.Raw} {
		cfg := srv.Config()
		cfg.Certs = map[string]any{srv.Platform.Serial: form}
		c, err := wechatpay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := c.Keys().Lookup(srv.Platform.Serial)
		c.Close()
		if !info.NotBefore.Equal(srv.Platform.Cert.NotBefore) || !info.NotAfter.Equal(srv.Platform.Cert.NotAfter) {
			t.Fatalf("%T: %+v", form, info)
		}
	}
}

type signOnly struct{ k *rsa.PrivateKey }

func (s signOnly) Public() stdcrypto.PublicKey { return s.k.Public() }
func (s signOnly) Sign(r io.Reader, d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, d, o)
}

func TestDecryptSensitiveErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	if _, err := c.DecryptSensitive("bm90IGVuY3J5cHRlZA=="); !errors.Is(err, crypto.ErrCiphertext) {
		t.Fatal(err)
	}
	cfg := srv.Config()
	cfg.PrivateKey = signOnly{srv.Merchant.Key}
	kms, _ := wechatpay.New(cfg)
	defer kms.Close()
	if _, err := kms.DecryptSensitive("bm90IGVuY3J5cHRlZA=="); !errors.Is(err, wechatpay.ErrKeyCannotDecrypt) {
		t.Fatal("a key that cannot decrypt decrypted")
	}
	cfg = srv.Config()
	cfg.Serial, cfg.PrivateKey, cfg.Certs = "", nil, nil
	v2, _ := wechatpay.New(cfg)
	defer v2.Close()
	if _, err := v2.DecryptSensitive("x"); !errors.Is(err, wechatpay.ErrAPIv3NotConfigured) {
		t.Fatal(err)
	}
	if _, err := v2.NewSensitiveEncrypter(); !errors.Is(err, wechatpay.ErrNoEncryptionKey) {
		t.Fatal(err)
	}
}
