package pkcs11

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Signer is an RSA private key held in a PKCS#11 token (an HSM, a cloud
// KMS's PKCS#11 library, SoftHSM): it signs and decrypts inside the token,
// and the key never leaves it. It implements crypto.Signer,
// middleware.ContextSigner and crypto.Decrypter (RSA-OAEP only), so
// wechatpay.Config.PrivateKey takes it, and the client signs requests and
// payments and decrypts sensitive fields (敏感信息) with it.
//
// A Signer is safe for concurrent use: each signature takes one of the
// Signer's sessions, at most x-max-sessions (DefaultMaxSessions) at once;
// SignContext waits for a free one only as long as its context lets it.
// Every signature is checked with the public key before it is returned, so
// a faulty token's answer is never sent.
//
// When the token loses the login or the sessions (it restarted, a network
// HSM failed over: CKR_USER_NOT_LOGGED_IN, CKR_SESSION_HANDLE_INVALID,
// CKR_DEVICE_REMOVED…), the Signer logs in again, once the operations under
// way have ended, finds the same key, and retries the operation once; it
// tries again at most once a second while the token stays away.
//
// Close logs out and releases the sessions. Printed with fmt, encoded as
// JSON or logged with slog, a Signer shows which token and key it uses,
// never the PIN, which it keeps (as a crypto.Secret) only to log in again.
type Signer struct {
	pub *rsa.PublicKey
	uri *keyURI // the token, the key and the PIN, to log in again

	// slots hold one token per operation under way; holding one allows
	// reading key and gen, holding all allows replacing them.
	slots chan struct{}
	key   tokenKey // nil when logging in again failed
	gen   uint64   // counts the logins after the first

	reopenMu  sync.Mutex // one login again at a time
	lastLogin time.Time  // when the last login again was tried
	lastErr   error      // and how it failed

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
}

// relogPause is how often a Signer tries to log in again while its token
// stays unreachable; calls in between fail at once with the last error.
const relogPause = time.Second

// errNoSession is the cause of an operation attempted after logging in
// again failed.
var errNoSession = errors.New("no session: logging in again to the token failed")

// tokenKey is the key inside the token, as the PKCS#11 binding serves it.
type tokenKey interface {
	sign(digest []byte, opts stdcrypto.SignerOpts) ([]byte, error)
	decrypt(ciphertext []byte, opts *rsa.OAEPOptions) ([]byte, error)
	close() error
}

// Open logs in to the token a PKCS#11 URI (RFC 7512) names and finds the
// RSA private key in it:
//
//	pkcs11:token=wechatpay;object=apiclient;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin
//
// The path names the token by exactly one of token (its label), serial or
// slot-id, and the key by object (its label), id (its CKA_ID,
// percent-encoded) or both; type, when given, is "private". The query
// names the vendor's library with module-path (else $WECHATPAY_PKCS11_MODULE)
// and the user PIN with pin-source (a file, "file:/path") or pin-value
// (else $WECHATPAY_PKCS11_PIN); x-max-sessions bounds the sessions used at
// once (DefaultMaxSessions). Other attributes are refused rather than
// ignored.
//
// The token must hold the public key (or a certificate) beside the private
// key, with the same id, as key generation leaves it. Errors match the
// Err… sentinels; they never quote the URI or the PIN. A build without the
// "pkcs11" tag or cgo fails with ErrUnavailable.
func Open(uri string) (*Signer, error) {
	if !Available {
		return nil, ErrUnavailable
	}
	u, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	key, pub, err := openKey(u)
	if err != nil {
		return nil, err
	}
	return &Signer{
		pub: pub, uri: u, key: key,
		slots: make(chan struct{}, u.maxSessions),
		done:  make(chan struct{}),
	}, nil
}

// Public returns the *rsa.PublicKey of the key.
func (s *Signer) Public() stdcrypto.PublicKey {
	if s == nil || s.pub == nil {
		return nil
	}
	return s.pub
}

// Sign signs digest in the token: RSA PKCS#1 v1.5 for a crypto.Hash
// (WeChat Pay's SHA256-RSA2048 passes crypto.SHA256), RSA-PSS for
// *rsa.PSSOptions with an explicit salt length or PSSSaltLengthEqualsHash
// (TLS client certificates). rand is not used: the token has its own.
func (s *Signer) Sign(rand io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	return s.SignContext(context.Background(), rand, digest, opts)
}

// signable are the hashes whose digests the token signs (PKCS#11 knows
// their DigestInfo prefixes and PSS parameters).
var signable = map[stdcrypto.Hash]bool{
	stdcrypto.SHA1: true, stdcrypto.SHA224: true, stdcrypto.SHA256: true, stdcrypto.SHA384: true, stdcrypto.SHA512: true,
}

// SignContext is Sign, waiting for a free session only until ctx is done.
// A signature under way in the token is not interrupted: PKCS#11 cannot.
func (s *Signer) SignContext(ctx context.Context, _ io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	if opts == nil || !signable[opts.HashFunc()] {
		return nil, fail(ErrToken, "the digest must be a SHA-2 (or SHA-1) hash named by opts", nil)
	}
	if h := opts.HashFunc(); len(digest) != h.Size() {
		return nil, fail(ErrToken, fmt.Sprintf("the digest is %d bytes, but %v digests are %d", len(digest), h, h.Size()), nil)
	}
	var sig []byte
	err := s.withKey(ctx, func(k tokenKey) (err error) {
		sig, err = k.sign(digest, opts)
		return err
	})
	if err != nil {
		return nil, s.opError("signing with", err)
	}
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		err = rsa.VerifyPSS(s.pub, pss.Hash, digest, sig, pss)
	} else {
		err = rsa.VerifyPKCS1v15(s.pub, opts.HashFunc(), digest, sig)
	}
	if err != nil {
		return nil, fail(ErrToken, "the signature "+s.uri.String()+" made does not verify with its public key; it was not used", nil)
	}
	return sig, nil
}

// Decrypt decrypts an RSA-OAEP ciphertext in the token, such as a
// sensitive field (敏感信息) WeChat Pay encrypted with the merchant
// certificate's key (OAEP with SHA-1). opts must be *rsa.OAEPOptions:
// PKCS#1 v1.5 decryption is refused (Bleichenbacher), as in package crypto.
func (s *Signer) Decrypt(_ io.Reader, ciphertext []byte, opts stdcrypto.DecrypterOpts) ([]byte, error) {
	oaep, ok := opts.(*rsa.OAEPOptions)
	if !ok || oaep == nil {
		return nil, fail(ErrToken, fmt.Sprintf("only RSA-OAEP decryption is offered (*rsa.OAEPOptions), not %T", opts), nil)
	}
	if oaep.MGFHash != 0 && oaep.MGFHash != oaep.Hash {
		return nil, fail(ErrToken, "OAEP with an MGF1 hash other than its label hash is not offered", nil)
	}
	var pt []byte
	err := s.withKey(context.Background(), func(k tokenKey) (err error) {
		pt, err = k.decrypt(ciphertext, oaep)
		return err
	})
	if err != nil {
		return nil, s.opError("decrypting with", err)
	}
	return pt, nil
}

// withKey runs op with the key under one session slot. When the token lost
// the login or the sessions, it logs in again and runs op once more.
func (s *Signer) withKey(ctx context.Context, op func(tokenKey) error) error {
	for retried := false; ; retried = true {
		if err := s.acquire(ctx); err != nil {
			return err
		}
		key, gen := s.key, s.gen
		err := errNoSession
		if key != nil {
			err = op(key)
		}
		s.release()
		if err == nil || retried || !(err == errNoSession || sessionLost(err)) {
			return err
		}
		if rerr := s.relogin(ctx, gen); rerr != nil {
			return &reloginError{lost: err, relogin: rerr}
		}
	}
}

// relogin replaces the key of login generation gen with the same key found
// after logging in afresh, once no operation uses it. It does nothing when
// another call did it already, and fails at once with the last error when
// it was tried less than relogPause ago.
func (s *Signer) relogin(ctx context.Context, gen uint64) error {
	s.reopenMu.Lock()
	defer s.reopenMu.Unlock()
	if s.gen != gen && s.key != nil {
		return nil
	}
	if time.Since(s.lastLogin) < relogPause && s.lastErr != nil {
		return s.lastErr
	}
	taken := 0
	defer func() {
		for range taken {
			s.release()
		}
	}()
	for taken < cap(s.slots) {
		select {
		case s.slots <- struct{}{}:
			taken++
		case <-s.done:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.key != nil {
		s.key.close()
		s.key = nil
	}
	key, pub, err := openKey(s.uri)
	if err == nil && !pub.Equal(s.pub) {
		key.close()
		err = fail(ErrKeyNotFound, "after logging in again, "+s.uri.String()+" is another key than before", nil)
	}
	s.lastLogin, s.lastErr = time.Now(), err
	if err != nil {
		return err
	}
	s.key = key
	s.gen++
	return nil
}

// reloginError is an operation that failed as the token lost its session,
// and logging in again failed too.
type reloginError struct{ lost, relogin error }

func (e *reloginError) Error() string {
	return fmt.Sprintf("the token lost the session (%v), and logging in again failed: %v", e.lost, e.relogin)
}

func (e *reloginError) Unwrap() []error { return []error{e.relogin, e.lost} }

// opError describes a failed operation: what was done with which key, and
// why. The errors of acquire say so already.
func (s *Signer) opError(what string, err error) error {
	if _, ok := err.(*failure); ok || err == ErrClosed || err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	return fail(ErrToken, what+" "+s.uri.String()+" failed", err)
}

// Close waits for the signatures under way, then closes the sessions and
// logs out. Later calls fail with ErrClosed. Close may be called more than
// once.
func (s *Signer) Close() error {
	if s == nil || s.slots == nil {
		return nil
	}
	s.closeOnce.Do(func() {
		close(s.done)
		for range cap(s.slots) {
			s.slots <- struct{}{} // waits for each session in use to come back
		}
		if s.key == nil {
			return // logging in again had failed: nothing is open
		}
		if err := s.key.close(); err != nil {
			s.closeErr = fail(ErrToken, "closing "+s.uri.String(), err)
		}
	})
	return s.closeErr
}

// acquire takes a session slot, waiting while all are in use.
func (s *Signer) acquire(ctx context.Context) error {
	if s == nil || s.slots == nil {
		return fail(ErrClosed, "the Signer was not made by Open", nil)
	}
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	select {
	case s.slots <- struct{}{}:
	case <-s.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-s.done: // Close began while this call waited
		s.release()
		return ErrClosed
	default:
		return nil
	}
}

func (s *Signer) release() { <-s.slots }

// String names the token and key, and the key's size.
func (s *Signer) String() string {
	if s == nil || s.uri == nil {
		return "pkcs11.Signer{}"
	}
	return fmt.Sprintf("pkcs11.Signer{%s, RSA-%d}", s.uri, s.pub.N.BitLen())
}

// GoString is String, so that %#v does not walk the fields either.
func (s *Signer) GoString() string { return s.String() }

// Format prints String for every verb.
func (s *Signer) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// MarshalJSON describes the Signer as String does.
func (s *Signer) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue describes the Signer to log/slog: token, object, id and size.
func (s *Signer) LogValue() slog.Value {
	if s == nil || s.uri == nil {
		return slog.StringValue(s.String())
	}
	u := s.uri
	attrs := []slog.Attr{}
	switch {
	case u.token != "":
		attrs = append(attrs, slog.String("token", u.token))
	case u.serial != "":
		attrs = append(attrs, slog.String("token_serial", u.serial))
	case u.slot != nil:
		attrs = append(attrs, slog.Int("slot", *u.slot))
	}
	if u.object != "" {
		attrs = append(attrs, slog.String("object", u.object))
	}
	if len(u.id) > 0 {
		attrs = append(attrs, slog.String("id", hex.EncodeToString(u.id)))
	}
	return slog.GroupValue(append(attrs, slog.Int("bits", s.pub.N.BitLen()))...)
}
