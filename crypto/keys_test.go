package crypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// privateSources are the private-key inputs of the PHP suite's
// keyPhrasesDataProvider (the OpenSSL resource and [key, passphrase] rows have
// no Go counterpart), PemUtil::loadPrivateKey's plain path, and the Node
// suite's PKCS#8 apiclient_key.pem as file contents.
func privateSources(t testing.TB) map[string]string {
	return map[string]string{
		"`private.pkcs1://` string":               SchemePrivatePKCS1 + bareBase64(t, "mock.pkcs1.key"),
		"`private.pkcs8://` string":               SchemePrivatePKCS8 + bareBase64(t, "mock.pkcs8.key"),
		"`file://` PKCS#1 privateKey path string": SchemeFile + fixture("mock.pkcs1.key"),
		"PKCS#1 privateKey contents":              readFixture(t, "mock.pkcs1.key"),
		"`file://` PKCS#8 privateKey path string": SchemeFile + fixture("mock.pkcs8.key"),
		"PKCS#8 privateKey contents":              readFixture(t, "mock.pkcs8.key"),
		"PKCS#1 privateKey plain path":            fixture("mock.pkcs1.key"),
		"PKCS#8 privateKey plain path":            fixture("mock.pkcs8.key"),
	}
}

// publicSources are the public-key inputs of the same provider.
func publicSources(t testing.TB) map[string]string {
	return map[string]string{
		"`public.spki://` string":              SchemePublicSPKI + bareBase64(t, "mock.spki.pem"),
		"`public.pkcs1://` string":             SchemePublicPKCS1 + bareBase64(t, "mock.pkcs1.pem"),
		"`file://` SPKI publicKey path string": SchemeFile + fixture("mock.spki.pem"),
		"SKPI publicKey contents":              readFixture(t, "mock.spki.pem"),
		"pkcs1 publicKey contents":             readFixture(t, "mock.pkcs1.pem"),
		"`file://` x509 certificate string":    SchemeFile + fixture("mock.sha256.crt"),
		"x509 certificate contents string":     readFixture(t, "mock.sha256.crt"),
		"SPKI publicKey plain path":            fixture("mock.spki.pem"),
		"pkcs1 publicKey file://":              SchemeFile + fixture("mock.pkcs1.pem"),
	}
}

func TestLoadPrivateKeySources(t *testing.T) {
	want := mustPrivate(t, "mock.pkcs8.key")
	for name, src := range privateSources(t) {
		t.Run(name, func(t *testing.T) {
			k, err := LoadPrivateKey(src)
			if err != nil {
				t.Fatal(err)
			}
			if !k.Equal(want) || k.N.BitLen() != 2048 {
				t.Fatal("loaded a different key")
			}
		})
	}
	// PEM after OpenSSL's PKCS#12 export preamble.
	if _, err := LoadPrivateKey("Bag Attributes\n    localKeyID: 01 \n" + readFixture(t, "mock.pkcs8.key")); err != nil {
		t.Fatal(err)
	}
	// Node suite: PKCS#8 PEM as text and as a file.
	for _, src := range []string{readFixture(t, "apiclient_key.pem"), fixture("apiclient_key.pem")} {
		if _, err := LoadPrivateKey(src); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadPublicKeySources(t *testing.T) {
	want := &mustPrivate(t, "mock.pkcs8.key").PublicKey
	for name, src := range publicSources(t) {
		t.Run(name, func(t *testing.T) {
			k, err := LoadPublicKey(src)
			if err != nil {
				t.Fatal(err)
			}
			if !k.Equal(want) {
				t.Fatal("loaded a different key")
			}
		})
	}
	// Node suite: the platform certificate as bytes (Buffer) and as text.
	node := &mustPrivate(t, "apiclient_key.pem").PublicKey
	for _, src := range []string{readFixture(t, "apiserver_cert.pem"), fixture("apiserver_cert.pem"), fixture("apiclient_cert.pem")} {
		k, err := LoadPublicKey(src)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Equal(node) {
			t.Fatal("certificate key differs from apiclient_key.pem")
		}
	}
}

// TestFromSchemes ports testFromPkcs8, testFromPkcs1 and testFromSpki: bare
// base64 bodies (matching BASE64_EXPRESSION) load behind their scheme.
func TestFromSchemes(t *testing.T) {
	for _, tc := range []struct{ file, scheme string }{
		{"mock.pkcs8.key", SchemePrivatePKCS8},
		{"mock.pkcs1.key", SchemePrivatePKCS1},
		{"mock.pkcs1.pem", SchemePublicPKCS1},
		{"mock.spki.pem", SchemePublicSPKI},
	} {
		body := bareBase64(t, tc.file)
		if !base64Pattern.MatchString(body) {
			t.Fatalf("%s: body is not base64", tc.file)
		}
		var err error
		if strings.HasPrefix(tc.scheme, "private") {
			_, err = LoadPrivateKey(tc.scheme + body)
		} else {
			_, err = LoadPublicKey(tc.scheme + body)
		}
		if err != nil {
			t.Fatalf("%s%s: %v", tc.scheme, tc.file, err)
		}
		// Values copied with their line breaks still load.
		wrapped := tc.scheme + strings.Join(chunk(body, 64), "\n")
		if strings.HasPrefix(tc.scheme, "private") {
			_, err = LoadPrivateKey(wrapped)
		} else {
			_, err = LoadPublicKey(wrapped)
		}
		if err != nil {
			t.Fatalf("wrapped %s: %v", tc.file, err)
		}
	}
}

func chunk(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// TestPKCS1ToSPKI ports testPkcs1ToSpki and checks the DER length forms.
func TestPKCS1ToSPKI(t *testing.T) {
	pkcs1, _ := base64.StdEncoding.DecodeString(bareBase64(t, "mock.pkcs1.pem"))
	got, err := PKCS1ToSPKI(pkcs1)
	if err != nil {
		t.Fatal(err)
	}
	if base64.StdEncoding.EncodeToString(got) != bareBase64(t, "mock.spki.pem") {
		t.Fatal("PKCS1ToSPKI(mock.pkcs1.pem) differs from mock.spki.pem")
	}
	// Short (one byte), 0x81 and 0x82 length forms, against the standard
	// library's encoder.
	for _, bits := range []int{256, 512, 1024, 2048, 4096, 8192} {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
		n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
		pub := &rsa.PublicKey{N: n, E: 65537}
		want, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		got, err := PKCS1ToSPKI(x509.MarshalPKCS1PublicKey(pub))
		if err != nil {
			t.Fatalf("%d bits: %v", bits, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bits: PKCS1ToSPKI differs from x509.MarshalPKIXPublicKey", bits)
		}
	}
	for _, bad := range [][]byte{nil, {}, {0x30, 0x00}, []byte("garbage"), got} {
		if _, err := PKCS1ToSPKI(bad); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("PKCS1ToSPKI(%x): %v, want ErrInvalidKey", bad, err)
		}
	}
}

func TestParseDER(t *testing.T) {
	priv := mustPrivate(t, "mock.pkcs8.key")
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	for name, der := range map[string][]byte{"pkcs1": x509.MarshalPKCS1PrivateKey(priv), "pkcs8": pkcs8} {
		k, err := ParsePrivateKey(der)
		if err != nil || !k.Equal(priv) {
			t.Fatalf("%s DER: %v", name, err)
		}
	}
	spki, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	cert, _ := pem.Decode([]byte(readFixture(t, "mock.sha256.crt")))
	for name, der := range map[string][]byte{
		"spki": spki, "pkcs1": x509.MarshalPKCS1PublicKey(&priv.PublicKey), "certificate": cert.Bytes,
	} {
		k, err := ParsePublicKey(der)
		if err != nil || !k.Equal(&priv.PublicKey) {
			t.Fatalf("%s DER: %v", name, err)
		}
	}
}

// TestPEMBundle: a certificate before the key in one file does not hide the key.
func TestPEMBundle(t *testing.T) {
	bundle := readFixture(t, "mock.sha256.crt") + readFixture(t, "mock.pkcs1.key")
	if _, err := ParsePrivateKey([]byte(bundle)); err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey([]byte(readFixture(t, "mock.pkcs1.key") + readFixture(t, "mock.spki.pem"))); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	pkcs8PEM := readFixture(t, "mock.pkcs8.key")
	pkcs8B64 := bareBase64(t, "mock.pkcs8.key")
	pkcs1B64 := bareBase64(t, "mock.pkcs1.key")
	secrets := []string{pkcs8PEM, pkcs8B64, pkcs1B64, readFixture(t, "mock.pkcs1.key"), readFixture(t, "mock.ec.key"), readFixture(t, "mock.pwd.txt")}
	ecCert := ecCertificatePEM(t)
	big := filepath.Join(t.TempDir(), "big.pem")
	if err := os.WriteFile(big, bytes.Repeat([]byte("A"), maxSourceFile+1), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	legacy := "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\n" +
		pkcs1B64[:64] + "\n-----END RSA PRIVATE KEY-----\n"

	cases := []struct {
		name, src string
		mention   string // a fragment the message must contain
	}{
		{"empty", "", "empty source"},
		{"blank", " \n\t", "empty source"},
		{"truncated PEM", pkcs8PEM[:len(pkcs8PEM)/2], "truncated"},
		{"PEM without END", strings.Replace(pkcs8PEM, "-----END PRIVATE KEY-----", "", 1), "truncated"},
		{"corrupted PEM body", strings.Replace(pkcs8PEM, pkcs8B64[70:90], "!!!!!!!!!!!!!!!!!!!!", 1), "truncated"},
		{"PEM body cut short", dropLine(pkcs8PEM, 4), "PKCS#8"},
		{"garbage base64 scheme", SchemePrivatePKCS8 + "@@@not base64@@@", "base64"},
		{"empty scheme value", SchemePrivatePKCS1, "empty"},
		{"pkcs8 behind pkcs1 scheme", SchemePrivatePKCS1 + pkcs8B64, "is PKCS#8"},
		{"pkcs1 behind pkcs8 scheme", SchemePrivatePKCS8 + pkcs1B64, "is PKCS#1"},
		{"truncated scheme value", SchemePrivatePKCS8 + pkcs8B64[:400], "PKCS#8"},
		{"public scheme", SchemePublicSPKI + bareBase64(t, "mock.spki.pem"), "public key"},
		{"unknown scheme", "private.der://" + pkcs8B64, "unknown source scheme"},
		{"certificate PEM", readFixture(t, "mock.sha256.crt"), "apiclient_key.pem"},
		{"certificate file", fixture("apiserver_cert.pem"), "apiclient_key.pem"},
		{"public key PEM", readFixture(t, "mock.spki.pem"), "public"},
		{"EC SEC1 PEM", readFixture(t, "mock.ec.key"), "EC"},
		{"EC PKCS#8 PEM", readFixture(t, "mock.ec.pkcs8.key"), "EC"},
		{"EC PKCS#8 scheme", SchemePrivatePKCS8 + bareBase64(t, "mock.ec.pkcs8.key"), "EC"},
		{"encrypted PKCS#8", readFixture(t, "mock.encrypted.pkcs8.key"), "ENCRYPTED"},
		{"encrypted PKCS#8 file", SchemeFile + fixture("mock.encrypted.pkcs8.key"), "ENCRYPTED"},
		{"legacy encrypted PEM", legacy, "password"},
		{"missing file", fixture("no-such-key.pem"), "no-such-key.pem"},
		{"missing file://", SchemeFile + fixture("no-such-key.pem"), "no-such-key.pem"},
		{"empty file://", SchemeFile, "empty file path"},
		{"directory", fixture(""), "cannot read"},
		{"empty file", empty, "is empty"},
		{"huge file", big, "1 MiB"},
		{"bare base64 without scheme", pkcs8B64, "not shown"},
		{"bare base64 wrapped without scheme", strings.Join(chunk(pkcs8B64, 64), "\n"), "not shown"},
		{"random bytes", "\x00\x01garbage", "cannot read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadPrivateKey(tc.src)
			wantErr(t, err, ErrInvalidKey, secrets...)
			t.Log(err)
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("message %q does not mention %q", err, tc.mention)
			}
		})
	}
	if _, err := LoadPrivateKey(fixture("no-such-key.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v does not match fs.ErrNotExist", err)
	}

	publicCases := []struct {
		name, src, mention string
	}{
		{"private PEM", pkcs8PEM, "private key"},
		{"private PKCS#1 PEM", readFixture(t, "mock.pkcs1.key"), "private key"},
		{"private file", fixture("apiclient_key.pem"), "private key"},
		{"private scheme", SchemePrivatePKCS8 + pkcs8B64, "private key"},
		{"EC SPKI", readFixture(t, "mock.ec.spki.pem"), "EC"},
		{"EC SPKI scheme", SchemePublicSPKI + bareBase64(t, "mock.ec.spki.pem"), "EC"},
		{"EC certificate", ecCert, "EC"},
		{"spki behind pkcs1 scheme", SchemePublicPKCS1 + bareBase64(t, "mock.spki.pem"), "PKCS#1"},
		{"pkcs1 behind spki scheme", SchemePublicSPKI + bareBase64(t, "mock.pkcs1.pem"), "SPKI"},
		{"truncated certificate", readFixture(t, "mock.sha256.crt")[:600], "truncated"},
		{"garbage", "public.spki://%%%%", "base64"},
		{"missing file", fixture("missing.pem"), "missing.pem"},
	}
	for _, tc := range publicCases {
		t.Run("public/"+tc.name, func(t *testing.T) {
			_, err := LoadPublicKey(tc.src)
			wantErr(t, err, ErrInvalidKey, secrets...)
			t.Log(err)
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("message %q does not mention %q", err, tc.mention)
			}
		})
	}

	// Parse* on raw bytes.
	for name, data := range map[string][]byte{
		"nil": nil, "garbage DER": []byte("\x30\x82\x01garbage"), "certificate DER": pemBody(t, "mock.sha256.crt"),
		"spki DER": pemBody(t, "mock.spki.pem"), "EC DER": pemBody(t, "mock.ec.key"),
	} {
		_, err := ParsePrivateKey(data)
		wantErr(t, err, ErrInvalidKey, secrets...)
		t.Logf("ParsePrivateKey(%s): %v", name, err)
	}
	for name, data := range map[string][]byte{
		"nil": nil, "garbage DER": []byte("garbage"), "private DER": pemBody(t, "mock.pkcs1.key"), "EC DER": pemBody(t, "mock.ec.spki.pem"),
	} {
		_, err := ParsePublicKey(data)
		wantErr(t, err, ErrInvalidKey, secrets...)
		t.Logf("ParsePublicKey(%s): %v", name, err)
	}
}

// dropLine removes line i (0-based) of s.
func dropLine(s string, i int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
}

// pemBody returns the DER inside a PEM fixture.
func pemBody(t testing.TB, name string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(readFixture(t, name)))
	return b.Bytes
}

// ecCertificatePEM makes a self-signed certificate with an EC key.
func ecCertificatePEM(t testing.TB) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// FuzzLoadKeys feeds arbitrary text to every loader, with and without the
// scheme prefixes: none may panic, and every failure must be typed.
func FuzzLoadKeys(f *testing.F) {
	for _, name := range []string{"mock.pkcs1.key", "mock.pkcs8.key", "mock.spki.pem", "mock.pkcs1.pem", "mock.sha256.crt", "mock.ec.key", "mock.encrypted.pkcs8.key"} {
		f.Add(readFixture(f, name))
		f.Add(bareBase64(f, name))
	}
	f.Add("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----")
	f.Add("-----BEGIN RSA PUBLIC KEY-----\n\n-----END RSA PUBLIC KEY-----")
	f.Add("file://")
	f.Add("")
	schemes := []string{"", SchemePrivatePKCS1, SchemePrivatePKCS8, SchemePublicPKCS1, SchemePublicSPKI, "unknown.scheme://"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, scheme := range schemes {
			src := scheme + s
			if !strings.Contains(src, "-----BEGIN") && scheme == "" {
				// It would be read as a file path: which files exist (or
				// block, like a FIFO) is not what is being fuzzed here.
				continue
			}
			if _, err := LoadPrivateKey(src); err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("LoadPrivateKey: untyped error %v", err)
			}
			if _, err := LoadPublicKey(src); err != nil && !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("LoadPublicKey: untyped error %v", err)
			}
			if _, err := LoadCertificate(src); err != nil && !errors.Is(err, ErrCertificate) {
				t.Fatalf("LoadCertificate: untyped error %v", err)
			}
		}
	})
}

// FuzzParseKeys feeds arbitrary bytes (PEM or DER) to the parsers.
func FuzzParseKeys(f *testing.F) {
	for _, name := range []string{"mock.pkcs1.key", "mock.pkcs8.key", "mock.spki.pem", "mock.pkcs1.pem", "mock.sha256.crt", "mock.ec.key"} {
		f.Add([]byte(readFixture(f, name)))
		f.Add(pemBody(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParsePrivateKey(data); err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("ParsePrivateKey: untyped error %v", err)
		}
		if _, err := ParsePublicKey(data); err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("ParsePublicKey: untyped error %v", err)
		}
		if _, err := ParseCertificate(data); err != nil && !errors.Is(err, ErrCertificate) {
			t.Fatalf("ParseCertificate: untyped error %v", err)
		}
		if _, err := PKCS1ToSPKI(data); err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("PKCS1ToSPKI: untyped error %v", err)
		}
	})
}
