//go:build openssl && cgo

package openssl

/*
#cgo pkg-config: libcrypto
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// Every helper runs one whole OpenSSL operation and, on failure, copies
// OpenSSL's error queue into err before returning: the queue is per thread,
// and a goroutine may move to another thread between two cgo calls.

static void wp_errors(char *err, size_t errlen, const char *what) {
	size_t n = strlen(what);
	unsigned long e;
	if (n >= errlen) n = errlen - 1;
	memcpy(err, what, n);
	err[n] = 0;
	while ((e = ERR_get_error()) != 0) {
		char buf[256];
		size_t m;
		ERR_error_string_n(e, buf, sizeof buf);
		m = strlen(buf);
		if (n + 2 + m >= errlen) continue;
		memcpy(err + n, ": ", 2);
		memcpy(err + n + 2, buf, m + 1);
		n += 2 + m;
	}
}

static const EVP_MD *wp_md;

// wp_init fetches SHA-256 once: an implicit fetch on every use costs more
// than hashing a short message.
static int wp_init(char *err, size_t errlen) {
	ERR_clear_error();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	wp_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
	wp_md = EVP_sha256();
#endif
	if (wp_md == NULL) {
		wp_errors(err, errlen, "fetching SHA-256");
		return 0;
	}
	return 1;
}

static EVP_PKEY *wp_import(int private, const unsigned char *der, long len, char *err, size_t errlen) {
	const unsigned char *p = der;
	EVP_PKEY *k;
	ERR_clear_error();
	k = private ? d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len) : d2i_PUBKEY(NULL, &p, len);
	if (k == NULL) {
		wp_errors(err, errlen, private ? "importing the private key" : "importing the public key");
		return NULL;
	}
	if (EVP_PKEY_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		wp_errors(err, errlen, "the key is not RSA");
		return NULL;
	}
	return k;
}

static int wp_pad(EVP_PKEY_CTX *pctx) {
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
}

// wp_sign signs in with RSA PKCS#1 v1.5 and SHA-256: in is the message
// (hashed here, EVP_DigestSign) when message is set, its SHA-256 digest
// otherwise (EVP_PKEY_sign). sig holds *siglen bytes; *siglen is set to the
// signature's length.
static int wp_sign(EVP_PKEY *k, int message, const unsigned char *in, size_t inlen,
		unsigned char *sig, size_t *siglen, char *err, size_t errlen) {
	int ok = 0;
	ERR_clear_error();
	if (message) {
		EVP_PKEY_CTX *pctx = NULL;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		ok = md != NULL
			&& EVP_DigestSignInit(md, &pctx, wp_md, NULL, k) > 0
			&& wp_pad(pctx)
			&& EVP_DigestSign(md, sig, siglen, in, inlen) > 0;
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(k, NULL);
		ok = pctx != NULL
			&& EVP_PKEY_sign_init(pctx) > 0
			&& wp_pad(pctx)
			&& EVP_PKEY_CTX_set_signature_md(pctx, wp_md) > 0
			&& EVP_PKEY_sign(pctx, sig, siglen, in, inlen) > 0;
		EVP_PKEY_CTX_free(pctx);
	}
	if (!ok) wp_errors(err, errlen, "signing");
	return ok;
}

// wp_verify returns 1 when sig is a valid RSA PKCS#1 v1.5 SHA-256 signature
// of in (a message, or its digest), 0 when it is not, and -1 when OpenSSL
// could not check it.
static int wp_verify(EVP_PKEY *k, int message, const unsigned char *in, size_t inlen,
		const unsigned char *sig, size_t siglen, char *err, size_t errlen) {
	int r = -1;
	ERR_clear_error();
	if (message) {
		EVP_PKEY_CTX *pctx = NULL;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		if (md != NULL && EVP_DigestVerifyInit(md, &pctx, wp_md, NULL, k) > 0 && wp_pad(pctx))
			r = EVP_DigestVerify(md, sig, siglen, in, inlen) == 1;
		EVP_MD_CTX_free(md);
	} else {
		EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(k, NULL);
		if (pctx != NULL && EVP_PKEY_verify_init(pctx) > 0 && wp_pad(pctx)
				&& EVP_PKEY_CTX_set_signature_md(pctx, wp_md) > 0)
			r = EVP_PKEY_verify(pctx, sig, siglen, in, inlen) == 1;
		EVP_PKEY_CTX_free(pctx);
	}
	if (r < 0) wp_errors(err, errlen, "verifying");
	ERR_clear_error();
	return r;
}
*/
import "C"

import (
	"crypto/rsa"
	"errors"
	"sync"
	"unsafe"
)

const available = true

// pkey is OpenSSL's key.
type pkey = C.EVP_PKEY

const errBufSize = 512

var initOnce = sync.OnceValue(func() error {
	var buf [errBufSize]C.char
	if C.wp_init(&buf[0], errBufSize) == 0 {
		return opensslError(&buf)
	}
	return nil
})

func opensslError(buf *[errBufSize]C.char) error {
	return errors.New("openssl: " + C.GoString(&buf[0]))
}

// ptr returns a C pointer to b's bytes, never nil: OpenSSL may refuse a nil
// pointer even with a zero length.
func ptr(b []byte) *C.uchar {
	if len(b) == 0 {
		return (*C.uchar)(unsafe.Pointer(&zero))
	}
	return (*C.uchar)(unsafe.Pointer(&b[0]))
}

var zero byte

func importKey(der []byte, private bool) (*pkey, error) {
	if err := initOnce(); err != nil {
		return nil, err
	}
	var buf [errBufSize]C.char
	priv := C.int(0)
	if private {
		priv = 1
	}
	p := C.wp_import(priv, ptr(der), C.long(len(der)), &buf[0], errBufSize)
	if p == nil {
		return nil, opensslError(&buf)
	}
	return p, nil
}

func importPrivateKey(der []byte) (*pkey, error) { return importKey(der, true) }

func importPublicKey(der []byte) (*pkey, error) { return importKey(der, false) }

func freeKey(p *pkey) { C.EVP_PKEY_free(p) }

func boolInt(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// signWith signs in (a message, or its SHA-256 digest) with p, whose
// signatures are size bytes long.
func signWith(p *pkey, in []byte, isMessage bool, size int) ([]byte, error) {
	sig := make([]byte, size)
	n := C.size_t(size)
	var buf [errBufSize]C.char
	if C.wp_sign(p, boolInt(isMessage), ptr(in), C.size_t(len(in)), ptr(sig), &n, &buf[0], errBufSize) == 0 {
		return nil, opensslError(&buf)
	}
	return sig[:n], nil
}

// verifyWith checks sig over in (a message, or its SHA-256 digest) with p.
// An invalid signature gives rsa.ErrVerification.
func verifyWith(p *pkey, in, sig []byte, isMessage bool) error {
	var buf [errBufSize]C.char
	switch C.wp_verify(p, boolInt(isMessage), ptr(in), C.size_t(len(in)), ptr(sig), C.size_t(len(sig)), &buf[0], errBufSize) {
	case 1:
		return nil
	case 0:
		return rsa.ErrVerification
	}
	return opensslError(&buf)
}

// Version returns the version of the OpenSSL library in use, such as
// "OpenSSL 3.0.19 27 Jan 2026", or "" in a build without the binding.
func Version() string { return C.GoString(C.OpenSSL_version(C.OPENSSL_VERSION)) }
