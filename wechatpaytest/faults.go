package wechatpaytest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/callctx"
)

// A Fault makes the server misbehave on purpose, to test what a client does
// when WeChat Pay, or the network, fails. Arm faults for one route with
// Server.Fault or for every route with Server.FaultAll:
//
//	srv.Fault("POST v3/refund/domestic/refunds", wechatpaytest.ResetAfterHeaders().Once())
//	srv.FaultAll(wechatpaytest.Latency(2 * time.Second))
//
// A fault applies to every matching request until ClearFaults, or to the
// next n ones with Times(n) (Once is Times(1)). Several faults may be armed
// together: a Latency then a BadSignature, say.
//
// What each does:
//   - Latency(d): waits d before answering (or until the client gives up).
//   - ResetBeforeHeaders: reads the request, then resets the connection
//     without a byte of answer.
//   - ResetAfterHeaders: sends the status line and headers, then resets.
//   - TruncatedBody: sends the headers and half of the body, then closes.
//   - ServerError(status): answers status (5xx) with SYSTEM_ERROR.
//   - TooManyRequests: answers 429 FREQUENCY_LIMITED.
//   - RetryAfter(v), on ServerError or TooManyRequests: adds the header
//     Retry-After: v (seconds, or an HTTP date) to the answer.
//   - StaleTimestamp: signs the answer with a timestamp ten minutes old.
//   - BadSignature: sends a signature that does not match the answer (for
//     APIv2, a wrong sign).
//   - MissingHeaders: leaves out Wechatpay-Signature (for APIv2, the sign).
//   - SignTestProbe: sends a WECHATPAY/SIGNTEST/ probe signature.
//   - UnknownSerial: signs with a key whose serial the client does not know.
//
// The request is received and recorded (see Received and Count) in every
// case: these are failures after the server got the call.
type Fault struct {
	kind       faultKind
	delay      time.Duration
	status     int
	retryAfter string // the Retry-After of a status fault, when not empty
	times      int    // 0: until cleared
}

type faultKind int

const (
	faultLatency faultKind = iota + 1
	faultResetBeforeHeaders
	faultResetAfterHeaders
	faultTruncatedBody
	faultStatus
	faultStaleTimestamp
	faultBadSignature
	faultMissingHeaders
	faultSignTest
	faultUnknownSerial
)

// Latency delays the answer by d.
func Latency(d time.Duration) Fault { return Fault{kind: faultLatency, delay: d} }

// ResetBeforeHeaders resets the connection after reading the request,
// before any byte of the answer.
func ResetBeforeHeaders() Fault { return Fault{kind: faultResetBeforeHeaders} }

// ResetAfterHeaders resets the connection after the status line and
// headers, before the body.
func ResetAfterHeaders() Fault { return Fault{kind: faultResetAfterHeaders} }

// TruncatedBody closes the connection after half of the body that
// Content-Length announces.
func TruncatedBody() Fault { return Fault{kind: faultTruncatedBody} }

// ServerError answers status, a 5xx, with WeChat Pay's SYSTEM_ERROR (or an
// APIv2 FAIL).
func ServerError(status int) Fault { return Fault{kind: faultStatus, status: status} }

// TooManyRequests answers 429 with WeChat Pay's FREQUENCY_LIMITED.
func TooManyRequests() Fault { return Fault{kind: faultStatus, status: http.StatusTooManyRequests} }

// StaleTimestamp signs APIv3 answers with a Wechatpay-Timestamp ten minutes
// in the past: the signature is valid, the time is not.
func StaleTimestamp() Fault { return Fault{kind: faultStaleTimestamp} }

// BadSignature sends a signature that does not match the answer: APIv3's
// Wechatpay-Signature, or APIv2's sign.
func BadSignature() Fault { return Fault{kind: faultBadSignature} }

// MissingHeaders leaves Wechatpay-Signature out of APIv3 answers, and the
// sign out of APIv2 ones.
func MissingHeaders() Fault { return Fault{kind: faultMissingHeaders} }

// SignTestProbe sends a WECHATPAY/SIGNTEST/ signature, the probe WeChat Pay
// uses to check that merchants verify answers.
func SignTestProbe() Fault { return Fault{kind: faultSignTest} }

// UnknownSerial signs APIv3 answers with a key, and names a serial, that
// the client's Config does not have.
func UnknownSerial() Fault { return Fault{kind: faultUnknownSerial} }

// RetryAfter adds Retry-After: v to the answer of a ServerError or
// TooManyRequests fault: a number of seconds ("2") or an HTTP date
// (time.Now().Add(d).UTC().Format(http.TimeFormat)).
func (f Fault) RetryAfter(v string) Fault { f.retryAfter = v; return f }

// Times limits the fault to the next n matching requests.
func (f Fault) Times(n int) Fault { f.times = n; return f }

// Once limits the fault to the next matching request.
func (f Fault) Once() Fault { return f.Times(1) }

type armedFault struct {
	method, route string // "" matches any
	fault         Fault
	left          int // requests left; -1 until cleared
}

// Fault arms faults on one route: a template as in HandleFunc
// ("v3/pay/transactions/native"), optionally prefixed by a method
// ("POST v3/pay/transactions/native").
func (s *Server) Fault(route string, faults ...Fault) {
	method, template := splitRoute(route)
	s.arm(method, template, faults)
}

// FaultAll arms faults on every route, and on paths no route matches.
func (s *Server) FaultAll(faults ...Fault) { s.arm("", "", faults) }

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

func (s *Server) arm(method, route string, fs []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		left := -1
		if f.times > 0 {
			left = f.times
		}
		s.faults = append(s.faults, &armedFault{method: method, route: route, fault: f, left: left})
	}
}

// splitRoute splits "POST v3/…" into its method and template.
func splitRoute(route string) (method, template string) {
	if m, t, ok := strings.Cut(route, " "); ok {
		return strings.ToUpper(m), strings.TrimSpace(t)
	}
	return "", route
}

// faults are the faults that apply to one request.
type faults []Fault

// faultsFor takes the faults armed for a request, using up counted ones.
func (s *Server) faultsFor(method, route string) faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out faults
	kept := s.faults[:0]
	for _, a := range s.faults {
		if (a.method == "" || a.method == method) && (a.route == "" || a.route == route) && a.left != 0 {
			out = append(out, a.fault)
			if a.left > 0 {
				a.left--
			}
		}
		if a.left != 0 {
			kept = append(kept, a)
		}
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return out
}

func (f faults) has(k faultKind) bool {
	for _, x := range f {
		if x.kind == k {
			return true
		}
	}
	return false
}

// wait sleeps for the Latency faults; false when the client left first.
func (f faults) wait(ctx context.Context) bool {
	var d time.Duration
	for _, x := range f {
		if x.kind == faultLatency {
			d += x.delay
		}
	}
	return d <= 0 || callctx.Sleep(ctx, d) == nil
}

// replace swaps ans for the error answer of a status fault.
func (f faults) replace(req *Request, ans *Answer) *Answer {
	for _, x := range f {
		if x.kind != faultStatus {
			continue
		}
		code := "SYSTEM_ERROR"
		if x.status == http.StatusTooManyRequests {
			code = "FREQUENCY_LIMITED"
		}
		a := ErrorJSON(x.status, code, http.StatusText(x.status))
		if req.Protocol == "v2" {
			a = FailV2(code)
			a.Status = x.status
		}
		if x.retryAfter != "" {
			a.Header = http.Header{"Retry-After": {x.retryAfter}}
		}
		return a
	}
	return ans
}

// signV3 returns the Wechatpay-* headers of an answer, signed at a stale
// time or with an unknown key when f says so.
func (f faults) signV3(s *Server, signer *Identity, body []byte) map[string]string {
	key, serial := s.answerKey()
	if signer != nil && s.mode == CertificateMode {
		key, serial = signer.Key, signer.Serial
	}
	now := s.now()
	if f.has(faultStaleTimestamp) {
		now = now.Add(-10 * time.Minute)
	}
	if f.has(faultUnknownSerial) {
		keys, _ := sharedKeys()
		key, serial = keys[0], strings.ToUpper(hex.EncodeToString(randomBytes(20)))
	}
	if f.has(faultBadSignature) {
		body = append(append([]byte(nil), body...), " tampered"...)
	}
	return signV3Answer(key, serial, now, body)
}

// tamperV3 applies the header faults to signed APIv3 headers.
func (f faults) tamperV3(h http.Header) {
	if f.has(faultSignTest) {
		h.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+base64.StdEncoding.EncodeToString(randomBytes(64)))
	}
	if f.has(faultMissingHeaders) {
		h.Del("Wechatpay-Signature")
	}
}

// tamperV2 applies the sign faults to signed APIv2 fields.
func (f faults) tamperV2(fields map[string]string) {
	if f.has(faultBadSignature) {
		fields["sign"] = strings.Repeat("0", len(fields["sign"]))
	}
	if f.has(faultMissingHeaders) {
		delete(fields, "sign")
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
