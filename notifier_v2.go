package wechatpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"unicode/utf8"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// V2Notification is a verified APIv2 notification. Fields, ReqInfo and
// EventData hold only authenticated data; Unverified holds what nothing
// authenticates.
type V2Notification struct {
	// Fields are the notification's fields, every one covered by its
	// verified sign. Nil for a refund notification (退款结果通知), which
	// carries no sign: its content is ReqInfo.
	Fields map[string]any
	// ReqInfo holds the decrypted req_info of a refund notification: all
	// that authenticates it, as far as decryption under the APIv2 key does
	// (see ParseV2Notification).
	ReqInfo map[string]any
	// Unverified holds the fields of a refund notification outside its
	// req_info (return_code, appid, mch_id, sub_mch_id, sub_appid,
	// nonce_str): WeChat Pay does not sign them, so anyone may have
	// written them. Never act on them; the refund is in ReqInfo.
	Unverified map[string]string
	// EventData holds the decrypted event_ciphertext of an event
	// notification (e.g. TRANSACTION.SUCCESS of 免押租借).
	EventData map[string]any
	// Header holds the notification's HTTP headers.
	Header http.Header
}

// Field returns a signed field of the notification as a string; "" for a
// field it does not have, and for every field of a refund notification
// (read ReqInfo there).
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
//     in constant time. The sign covers text fields only: a nested or
//     repeated element is refused (ErrUnsignedFields). A failure is a
//     *VerifyError.
//   - A refund notification (退款结果通知) carries no sign: its req_info is
//     decrypted with AES-256-ECB under the MD5 of the APIv2 key, which
//     authenticates it only as far as a correct padding does; confirm the
//     refund with a query before acting on large amounts. Its other fields
//     are authenticated by nothing: they go to Unverified, not Fields, and
//     a field WeChat Pay does not send there (a sign, an event_id, an
//     out_trade_no) or a nested one makes it a *VerifyError
//     (ErrUnsignedFields).
//   - An event_ciphertext is decrypted with AES-256-GCM under the APIv3 key.
func (nf *Notifier) ParseV2Notification(header http.Header, body []byte) (*V2Notification, error) {
	if nf.secret.IsZero() {
		return nil, fmt.Errorf("%w: APIv2 notifications need Config.Secret", ErrNotifierKey)
	}
	fields, err := transformer.ToMap(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotificationMalformed, err)
	}
	n := &V2Notification{Header: header}
	secret := nf.secret.Reveal()
	defer clear(secret)

	if _, ok := fields["req_info"]; ok {
		envelope, err := refundEnvelope(fields)
		if err != nil {
			return nil, &VerifyError{Err: err}
		}
		plain, err := crypto.DecryptAESECB(crypto.ECBKeyFromAPIv2Key(secret), envelope["req_info"])
		if err != nil {
			return nil, fmt.Errorf("%w: req_info: %w", ErrNotificationDecrypt, err)
		}
		if n.ReqInfo, err = decodeEventData(plain); err != nil {
			return nil, fmt.Errorf("%w: req_info: %v", ErrNotificationMalformed, err)
		}
		n.Unverified = envelope
		return n, nil
	}

	if err := verifyV2Sign(fields, secret); err != nil {
		return nil, &VerifyError{Err: err}
	}
	n.Fields = fields
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

// refundEnvelopeFields are the fields WeChat Pay documents outside the
// req_info of a refund notification (webhook v2/refund-processed).
var refundEnvelopeFields = map[string]bool{
	"return_code": true, "return_msg": true, "appid": true, "mch_id": true,
	"sub_mch_id": true, "sub_appid": true, "nonce_str": true, "req_info": true,
}

// refundEnvelope checks the unsigned fields of a refund notification:
// only the documented ones, each a text field. Anything else would be
// readable beside the decrypted req_info without anything vouching for it.
func refundEnvelope(fields map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	var bad []string
	for k, v := range fields {
		s, ok := v.(string)
		if !ok || !refundEnvelopeFields[k] {
			bad = append(bad, k)
			continue
		}
		out[k] = s
	}
	if len(bad) == 0 {
		return out, nil
	}
	sort.Strings(bad)
	name := clip(bad[0])
	if _, ok := fields[bad[0]].(string); !ok {
		return nil, fmt.Errorf("%w: a refund notification's <%s> is nested or repeated", ErrUnsignedFields, name)
	}
	return nil, fmt.Errorf("%w: a refund notification's <%s> is outside req_info, where WeChat Pay sends no such field", ErrUnsignedFields, name)
}

// clip shortens a name a peer chose before it goes into an error message.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
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
