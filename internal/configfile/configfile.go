// Package configfile writes the client configuration file that
// wechatpay.LoadConfig reads and every wxpay command takes with -c FILE:
// `wxpay sandbox` writes one for itself. LoadConfig documents the keys.
package configfile

import (
	"encoding/json"
	"os"
)

// File is the configuration file's content, with the keys
// wechatpay.LoadConfig reads.
type File struct {
	MchID      string            `json:"mchid,omitempty"`       // merchant ID (商户号)
	Serial     string            `json:"serial,omitempty"`      // merchant API certificate serial
	PrivateKey string            `json:"private_key,omitempty"` // merchant API private key: path, file://path, PEM text, private.pkcs8://…, base64 or pkcs11: URI
	Certs      map[string]string `json:"certs,omitempty"`       // platform certificate serial or PUB_KEY_ID_… → path, PEM text, public.spki://… or base64
	Secret     string            `json:"secret,omitempty"`      // APIv2 key
	APIv3Key   string            `json:"apiv3_key,omitempty"`   // APIv3 key
	Merchant   *Merchant         `json:"merchant,omitempty"`    // merchant TLS certificate, for APIv2 security calls
	BaseURL    string            `json:"base_url,omitempty"`    // where calls go; WeChat Pay's API domain when empty
	TLSCA      string            `json:"tls_ca,omitempty"`      // the API server's TLS roots (a sandbox over HTTPS): path or PEM text
}

// Merchant names the merchant API certificate and key files, for APIv2
// calls over mutual TLS.
type Merchant struct {
	Cert string `json:"cert"` // apiclient_cert.pem: path or PEM text
	Key  string `json:"key"`  // apiclient_key.pem: path or PEM text
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
