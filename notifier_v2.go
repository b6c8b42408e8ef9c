package wechatpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// V2Notification is a verified APIv2 notification.
type V2Notification struct {
	// Fields are the notification's XML fields.
	Fields map[string]any
	// ReqInfo holds the decrypted req_info of a refund notification
	// (退款结果通知).
	ReqInfo map[string]any
	// EventData holds the decrypted event_ciphertext of an event
	// notification (e.g. TRANSACTION.SUCCESS of 免押租借).
	EventData map[string]any
	// Header holds the notification's HTTP headers.
	Header http.Header
}

// Field returns a field of the notification as a string.
func (n *V2Notification) Field(name string) string {
	s, _ := n.Fields[name].(string)
	return s
}

// RequestID returns the notification's Request-ID header.
func (n *V2Notification) RequestID() string { return n.Header.Get("Request-ID") }

// ParseV2Notification verifies an APIv2 notification and decrypts what it
// carries encrypted.
//
//   - A signed notification is checked first: the sign over the byte-sorted
//     k=v&… string of its fields, keyed with the APIv2 key, with the hash
//     named by sign_type (or algorithm), MD5 when neither is given, compared
//     in constant time. A failure is a *VerifyError.
//   - A refund notification (退款结果通知) carries no sign: its req_info is
//     decrypted with AES-256-ECB under the MD5 of the APIv2 key, which
//     authenticates it only as far as a correct padding does; confirm the
//     refund with a query before acting on large amounts.
//   - An event_ciphertext is decrypted with AES-256-GCM under the APIv3 key.
func (nf *Notifier) ParseV2Notification(header http.Header, body []byte) (*V2Notification, error) {
	if nf.secret.IsZero() {
		return nil, fmt.Errorf("%w: APIv2 notifications need Config.Secret", ErrNotifierKey)
	}
	fields, err := transformer.ToMap(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotificationMalformed, err)
	}
	n := &V2Notification{Fields: fields, Header: header}
	secret := nf.secret.Reveal()
	defer clear(secret)

	if reqInfo, ok := fields["req_info"].(string); ok {
		plain, err := crypto.DecryptAESECB(crypto.ECBKeyFromAPIv2Key(secret), reqInfo)
		if err != nil {
			return nil, fmt.Errorf("%w: req_info: %w", ErrNotificationDecrypt, err)
		}
		if n.ReqInfo, err = decodeEventData(plain); err != nil {
			return nil, fmt.Errorf("%w: req_info: %v", ErrNotificationMalformed, err)
		}
		return n, nil
	}

	if err := verifyV2Sign(fields, secret); err != nil {
		return nil, &VerifyError{Err: err}
	}
	if ct, ok := fields["event_ciphertext"].(string); ok {
		if nf.apiv3Key.IsZero() {
			return nil, fmt.Errorf("%w: event_ciphertext needs Config.APIv3Key", ErrNotifierKey)
		}
		key := nf.apiv3Key.Reveal()
		defer clear(key)
		nonce, _ := fields["event_nonce"].(string)
		aad, _ := fields["event_associated_data"].(string)
		plain, err := crypto.DecryptAESGCM(key, []byte(nonce), ct, []byte(aad))
		if err != nil {
			return nil, fmt.Errorf("%w: event_ciphertext: %w", ErrNotificationDecrypt, err)
		}
		if n.EventData, err = decodeEventData(plain); err != nil {
			return nil, fmt.Errorf("%w: event_ciphertext: %v", ErrNotificationMalformed, err)
		}
	}
	return n, nil
}

// verifyV2Sign checks the sign of APIv2 notification fields, with the hash
// the notification names.
func verifyV2Sign(fields map[string]any, secret []byte) error {
	signType, _ := fields["sign_type"].(string)
	if signType == "" {
		signType, _ = fields["algorithm"].(string)
	}
	if signType == "" {
		signType = crypto.SignTypeMD5
	}
	return middleware.VerifyV2Sign(fields, signType, secret)
}

// decodeEventData reads decrypted data: XML, or JSON.
func decodeEventData(b []byte) (map[string]any, error) {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var m map[string]any
		err := json.Unmarshal(t, &m)
		return m, err
	}
	return transformer.ToMap(b)
}

// V2Answer returns the XML an APIv2 notification is answered with:
// <xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>,
// or FAIL and msg, upon which WeChat Pay sends the notification again.
func V2Answer(ok bool, msg string) []byte {
	code := "FAIL"
	if ok {
		code = "SUCCESS"
		if msg == "" {
			msg = "OK"
		}
	}
	b, err := transformer.ToXML([]formatter.Pair{{Key: "return_code", Value: code}, {Key: "return_msg", Value: msg}})
	if err != nil { // a message that cannot be XML text
		b, _ = transformer.ToXML([]formatter.Pair{{Key: "return_code", Value: code}, {Key: "return_msg", Value: code}})
	}
	return b
}
