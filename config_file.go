package wechatpay

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/internal/safepath"
)

// LoadConfig reads a JSON configuration file, the one the wxpay command
// takes with -c FILE and `wxpay sandbox` writes, so that a Go service and
// the command line share one file:
//
//	{"mchid": "1900000109", "serial": "<merchant certificate serial>",
//	 "private_key": "<path | file://path | PEM text | private.pkcs8://<base64> | base64 | pkcs11:… URI>",
//	 "certs": {"<platform certificate serial or PUB_KEY_ID_…>": "<path | PEM text | public.spki://<base64> | base64>"},
//	 "secret": "<APIv2 key>", "apiv3_key": "<APIv3 key>",
//	 "merchant": {"cert": "<path>", "key": "<path>"},
//	 "base_url": "https://api.mch.weixin.qq.com/",
//	 "tls_ca": "<path | PEM text>"}
//
// A key or certificate is a path (relative to the file's folder), a
// file:// URL, PEM text, one of the SDK's scheme forms (private.pkcs8://,
// private.pkcs1://, public.spki://, public.pkcs1:// followed by base64 DER)
// or bare base64 DER. private_key and merchant.key may also be the PKCS#11
// URI (RFC 7512) of a key in an HSM, which New opens (a program built with
// -tags pkcs11, docs/signing.md). tls_ca, the certificates that sign the
// API server's TLS certificate (a sandbox over HTTPS), replaces the
// system's roots. Any key may be left out when the calls made do not need
// it; an unknown key is an error, so that a misspelt one is not ignored.
//
// Each problem is a *ConfigFileError naming the key as the file writes it
// (errors.Is(err, ErrConfig) holds); a file that cannot be read gives the
// reason (errors.Is(err, fs.ErrNotExist) for a missing one). No error
// quotes a value that may be a key. LoadConfig only reads: New checks what
// it returns, and fields the file has no key for (Timeout, Proxy, …) may
// be set in between.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // its text repeats the path
		}
		return Config{}, &ConfigFileError{Path: path, Err: err}
	}
	f, err := parseConfigFile(data)
	if err != nil {
		return Config{}, &ConfigFileError{Path: path, Err: err}
	}
	cfg, err := f.config(path)
	if err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ConfigFileError reports a configuration file LoadConfig cannot use.
type ConfigFileError struct {
	// Path is the file.
	Path string
	// Key is the key at fault as the file writes it: "private_key",
	// `certs["PUB_KEY_ID_…"]`, "merchant.key"; "" for the file as a whole
	// (it cannot be read, is not JSON, has an unknown key).
	Key string
	// Err says what is wrong.
	Err error
}

func (e *ConfigFileError) Error() string {
	msg := "wechatpay: " + e.Path + ": "
	if e.Key != "" {
		msg += e.Key + ": "
	}
	return msg + e.Err.Error()
}

func (e *ConfigFileError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigFileError) Is(target error) bool { return target == ErrConfig }

// configFile is the configuration file's content. internal/configfile
// writes the same keys.
type configFile struct {
	MchID      string            `json:"mchid"`
	Serial     string            `json:"serial"`
	PrivateKey string            `json:"private_key"`
	Certs      map[string]string `json:"certs"`
	Secret     string            `json:"secret"`
	APIv3Key   string            `json:"apiv3_key"`
	Merchant   *struct {
		Cert string `json:"cert"`
		Key  string `json:"key"`
	} `json:"merchant"`
	BaseURL string `json:"base_url"`
	TLSCA   string `json:"tls_ca"`
}

// parseConfigFile decodes a configuration file, refusing unknown keys and
// trailing data.
func parseConfigFile(data []byte) (*configFile, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	f := &configFile{}
	if err := d.Decode(f); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the JSON object")
	}
	return f, nil
}

// config turns f, read from path, into a Config, reading the files it
// names; relative paths are taken from path's folder. Every problem is a
// *ConfigFileError, joined.
func (f *configFile) config(path string) (Config, error) {
	cfg := Config{MchID: f.MchID, Serial: f.Serial, BaseURL: f.BaseURL}
	dir := filepath.Dir(path)
	var errs []error
	load := func(key, v string) any {
		k, err := configKeyValue(v, dir)
		if err != nil {
			errs = append(errs, &ConfigFileError{Path: path, Key: key, Err: err})
		}
		return k
	}
	loadKey := func(key, v string) any {
		if isKeyURI(v) {
			// Opened by New (crypto.LoadSigner); a Secret, as the URI may
			// carry the PIN.
			return crypto.NewSecret(strings.TrimSpace(v))
		}
		return load(key, v)
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
		cfg.Merchant = &MerchantCert{Cert: load("merchant.cert", f.Merchant.Cert), Key: loadKey("merchant.key", f.Merchant.Key)}
	}
	if f.TLSCA != "" {
		if pool, err := rootsFrom(load("tls_ca", f.TLSCA)); err != nil {
			errs = append(errs, &ConfigFileError{Path: path, Key: "tls_ca", Err: err})
		} else if pool != nil {
			cfg.TLSConfig = &tls.Config{RootCAs: pool}
		}
	}
	return cfg, errors.Join(errs...)
}

// rootsFrom makes a pool of the PEM certificates in v, as configKeyValue
// returned it; nil for nil (an error reported already).
func rootsFrom(v any) (*x509.CertPool, error) {
	var data []byte
	switch v := v.(type) {
	case []byte:
		data = v
	case string:
		data = []byte(v)
	default:
		return nil, nil
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a certificate does not parse: %w", err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, errors.New("holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	return pool, nil
}

// isKeyURI reports whether v names a key in a token rather than a file.
func isKeyURI(v string) bool {
	v = strings.TrimSpace(v)
	return len(v) > 7 && strings.EqualFold(v[:7], "pkcs11:")
}

// configKeySchemes are the SDK's inline forms of a key
// (crypto.LoadPrivateKey, crypto.LoadPublicKey): a scheme, then the key's
// base64 DER.
var configKeySchemes = []string{crypto.SchemePrivatePKCS8, crypto.SchemePrivatePKCS1, crypto.SchemePublicSPKI, crypto.SchemePublicPKCS1}

// configKeyValue turns a key or certificate value of the file into what
// Config takes: PEM text and the SDK's scheme forms (private.pkcs8://…,
// public.spki://…) as they are, bare base64 of the DER decoded, anything
// else read as a file (relative to dir). Its errors never quote v unless
// it certainly is a path: a key pasted into the wrong field must not end
// up in a log.
func configKeyValue(v, dir string) (any, error) {
	t := strings.TrimSpace(v)
	if strings.HasPrefix(t, "-----BEGIN") {
		return []byte(v), nil
	}
	if strings.Contains(t, "-----BEGIN") {
		return nil, errors.New("is neither PEM text (which starts with -----BEGIN) nor a file path; not shown, as it holds key material")
	}
	for _, scheme := range configKeySchemes {
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
		der, derr := decodeBase64DER(t)
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

// decodeBase64DER decodes standard base64, line breaks and missing padding
// allowed, as copied out of a PEM file.
func decodeBase64DER(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
