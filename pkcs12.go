package wechatpay

import (
	stdcrypto "crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/internal/safepath"
)

// loadPKCS12 opens apiclient_cert.p12, the merchant API certificate and key
// as WeChat Pay's merchant platform (商户平台) hands them out: a PKCS#12
// file locked with the merchant ID, in the legacy RC2/3DES encryption that
// go-pkcs12 reads. src is a path (optionally "file://"), or the file's bytes
// (DER, or its base64 as kept in an environment variable, as a []byte or a
// string). password falls back to mchid when empty.
//
// Errors never quote the password.
func loadPKCS12(src any, password crypto.Secret, mchid string) (*x509.Certificate, stdcrypto.Signer, []*x509.Certificate, error) {
	var der []byte
	switch v := src.(type) {
	case string:
		path := strings.TrimPrefix(v, "file://")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			der = b
		case path == v && safepath.IsBase64(v) && !safepath.Shown(v, path):
			der = []byte(v) // the file's base64, as kept in an environment variable
		default:
			// The error's text repeats the path, which may be a secret
			// pasted into the wrong field: only its cause is kept.
			if pe, ok := errors.AsType[*fs.PathError](err); ok {
				err = pe.Err
			}
			return nil, nil, nil, fmt.Errorf("PKCS12: cannot read %s: %w (want a path to apiclient_cert.p12, or its bytes)", safepath.Describe(v, path), err)
		}
	case []byte:
		der = v
	default:
		return nil, nil, nil, fmt.Errorf("PKCS12: unsupported type %T: use a path or the file's bytes", src)
	}
	if len(der) > 0 && der[0] != 0x30 { // not an ASN.1 SEQUENCE: maybe base64
		b64 := strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, string(der))
		if b, err := base64.StdEncoding.DecodeString(b64); err == nil {
			der = b
		}
	}
	pw := password.Reveal()
	defer clear(pw)
	if len(pw) == 0 {
		pw = []byte(mchid)
	}
	key, cert, chain, err := pkcs12.DecodeChain(der, string(pw))
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		hint := "set MerchantCert.Password"
		if password.IsZero() {
			hint = "it was tried with the merchant ID (Config.MchID), which WeChat Pay uses; set MerchantCert.Password if yours differs"
		}
		return nil, nil, nil, fmt.Errorf("PKCS12: the password does not open it: %s", hint)
	case err != nil:
		return nil, nil, nil, fmt.Errorf("PKCS12: not a PKCS#12 certificate and key (apiclient_cert.p12): %w", err)
	}
	signer, ok := key.(stdcrypto.Signer)
	if !ok {
		return nil, nil, nil, fmt.Errorf("PKCS12: its key (%T) cannot sign", key)
	}
	return cert, signer, chain, nil
}
