package wechatpay

import (
	"context"
	stdcrypto "crypto"
	"errors"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// ErrNoEncryptionKey: the client knows no WeChat Pay public key and no
// platform certificate valid now, to encrypt sensitive fields with.
var ErrNoEncryptionKey = errors.New("wechatpay: no WeChat Pay public key (PUB_KEY_ID_…) or currently valid platform certificate to encrypt sensitive fields with: add one to Config.Certs, or start a certificate refresh")

// ErrKeyCannotDecrypt: the merchant private key is a crypto.Signer (a KMS
// or HSM key, say) that is not also a crypto.Decrypter, so answers'
// encrypted fields cannot be opened with it.
var ErrKeyCannotDecrypt = errors.New("wechatpay: the merchant private key (Config.PrivateKey) is a crypto.Signer that cannot decrypt: give one that is also a crypto.Decrypter")

// SensitiveEncrypter encrypts the sensitive fields (敏感信息: names, ID
// numbers, phone numbers, bank accounts) of one request for WeChat Pay, with
// RSAES-OAEP (crypto.EncryptOAEP) under one WeChat Pay key, and names that
// key in the request's Wechatpay-Serial header, as WeChat Pay requires.
//
// It is itself an option of the call, adding that header:
//
//	enc, err := client.NewSensitiveEncrypter()
//	name, err := enc.Encrypt("张三")
//	res, err := client.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{
//		"json": wechatpay.M{"type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": name, …},
//	}, enc)
//
// Encrypt every field of one request with the same SensitiveEncrypter.
type SensitiveEncrypter struct {
	serial string
	key    middleware.KeyInfo

	mu   sync.Mutex
	made []string // the ciphertexts, which Config.Logger's records redact
}

// NewSensitiveEncrypter picks the key to encrypt with from the client's
// keys: the WeChat Pay public key (PUB_KEY_ID_…) when one is configured,
// else the newest platform certificate valid now (the most recent
// NotBefore), else a platform key of unknown validity. It fails with
// ErrNoEncryptionKey when there is none.
func (c *Client) NewSensitiveEncrypter() (*SensitiveEncrypter, error) {
	info, ok := encryptionKey(c.keys.All(), time.Now())
	if !ok {
		return nil, ErrNoEncryptionKey
	}
	return &SensitiveEncrypter{serial: info.Serial, key: info}, nil
}

// encryptionKey picks the key sensitive fields are encrypted with.
func encryptionKey(keys []middleware.KeyInfo, now time.Time) (middleware.KeyInfo, bool) {
	var pub, cert, bare *middleware.KeyInfo
	for i := range keys {
		k := &keys[i]
		switch {
		case k.IsPublicKey():
			pub = k
		case !k.HasValidity():
			bare = k
		case k.ValidAt(now):
			if cert == nil || k.NotBefore.After(cert.NotBefore) ||
				k.NotBefore.Equal(cert.NotBefore) && k.NotAfter.After(cert.NotAfter) {
				cert = k
			}
		}
	}
	for _, k := range []*middleware.KeyInfo{pub, cert, bare} {
		if k != nil {
			return *k, true
		}
	}
	return middleware.KeyInfo{}, false
}

// Encrypt encrypts one field and returns it in base64, as the request
// carries it.
func (e *SensitiveEncrypter) Encrypt(plaintext string) (string, error) {
	ct, err := crypto.EncryptOAEP(e.key.PublicKey, []byte(plaintext))
	if err == nil {
		e.mu.Lock()
		e.made = append(e.made, ct)
		e.mu.Unlock()
	}
	return ct, err
}

type sensitiveKey struct{}

// withSensitive notes in ctx the ciphertexts made by the SensitiveEncrypters
// among a call's options, for the call's log record to redact.
func withSensitive(ctx context.Context, opts []Opts) context.Context {
	var made []string
	for _, o := range opts {
		if e, ok := o.(*SensitiveEncrypter); ok && e != nil {
			e.mu.Lock()
			made = append(made, e.made...)
			e.mu.Unlock()
		}
	}
	if made == nil {
		return ctx
	}
	return context.WithValue(ctx, sensitiveKey{}, made)
}

func sensitiveOf(ctx context.Context) []string {
	made, _ := ctx.Value(sensitiveKey{}).([]string)
	return made
}

// Serial returns the serial or public key ID of the key the fields are
// encrypted with, which the Wechatpay-Serial header carries.
func (e *SensitiveEncrypter) Serial() string { return e.serial }

func (e *SensitiveEncrypter) options() (*Options, error) {
	return &Options{Headers: map[string]string{middleware.HeaderSerial: e.serial}}, nil
}

// DecryptSensitive decrypts a sensitive field of an answer, which WeChat Pay
// encrypted with the merchant certificate's public key, using the merchant
// private key (Config.PrivateKey). The key must be able to decrypt: an
// *rsa.PrivateKey, or a crypto.Signer that is also a crypto.Decrypter.
func (c *Client) DecryptSensitive(ciphertext string) (string, error) {
	if c.signer == nil {
		return "", ErrAPIv3NotConfigured
	}
	d, ok := c.signer.(stdcrypto.Decrypter)
	if !ok {
		return "", ErrKeyCannotDecrypt
	}
	b, err := crypto.DecryptOAEP(d, ciphertext)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
