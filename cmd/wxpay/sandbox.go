package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/wechatpay-go/wechatpay/internal/configfile"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// runSandbox is `wxpay sandbox`: it serves a fake WeChat Pay until ctx ends
// (SIGINT or SIGTERM).
func runSandbox(ctx context.Context, e *env, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	fs := flag.NewFlagSet("wxpay sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	out := fs.String("config-out", "", "write a client config to `FILE`, with the key and certificate files beside it")
	mode := fs.String("mode", "publickey", "how answers are signed: certificate, publickey or both")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: wxpay sandbox [--listen ADDR] [--config-out FILE] [--mode MODE]\n\nRuns a local fake WeChat Pay that answers every documented endpoint, until interrupted.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wxpay sandbox: unexpected arguments %q\n", fs.Args())
		return 2
	}
	m, ok := map[string]wechatpaytest.Mode{"certificate": wechatpaytest.CertificateMode, "publickey": wechatpaytest.PublicKeyMode, "both": wechatpaytest.BothModes}[*mode]
	if !ok {
		fmt.Fprintf(stderr, "wxpay sandbox: --mode %q: want certificate, publickey or both\n", *mode)
		return 2
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "wxpay sandbox: %v\n", err)
		return 1
	}
	srv := wechatpaytest.NewServer(wechatpaytest.WithListener(l), wechatpaytest.WithMode(m))
	defer srv.Close()
	if *out != "" {
		if err := writeSandboxConfig(*out, srv); err != nil {
			fmt.Fprintf(stderr, "wxpay sandbox: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "wechatpay sandbox listening on %s\n", srv.URL)
	if *out != "" {
		fmt.Fprintf(stdout, "client config written to %s\n", *out)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "wechatpay sandbox stopped")
	return 0
}

// writeSandboxConfig writes the client config of srv to path, and the key
// and certificate files it names beside it.
func writeSandboxConfig(path string, srv *wechatpaytest.Server) error {
	dir := filepath.Dir(path)
	files := map[string][]byte{
		"apiclient_key.pem":  srv.Merchant.KeyPEM(),
		"apiclient_cert.pem": srv.Merchant.CertPEM(),
	}
	f := &configfile.File{
		MchID: srv.MchID, Serial: srv.Merchant.Serial, PrivateKey: "apiclient_key.pem",
		Certs:  map[string]string{},
		Secret: srv.Secret, APIv3Key: srv.APIv3Key,
		Merchant: &configfile.Merchant{Cert: "apiclient_cert.pem", Key: "apiclient_key.pem"},
		BaseURL:  srv.URL,
	}
	if srv.Mode() != wechatpaytest.PublicKeyMode {
		name := "wechatpay_" + srv.Platform.Serial + ".pem"
		files[name] = srv.Platform.CertPEM()
		f.Certs[srv.Platform.Serial] = name
	}
	if srv.Mode() != wechatpaytest.CertificateMode {
		files["pub_key.pem"] = srv.PublicKey.PublicKeyPEM()
		f.Certs[srv.PublicKeyID] = "pub_key.pem"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return configfile.Write(path, f)
}
