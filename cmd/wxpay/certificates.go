package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
)

// certificatesFlags are the flags of `wxpay certificates`.
var certificatesFlags = flagSet{defs: []flagDef{
	{short: "o", long: "output", arg: "DIR", usage: "save each certificate as DIR/wechatpay_<serial>.pem (default: print the PEM)"},
	{long: "base-url", arg: "URL", usage: "download from URL instead of the config's base_url"},
}}

// bootstrapSerial names the placeholder key a config without any WeChat Pay
// key gets for the download; no answer ever names it.
const bootstrapSerial = "wxpay-certificates-bootstrap"

// runCertificates is `wxpay certificates`: it downloads the platform
// certificates (平台证书, v3/certificates), decrypts them with the APIv3
// key, verifies the answer with them, and prints or saves them.
func runCertificates(ctx context.Context, e *env, args []string) int {
	const name = "wxpay certificates"
	p, err := certificatesFlags.parse(args)
	if errors.Is(err, errHelp) {
		fmt.Fprintln(e.stderr, "usage: wxpay [-c FILE] certificates [-o DIR] [--base-url URL]\n\n"+
			"Downloads WeChat Pay's platform certificates (平台证书, v3/certificates), decrypts them\n"+
			"with apiv3_key, verifies the answer's signature with them, and prints each one's\n"+
			"serial and validity, then its PEM, or saves it with -o. The config needs mchid,\n"+
			"serial, private_key and apiv3_key; certs may be empty.\n\nflags:")
		certificatesFlags.usage(e.stderr)
		return exitOK
	}
	if err == nil && len(p.positional) > 0 {
		err = fmt.Errorf("unexpected arguments %q", p.positional)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %v\nRun %s -h for the flags.\n", name, err, name)
		return exitUsage
	}
	fail := func(err error) int {
		fmt.Fprintf(e.stderr, "%s: %s\n", name, describe(err))
		return exitFailure
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return fail(err)
	}
	if cfg.APIv3Key.IsZero() {
		return fail(fmt.Errorf("%s has no apiv3_key: the certificates are encrypted with the APIv3 key (APIv3密钥)", e.configPath()))
	}
	opened, err := bootstrap(&cfg)
	if err != nil {
		return fail(fmt.Errorf("%s: private_key: %w", e.configPath(), err))
	}
	if opened != nil {
		defer opened.Close() // after client.Close, deferred below
	}
	client, err := wechatpay.New(cfg)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", e.configPath(), err))
	}
	defer client.Close()
	certs, err := client.FetchCertificates(ctx, wechatpay.Options{BaseURL: p.value("base-url")})
	if err != nil {
		return fail(err)
	}

	dir := p.value("output")
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fail(err)
		}
	}
	now := time.Now()
	var b strings.Builder
	var saved []string
	for i, c := range certs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "serial     %s\n", c.Serial)
		fmt.Fprintf(&b, "effective  %s\n", c.EffectiveTime.Format(time.RFC3339))
		fmt.Fprintf(&b, "expire     %s\n", c.ExpireTime.Format(time.RFC3339))
		fmt.Fprintf(&b, "status     %s\n", certificateStatus(c, now))
		if dir == "" {
			b.Write(c.PEM)
			if !strings.HasSuffix(string(c.PEM), "\n") {
				b.WriteByte('\n')
			}
			continue
		}
		path := filepath.Join(dir, "wechatpay_"+c.Serial+".pem")
		if err := replaceFile(path, c.PEM); err != nil {
			return fail(err)
		}
		os.Chmod(path, 0o644)
		fmt.Fprintf(&b, "saved      %s\n", path)
		saved = append(saved, fmt.Sprintf("    %q: %q", c.Serial, path))
	}
	if len(saved) > 0 {
		fmt.Fprintf(&b, "\nTo trust them, add to \"certs\" in %s (paths relative to its folder):\n%s\n", e.configPath(), strings.Join(saved, ",\n"))
	}
	fmt.Fprint(e.stdout, b.String())
	fmt.Fprintf(e.stderr, "%s: %d certificate(s) decrypted with the APIv3 key; the answer's signature verified\n", name, len(certs))
	return exitOK
}

// certificateStatus says whether c may be used at now.
func certificateStatus(c *wechatpay.PlatformCertificate, now time.Time) string {
	switch {
	case now.Before(c.NotBefore()):
		return "not yet valid"
	case now.After(c.NotAfter()):
		return "expired"
	}
	return fmt.Sprintf("valid, %d days left", int(c.NotAfter().Sub(now).Hours()/24))
}

// bootstrap lets a config that trusts no WeChat Pay key yet (certs empty, as
// before the first download) make the download: the client needs a key to
// be built, so it gets the merchant's own public key under a serial no
// answer names. The download is verified with the certificates it
// delivers, which the APIv3 key authenticates.
//
// A key in an HSM (a pkcs11: URI) is opened here, once, to read its public
// key, and handed to New as a signer: opening it twice would log in twice,
// and a wrong PIN would count twice towards locking the token. The caller
// closes what is returned, after the client.
func bootstrap(cfg *wechatpay.Config) (io.Closer, error) {
	if len(cfg.Certs) > 0 {
		return nil, nil
	}
	switch k := cfg.PrivateKey.(type) {
	case []byte:
		key, err := crypto.ParsePrivateKey(k)
		if err != nil {
			return nil, nil // New reports it
		}
		cfg.Certs = map[string]any{bootstrapSerial: &key.PublicKey}
	case crypto.Secret: // a key URI (configfile)
		uri := k.Reveal()
		signer, err := crypto.LoadSigner(string(uri))
		clear(uri)
		if err != nil {
			return nil, err
		}
		cfg.PrivateKey = signer
		cfg.Certs = map[string]any{bootstrapSerial: signer.Public()}
		if c, ok := signer.(io.Closer); ok {
			return c, nil
		}
	}
	return nil, nil
}
