// Package configfile reads and writes the client configuration file that
// every wxpay command takes with -c FILE:
//
//	{"mchid": "1900000109", "serial": "<merchant certificate serial>",
//	 "private_key": "<path | file://path | PEM text | pkcs11:… URI>",
//	 "certs": {"<platform certificate serial or PUB_KEY_ID_…>": "<path | PEM text>"},
//	 "secret": "<APIv2 key>", "apiv3_key": "<APIv3 key>",
//	 "merchant": {"cert": "<path>", "key": "<path>"},
//	 "base_url": "https://api.mch.weixin.qq.com/"}
//
// Relative paths are relative to the file's folder. Any field may be left
// out when the calls made do not need it; an unknown field is an error.
//
// private_key and merchant.key may also be the PKCS#11 URI (RFC 7512) of a
// key in an HSM, "pkcs11:token=…;object=…?module-path=…&pin-source=file:…",
// which a wxpay built with -tags pkcs11 opens (docs/signing.md).
package configfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
)

// File is the configuration file's content.
type File struct {
	MchID      string            `json:"mchid,omitempty"`       // merchant ID (商户号)
	Serial     string            `json:"serial,omitempty"`      // merchant API certificate serial
	PrivateKey string            `json:"private_key,omitempty"` // merchant API private key: path, file://path, PEM text or pkcs11: URI
	Certs      map[string]string `json:"certs,omitempty"`       // platform certificate serial or PUB_KEY_ID_… → path or PEM text
	Secret     string            `json:"secret,omitempty"`      // APIv2 key
	APIv3Key   string            `json:"apiv3_key,omitempty"`   // APIv3 key
	Merchant   *Merchant         `json:"merchant,omitempty"`    // merchant TLS certificate, for APIv2 security calls
	BaseURL    string            `json:"base_url,omitempty"`    // where calls go; WeChat Pay's API domain when empty
}

// Merchant names the merchant API certificate and key files, for APIv2
// calls over mutual TLS.
type Merchant struct {
	Cert string `json:"cert"` // apiclient_cert.pem: path or PEM text
	Key  string `json:"key"`  // apiclient_key.pem: path, PEM text or pkcs11: URI
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
	load := func(field, v string) []byte {
		b, err := pemOrFile(v, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
		}
		return b
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

// pemOrFile returns PEM text as it is, or the content of the file a path
// or file:// URL names. A value that is neither is never quoted in the
// error: it may be a key.
func pemOrFile(v, dir string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
		return []byte(v), nil
	}
	if strings.Contains(v, "-----BEGIN") || strings.ContainsAny(v, "\r\n") {
		return nil, errors.New("is neither PEM text (which starts with -----BEGIN) nor a file path")
	}
	p := strings.TrimPrefix(v, "file://")
	if p == "" {
		return nil, errors.New("empty path")
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return os.ReadFile(p)
}

// Write saves f at path, readable by its owner only (it holds keys).
func Write(path string, f *File) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o600)
}
