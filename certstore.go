package wechatpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// CertificateStore shares WeChat Pay's platform certificates (平台证书)
// between the clients of one merchant, across processes and machines, and
// elects the one that downloads them: see Config.CertificateStore and
// docs/scaling.md. MemoryCertificateStore serves the clients of one
// process; the redisstore package serves many.
//
// The store holds records it need not understand nor trust: a record is
// the v3/certificates answer as WeChat Pay signed it, which every client
// decrypts with its APIv3 key and verifies again when it loads it. A store
// that returns garbage, or a record that does not decrypt or verify, costs
// a *CertificateStoreError and nothing else: the client keeps what it
// holds.
//
// Methods are called with the merchant ID as it appears in Config.MchID
// and must be safe for concurrent use.
type CertificateStore interface {
	// LoadCertificates returns the record last saved for the merchant, or
	// nil and no error when there is none.
	LoadCertificates(ctx context.Context, mchid string) ([]byte, error)
	// SaveCertificates saves record for the merchant, replacing the one
	// before.
	SaveCertificates(ctx context.Context, mchid string, record []byte) error

	// AcquireLease gives the lease called name to holder for ttl, when no
	// other holder has it; it reports whether holder has it now (taking a
	// lease holder already has extends it). A lease lapses at the end of
	// its ttl, so that a holder that crashed is replaced.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// RenewLease extends holder's lease by ttl from now; it reports false,
	// changing nothing, when holder does not have it any more.
	RenewLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease ends holder's lease; it does nothing when holder does
	// not have it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Errors of a CertificateStore and of what it holds.
var (
	// ErrCertificateStore matches every *CertificateStoreError.
	ErrCertificateStore = errors.New("wechatpay: certificate store")
	// ErrCertificateRecord: the store holds a record that is not one, or
	// whose certificates do not decrypt with the APIv3 key, or whose
	// signature does not verify. The client does not use it.
	ErrCertificateRecord = errors.New("the stored certificate record cannot be trusted")
	// ErrNoCertificates: a client in certificate mode holds no platform
	// certificate to verify answers with, and could not get one from the
	// store or from WeChat Pay; the error wraps why. The request was not
	// sent.
	ErrNoCertificates = errors.New("wechatpay: no platform certificate to verify WeChat Pay's answers with")
)

// CertificateStoreError reports a CertificateStore that failed, or a
// record it returned that cannot be used (ErrCertificateRecord, wrapping
// the cause: a *CertificateError, a *VerifyError, a JSON error). The client
// reports it to CertificateRefresh.OnError and goes on with what it holds.
type CertificateStoreError struct {
	// Op is what was asked of the store: "load", "save", "lease" or
	// "release".
	Op string
	// Err is the cause.
	Err error
}

// Error says what failed.
func (e *CertificateStoreError) Error() string {
	return "wechatpay: certificate store: " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *CertificateStoreError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCertificateStore) true.
func (e *CertificateStoreError) Is(target error) bool { return target == ErrCertificateStore }

// certificateRecord is what a client saves in a CertificateStore: the
// v3/certificates answer exactly as received, with its signature, so that
// whoever loads it can check it as if it had downloaded it. Nothing in it
// is taken on trust: the certificates are encrypted under the APIv3 key
// (AES-256-GCM authenticates them), and the answer is signed by one of
// them at the time its Wechatpay-Timestamp says.
type certificateRecord struct {
	Version int               `json:"version"`
	Path    string            `json:"path"`
	Header  map[string]string `json:"header"`
	Body    []byte            `json:"body"`
}

// signatureHeaders are the answer headers a record keeps.
var signatureHeaders = []string{middleware.HeaderNonce, middleware.HeaderSerial, middleware.HeaderSignature, middleware.HeaderTimestamp}

// encodeCertificateRecord makes the record of a verified answer.
func encodeCertificateRecord(path string, resp *middleware.Response) ([]byte, error) {
	rec := certificateRecord{Version: 1, Path: path, Header: map[string]string{}, Body: resp.Body}
	for _, h := range signatureHeaders {
		rec.Header[h] = resp.Header.Get(h)
	}
	return json.Marshal(rec)
}

// openedRecord is a record that decrypted and verified.
type openedRecord struct {
	certs []*PlatformCertificate
	at    time.Time // the answer's Wechatpay-Timestamp
}

// openCertificateRecord decrypts and verifies a record: its certificates
// must decrypt with apiv3Key, and the answer's signature must verify with
// one of them (or a key known already) at the answer's own time, which
// must not be ahead of now by more than middleware.MaxClockOffset. The
// error wraps ErrCertificateRecord.
func openCertificateRecord(b []byte, apiv3Key crypto.Secret, known *middleware.Keys, now time.Time) (*openedRecord, error) {
	bad := func(err error) (*openedRecord, error) { return nil, fmt.Errorf("%w: %w", ErrCertificateRecord, err) }
	var rec certificateRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return bad(fmt.Errorf("not a certificate record: %w", err))
	}
	if rec.Version != 1 || len(rec.Body) == 0 {
		return bad(fmt.Errorf("not a certificate record of version 1 with a body (version %d)", rec.Version))
	}
	ts, err := strconv.ParseInt(rec.Header[middleware.HeaderTimestamp], 10, 64)
	if err != nil {
		return bad(fmt.Errorf("%s is not a Unix time", middleware.HeaderTimestamp))
	}
	at := time.Unix(ts, 0)
	if at.After(now.Add(middleware.MaxClockOffset)) {
		return bad(fmt.Errorf("signed at %s, ahead of the local clock", at.UTC().Format(time.RFC3339)))
	}
	certs, err := decryptCertificates(rec.Body, apiv3Key)
	if err != nil {
		return bad(err)
	}
	h := http.Header{}
	for _, name := range signatureHeaders {
		h.Set(name, rec.Header[name])
	}
	if err := middleware.VerifySignature(newDeliveredKeys(certs, known), h, rec.Body, at); err != nil {
		return bad(&VerifyError{Err: err})
	}
	return &openedRecord{certs: certs, at: at}, nil
}

// MemoryCertificateStore is a CertificateStore in process memory: the
// clients given the same one share their platform certificates and make
// one download between them. It is what a client in certificate mode uses
// when Config.CertificateStore is nil, alone. The zero value is ready to
// use.
type MemoryCertificateStore struct {
	mu      sync.Mutex
	records map[string][]byte
	leases  map[string]memoryLease
}

type memoryLease struct {
	holder string
	until  time.Time
}

// NewMemoryCertificateStore returns an empty store.
func NewMemoryCertificateStore() *MemoryCertificateStore { return &MemoryCertificateStore{} }

// LoadCertificates returns a copy of the merchant's record, or nil.
func (s *MemoryCertificateStore) LoadCertificates(_ context.Context, mchid string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.records[mchid]; ok {
		return append([]byte(nil), rec...), nil
	}
	return nil, nil
}

// SaveCertificates keeps a copy of record.
func (s *MemoryCertificateStore) SaveCertificates(_ context.Context, mchid string, record []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.records == nil {
		s.records = map[string][]byte{}
	}
	s.records[mchid] = append([]byte(nil), record...)
	return nil
}

// AcquireLease gives holder the lease when it is free, lapsed or holder's.
func (s *MemoryCertificateStore) AcquireLease(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if l, ok := s.leases[name]; ok && l.holder != holder && now.Before(l.until) {
		return false, nil
	}
	if s.leases == nil {
		s.leases = map[string]memoryLease{}
	}
	s.leases[name] = memoryLease{holder: holder, until: now.Add(ttl)}
	return true, nil
}

// RenewLease extends holder's lease, if it has not lapsed.
func (s *MemoryCertificateStore) RenewLease(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	l, ok := s.leases[name]
	if !ok || l.holder != holder || !now.Before(l.until) {
		return false, nil
	}
	s.leases[name] = memoryLease{holder: holder, until: now.Add(ttl)}
	return true, nil
}

// ReleaseLease ends holder's lease.
func (s *MemoryCertificateStore) ReleaseLease(_ context.Context, name, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}
