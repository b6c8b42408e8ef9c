package crypto

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The PHP suite's PemUtilTest subject, as the Makefile writes it.
var mockSubject = map[string]string{
	"commonName":          "WeChatPay Community CI",
	"organizationName":    "WeChatPay Community",
	"stateOrProvinceName": "Shanghai",
	"countryName":         "CN",
}

func subjectMap(n pkix.Name) map[string]string {
	m := map[string]string{}
	if n.CommonName != "" {
		m["commonName"] = n.CommonName
	}
	for k, v := range map[string][]string{"organizationName": n.Organization, "stateOrProvinceName": n.Province, "countryName": n.Country} {
		if len(v) > 0 {
			m[k] = strings.Join(v, ",")
		}
	}
	return m
}

// TestPemUtil ports PemUtilTest: loading the certificate and the key from a
// path and from a string, and the serial number from each form.
func TestPemUtil(t *testing.T) {
	serial := strings.TrimSpace(readFixture(t, "mock.serial.txt"))
	certFile, certString := fixture("mock.sha256.crt"), readFixture(t, "mock.sha256.crt")
	for _, src := range []string{certFile, certString, SchemeFile + certFile} {
		cert, err := LoadCertificate(src)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(subjectMap(cert.Subject)) != fmt.Sprint(mockSubject) || fmt.Sprint(subjectMap(cert.Issuer)) != fmt.Sprint(mockSubject) {
			t.Fatalf("subject %v issuer %v", cert.Subject, cert.Issuer)
		}
		if got := CertificateSerial(cert); got != serial {
			t.Fatalf("CertificateSerial = %s, want %s", got, serial)
		}
	}
	for _, src := range []string{fixture("mock.pkcs8.key"), readFixture(t, "mock.pkcs8.key")} {
		if _, err := LoadPrivateKey(src); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCertificateSerial covers the Node fixtures' serials (high bit set, so
// DER adds a sign byte that must not show) and the leading-zero behaviour of
// OpenSSL's BN_bn2hex that PHP returns.
func TestCertificateSerial(t *testing.T) {
	for file, want := range map[string]string{"apiserver_cert.pem": "BE2A2344B984167B", "apiclient_cert.pem": "898DBAD30F416EC7"} {
		cert, err := LoadCertificate(fixture(file))
		if err != nil {
			t.Fatal(err)
		}
		if got := CertificateSerial(cert); got != want {
			t.Fatalf("%s: %s, want %s", file, got, want)
		}
	}
	s := func(hex string) *big.Int { n, _ := new(big.Int).SetString(hex, 16); return n }
	for _, tc := range []struct {
		n    *big.Int
		want string
	}{
		{big.NewInt(0), "0"},
		{big.NewInt(1), "01"},
		{big.NewInt(0x80), "80"},
		{big.NewInt(1000), "03E8"},
		{big.NewInt(4095), "0FFF"},
		{big.NewInt(4096), "1000"},
		{big.NewInt(9999), "270F"},
		{big.NewInt(-0x3E8), "-03E8"},
		{s("0A0B0C0D0E0F101112131415161718191A1B1C1D"), "0A0B0C0D0E0F101112131415161718191A1B1C1D"},
		{s("5157F09EFDC096DE15EBE81A47057A7232F1B8E1"), "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"},
	} {
		if got := CertificateSerial(&x509.Certificate{SerialNumber: tc.n}); got != tc.want {
			t.Fatalf("serial %x: %s, want %s", tc.n, got, tc.want)
		}
	}
	if CertificateSerial(nil) != "" || CertificateSerial(&x509.Certificate{}) != "" {
		t.Fatal("nil certificate or serial should give an empty string")
	}
}

// TestGeneratedCertificate ports the older PemUtilTest, which made a key and
// a self-signed certificate at run time with serial mt_rand(1000, 9999) and
// expected sprintf('%04X', serial).
func TestGeneratedCertificate(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	name := pkix.Name{CommonName: "WeChatPay Community CI", Organization: []string{"WeChatPay Community"}, Province: []string{"Shanghai"}, Country: []string{"CN"}}
	for _, serial := range []int64{1000, 4095, 4096, 9999, 1000 + mrand.Int64N(9000)} {
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: name, NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().AddDate(0, 0, 1)}
		der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
		for _, data := range [][]byte{certPEM, der} {
			cert, err := ParseCertificate(data)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := CertificateSerial(cert), fmt.Sprintf("%04X", serial); got != want {
				t.Fatalf("serial %d: %s, want %s", serial, got, want)
			}
			if fmt.Sprint(subjectMap(cert.Subject)) != fmt.Sprint(mockSubject) || cert.Issuer.String() != cert.Subject.String() {
				t.Fatalf("subject %v issuer %v", cert.Subject, cert.Issuer)
			}
			if err := CheckValidity(cert, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		loaded, err := LoadPrivateKey(string(keyPEM))
		if err != nil || !loaded.Equal(key) {
			t.Fatalf("LoadPrivateKey: %v", err)
		}
		pub, err := LoadPublicKey(string(certPEM))
		if err != nil || !pub.Equal(&key.PublicKey) {
			t.Fatalf("LoadPublicKey: %v", err)
		}
	}
}

func TestCheckValidity(t *testing.T) {
	cert, err := LoadCertificate(fixture("apiserver_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Date(2020, 6, 21, 2, 54, 47, 0, time.UTC)
	notAfter := time.Date(2047, 11, 6, 2, 54, 47, 0, time.UTC)
	if !cert.NotBefore.Equal(notBefore) || !cert.NotAfter.Equal(notAfter) {
		t.Fatalf("validity %v - %v", cert.NotBefore, cert.NotAfter)
	}
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{notBefore.Add(-time.Second), ErrCertificateNotYetValid},
		{notBefore, nil},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{notAfter, nil},
		{notAfter.Add(time.Second), ErrCertificateExpired},
	} {
		err := CheckValidity(cert, tc.at)
		if tc.want == nil {
			if err != nil {
				t.Fatalf("%v: %v", tc.at, err)
			}
			continue
		}
		wantErr(t, err, tc.want)
		wantErr(t, err, ErrCertificate)
		var ve *ValidityError
		if !errors.As(err, &ve) || ve.Serial != "BE2A2344B984167B" || !ve.At.Equal(tc.at) || !ve.NotAfter.Equal(notAfter) {
			t.Fatalf("%#v", ve)
		}
		if !strings.Contains(err.Error(), "BE2A2344B984167B") {
			t.Fatalf("message lacks the serial: %v", err)
		}
		t.Log(err)
	}
	// The PHP recipe's certificate lives one day.
	mock, err := LoadCertificate(fixture("mock.sha256.crt"))
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, CheckValidity(mock, mock.NotAfter.Add(time.Hour)), ErrCertificateExpired)
	wantErr(t, CheckValidity(nil, time.Now()), ErrCertificate)
}

func TestLoadCertificateErrors(t *testing.T) {
	secrets := []string{readFixture(t, "mock.pkcs8.key"), bareBase64(t, "mock.pkcs8.key")}
	certPEM := readFixture(t, "mock.sha256.crt")
	for name, src := range map[string]string{
		"empty":             "",
		"private key PEM":   readFixture(t, "mock.pkcs8.key"),
		"private key file":  fixture("apiclient_key.pem"),
		"public key PEM":    readFixture(t, "mock.spki.pem"),
		"scheme":            SchemePublicSPKI + bareBase64(t, "mock.spki.pem"),
		"private scheme":    SchemePrivatePKCS8 + bareBase64(t, "mock.pkcs8.key"),
		"truncated":         certPEM[:len(certPEM)-40],
		"corrupted body":    strings.Replace(certPEM, "\n", "\n%", 3),
		"inner body broken": dropLine(certPEM, 5),
		"missing file":      fixture("nope.crt"),
		"bare base64":       bareBase64(t, "mock.pkcs8.key"),
	} {
		_, err := LoadCertificate(src)
		wantErr(t, err, ErrCertificate, secrets...)
		t.Logf("%s: %v", name, err)
	}
	for name, data := range map[string][]byte{"nil": nil, "garbage": []byte("garbage"), "private DER": pemBody(t, "mock.pkcs1.key")} {
		_, err := ParseCertificate(data)
		wantErr(t, err, ErrCertificate, secrets...)
		t.Logf("%s: %v", name, err)
	}
}
