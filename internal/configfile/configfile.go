// Package configfile reads and writes the client configuration file that
// every wxpay command takes with -c FILE:
//
//	{"mchid": "1900000109", "serial": "<merchant certificate serial>",
//	 "private_key": "<path | file://path | PEM text | private.pkcs8://<base64> | base64 | pkcs11:… URI>",
//	 "certs": {"<platform certificate serial or PUB_KEY_ID_…>": "<path | PEM text | public.spki://<base64> | base64>"},
//	 "secret": "<APIv2 key>", "apiv3_key": "<APIv3 key>",
//	 "merchant": {"cert": "<path>", "key": "<path>"},
//	 "base_url": "https://api.mch.weixin.qq.com/"}
//
// A key or certificate is a path (relative to the file's folder), a
// file:// URL, PEM text, one of the SDK's scheme forms (private.pkcs8://,
// private.pkcs1://, public.spki://, public.pkcs1:// followed by base64 DER)
// or bare base64 DER. Any field may be left out when the calls made do not
// need it; an unknown field is an error. No error quotes a value that may
// be a key.
//
// private_key and merchant.key may also be the PKCS#11 URI (RFC 7512) of a
// key in an HSM, "pkcs11:token=…;object=…?module-path=…&pin-source=file:…",
// which a wxpay built with -tags pkcs11 opens (docs/signing.md).
package configfile

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/internal/safepath"
)

// File is the configuration file's content.
type File struct {
	MchID      string            `json:"mchid,omitempty"`       // merchant ID (商户号)
	Serial     string            `json:"serial,omitempty"`      // merchant API certificate serial
	PrivateKey string            `json:"private_key,omitempty"` // merchant API private key: path, file://path, PEM text, private.pkcs8://…, base64 or pkcs11: URI
	Certs      map[string]string `json:"certs,omitempty"`       // platform certificate serial or PUB_KEY_ID_… → path, PEM text, public.spki://… or base64
	Secret     string            `json:"secret,omitempty"`      // APIv2 key
	APIv3Key   string            `json:"apiv3_key,omitempty"`   // APIv3 key
	Merchant   *Merchant         `json:"merchant,omitempty"`    // merchant TLS certificate, for APIv2 security calls
	BaseURL    string            `json:"base_url,omitempty"`    // where calls go; WeChat Pay's API domain when empty
}

// Merchant names the merchant API certificate and key files, for APIv2
// calls over mutual TLS.
type Merchant struct {
	Cert string `json:"cert"` // apiclient_cert.pem: path or PEM text
	Key  string `json:"key"`  // apiclient_key.pem: path or PEM text
}

// Load reads the file at path and turns it into a wechatpay.Config.
func Load(path string) (wechatpay.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return wechatpay.Config{}, err
	}
	f, err := Parse(data)
	if err != nil {
		return wechatpay.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg, err := f.Config(filepath.Dir(path))
	if err != nil {
		return wechatpay.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes a configuration file, refusing unknown fields and trailing
// data.
func Parse(data []byte) (*File, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	f := &File{}
	if err := d.Decode(f); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the JSON object")
	}
	return f, nil
}

// Config turns f into a wechatpay.Config, reading the files it names;
// relative paths are taken from dir.
func (f *File) Config(dir string) (wechatpay.Config, error) {
	cfg := wechatpay.Config{MchID: f.MchID, Serial: f.Serial, BaseURL: f.BaseURL}
	var errs []error
	load := func(field, v string) any {
		k, err := keyValue(v, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return k
	}
	loadKey := func(field, v string) any {
		if isKeyURI(v) {
			// Opened by New (crypto.LoadSigner); a Secret, as the URI may
			// carry the PIN.
			return crypto.NewSecret(strings.TrimSpace(v))
		}
		return load(field, v)
	}
	if f.PrivateKey != "" {
		cfg.PrivateKey = loadKey("private_key", f.PrivateKey)
	}
	if len(f.Certs) > 0 {
		cfg.Certs = map[string]any{}
		for serial, v := range f.Certs {
			cfg.Certs[serial] = load(fmt.Sprintf("certs[%q]", serial), v)
		}
	}
	if f.Secret != "" {
		cfg.Secret = crypto.NewSecret(f.Secret)
	}
	if f.APIv3Key != "" {
		cfg.APIv3Key = crypto.NewSecret(f.APIv3Key)
	}
	if f.Merchant != nil {
		cfg.Merchant = &wechatpay.MerchantCert{Cert: load("merchant.cert", f.Merchant.Cert), Key: loadKey("merchant.key", f.Merchant.Key)}
	}
	return cfg, errors.Join(errs...)
}

// isKeyURI reports whether v names a key in a token rather than a file.
func isKeyURI(v string) bool {
	v = strings.TrimSpace(v)
	return len(v) > 7 && strings.EqualFold(v[:7], "pkcs11:")
}

// keySchemes are the SDK's inline forms of a key (crypto.LoadPrivateKey,
// crypto.LoadPublicKey): a scheme, then the key's base64 DER.
var keySchemes = []string{crypto.SchemePrivatePKCS8, crypto.SchemePrivatePKCS1, crypto.SchemePublicSPKI, crypto.SchemePublicPKCS1}

// keyValue turns a key or certificate field into what wechatpay.Config
// takes: PEM text and the SDK's scheme forms (private.pkcs8://…,
// public.spki://…) as they are, bare base64 of the DER decoded, anything
// else read as a file (relative to dir). Its errors never quote v unless it
// certainly is a path: a key pasted into the wrong field must not end up
// in a log.
func keyValue(v, dir string) (any, error) {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "-----BEGIN") {
		return []byte(v), nil
	}
	if strings.Contains(t, "-----BEGIN") {
		return nil, errors.New("is neither PEM text (which starts with -----BEGIN) nor a file path; not shown, as it holds key material")
	}
	for _, scheme := range keySchemes {
		if strings.HasPrefix(t, scheme) {
			return t, nil
		}
	}
	p := strings.TrimPrefix(t, "file://")
	if p == "" {
		return nil, errors.New("empty path")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	data, err := os.ReadFile(p)
	if err == nil {
		return data, nil
	}
	if !strings.HasPrefix(t, "file://") && safepath.IsBase64(t) && !safepath.Shown(t, filepath.Join(dir, t)) {
		der, derr := decodeBase64(t)
		if derr != nil {
			return nil, errors.New("looks like base64 of a key or certificate but does not decode (" + safepath.Hint(t) + ")")
		}
		return der, nil
	}
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		err = pe.Err // its text repeats the path
	}
	return nil, fmt.Errorf("is not PEM text, a private.pkcs8:// or public.spki:// form, base64 DER, or a file that can be read: cannot read %s: %w",
		safepath.Describe(t, p), err)
}

// decodeBase64 decodes standard base64, line breaks and missing padding
// allowed, as copied out of a PEM file.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Write saves f at path, readable by its owner only (it holds keys).
func Write(path string, f *File) error {
	// File and Merchant encode redacted; these types, with their fields
	// and tags but not their methods, encode the real content. The outer
	// merchant field hides the embedded one.
	type plainFile File
	type plainMerchant Merchant
	data, err := json.MarshalIndent(struct {
		plainFile
		Merchant *plainMerchant `json:"merchant,omitempty"`
	}{plainFile(*f), (*plainMerchant)(f.Merchant)}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}
