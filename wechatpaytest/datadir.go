package wechatpaytest

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DataFile is the name of the file WithDataDir keeps the server in.
const DataFile = "wechatpaytest.json"

// ErrDataDirBusy is returned by Start (and panicked by NewServer) when
// another server, in this process or another, runs on the data directory:
// drive that one through its /_sandbox/ routes instead.
var ErrDataDirBusy = errors.New("wechatpaytest: the data directory is in use by another server")

// dataVersion is the layout of DataFile; a file of another is refused.
const dataVersion = 1

// dataFile is what a data directory keeps: the identities and keys that
// make the server's Config, its last address, and its state.
type dataFile struct {
	Version  int     `json:"version"`
	Addr     string  `json:"addr,omitempty"` // reused on restart, so the Config's URL stays
	MchID    string  `json:"mchid"`
	Secret   string  `json:"secret"`    // the APIv2 key
	APIv3Key string  `json:"apiv3_key"` // the APIv3 key
	Merchant keyPair `json:"merchant"`
	// Platforms are the platform certificates, oldest first; the last
	// signs (see RotatePlatformCertificate).
	Platforms   []keyPair      `json:"platforms"`
	PublicKey   keyPair        `json:"public_key"`
	PublicKeyID string         `json:"public_key_id"`
	TLS         *keyPair       `json:"tls,omitempty"` // the HTTPS server's, once it served HTTPS
	Orders      []storedOrder  `json:"orders"`
	Refunds     []storedRefund `json:"refunds"`
}

// keyPair is a private key (PKCS#8 PEM) and its certificate (PEM).
type keyPair struct {
	Key  string `json:"key"`
	Cert string `json:"cert"`
}

type storedOrder struct {
	Order
	Digest   string `json:"digest"`
	SignType string `json:"sign_type,omitempty"`
}

type storedRefund struct {
	Refund
	Digest string `json:"digest"`
}

// WithDataDir keeps the server in dir, in one file (DataFile) written
// atomically on every change: its merchant ID, identities (merchant,
// platform certificates, WeChat Pay public key) and APIv2 and APIv3 keys,
// the HTTPS certificate, its address, and its orders and refunds. A server
// started again with the same dir has the same Config (the same URL when
// its last address is free and no WithListener is given) and the same
// orders; refunds still PROCESSING complete as if it had not stopped.
// Notifications under way when it stopped are not sent again. A new dir
// is made with the server's fresh identities.
//
// Two servers cannot share a dir: the second gets ErrDataDirBusy (on
// systems with flock). The file holds private keys: keep it to yourself
// (it is written readable by its owner only).
func WithDataDir(dir string) Option { return func(s *Server) { s.dataDir = dir } }

func (s *Server) dataPath() string { return filepath.Join(s.dataDir, DataFile) }

// openDataDir loads the data directory's file into s, or makes it.
func (s *Server) openDataDir() error {
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("wechatpaytest: data directory: %w", err)
	}
	unlock, err := lockDataDir(s.dataDir)
	if err != nil {
		return fmt.Errorf("%w: %s", err, s.dataDir)
	}
	s.unlock = unlock
	if err := s.loadOrCreate(); err != nil {
		s.releaseDataDir()
		return err
	}
	return nil
}

// releaseDataDir drops the data directory's lock.
func (s *Server) releaseDataDir() {
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
}

func (s *Server) loadOrCreate() error {
	raw, err := os.ReadFile(s.dataPath())
	if errors.Is(err, fs.ErrNotExist) {
		s.st.save = s.saveLocked
		return s.saveLocked()
	}
	if err != nil {
		return fmt.Errorf("wechatpaytest: data directory: %w", err)
	}
	if err := s.load(raw); err != nil {
		return fmt.Errorf("wechatpaytest: %s: %w", s.dataPath(), err)
	}
	s.st.save = s.saveLocked
	return nil
}

// load sets s from a data file.
func (s *Server) load(raw []byte) error {
	var df dataFile
	if err := json.Unmarshal(raw, &df); err != nil {
		return err
	}
	if df.Version != dataVersion {
		return fmt.Errorf("version %d, want %d", df.Version, dataVersion)
	}
	if s.mchIDSet && s.MchID != df.MchID {
		return fmt.Errorf("the directory is merchant %s's, not %s's (WithMchID)", df.MchID, s.MchID)
	}
	var err error
	if s.Merchant, err = df.Merchant.identity(); err != nil {
		return fmt.Errorf("merchant: %w", err)
	}
	if s.PublicKey, err = df.PublicKey.identity(); err != nil {
		return fmt.Errorf("public_key: %w", err)
	}
	if len(df.Platforms) == 0 {
		return errors.New("no platform certificate")
	}
	s.platforms = nil
	for i, p := range df.Platforms {
		id, err := p.identity()
		if err != nil {
			return fmt.Errorf("platforms[%d]: %w", i, err)
		}
		s.platforms = append(s.platforms, id)
	}
	s.Platform = s.platforms[len(s.platforms)-1]
	if df.TLS != nil {
		cert, err := tls.X509KeyPair([]byte(df.TLS.Cert), []byte(df.TLS.Key))
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		s.tlsCertificate = &cert
	}
	s.MchID, s.Secret, s.APIv3Key, s.PublicKeyID, s.addr = df.MchID, df.Secret, df.APIv3Key, df.PublicKeyID, df.Addr
	for i := range df.Orders {
		o := df.Orders[i].Order
		o.digest, o.signType = df.Orders[i].Digest, df.Orders[i].SignType
		s.st.addOrder(&o)
	}
	for i := range df.Refunds {
		rf := df.Refunds[i].Refund
		rf.digest = df.Refunds[i].Digest
		s.st.addRefund(&rf)
	}
	return nil
}

// saveLocked writes the data file; the caller holds st.mu.
func (s *Server) saveLocked() error {
	s.mu.Lock()
	df := dataFile{
		Version: dataVersion, Addr: s.addr, MchID: s.MchID, Secret: s.Secret, APIv3Key: s.APIv3Key,
		Merchant: pairOf(s.Merchant), PublicKey: pairOf(s.PublicKey), PublicKeyID: s.PublicKeyID,
	}
	for _, p := range s.platforms {
		df.Platforms = append(df.Platforms, pairOf(p))
	}
	if c := s.tlsCertificate; c != nil {
		der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
		if err == nil {
			df.TLS = &keyPair{
				Key:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
				Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})),
			}
		}
	}
	s.mu.Unlock()
	df.Orders = []storedOrder{}
	for _, o := range s.st.orders {
		df.Orders = append(df.Orders, storedOrder{Order: *o, Digest: o.digest, SignType: o.signType})
	}
	df.Refunds = []storedRefund{}
	for _, rf := range s.st.refunds {
		df.Refunds = append(df.Refunds, storedRefund{Refund: *rf, Digest: rf.digest})
	}
	raw, err := json.MarshalIndent(df, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.dataPath(), raw)
}

// save writes the data file, when the server has a data directory.
func (s *Server) save() error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if s.st.save == nil {
		return nil
	}
	return s.st.save()
}

func pairOf(id *Identity) keyPair {
	return keyPair{Key: string(id.KeyPEM()), Cert: string(id.CertPEM())}
}

func (p keyPair) identity() (*Identity, error) {
	kb, _ := pem.Decode([]byte(p.Key))
	cb, _ := pem.Decode([]byte(p.Cert))
	if kb == nil || cb == nil {
		return nil, errors.New("not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("the certificate is not the key's")
	}
	return &Identity{Key: key, Cert: cert, Serial: strings.ToUpper(fmt.Sprintf("%040x", cert.SerialNumber))}, nil
}

// writeFileAtomic replaces path with data: written to a temporary file
// beside it, synced, then renamed over it, so that a crash leaves the old
// file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // the rename itself; not every system syncs a directory
		d.Close()
	}
	return nil
}
