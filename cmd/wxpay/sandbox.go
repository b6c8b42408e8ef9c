package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/internal/configfile"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// sandboxFlags are the flags of `wxpay sandbox`.
type sandboxFlags struct {
	listen, configOut, mode, data string
	tls, strict, quiet            bool
	refundDelay                   time.Duration
}

// sandboxCommand is `wxpay sandbox`: it serves a fake WeChat Pay until
// interrupted; its subcommands drive a running one.
func sandboxCommand(e *env) *cobra.Command {
	var f sandboxFlags
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "run a local fake WeChat Pay and write a client config for it",
		Long: "Runs a local fake WeChat Pay (package wechatpaytest) until interrupted: it answers\n" +
			"every documented endpoint, checks signatures and parameters (types, enums, lengths,\n" +
			"sensitive fields in clear text) as WeChat Pay does, keeps the\n" +
			"payment lifecycle's state (orders, payments, refunds, bills), signs its answers, and\n" +
			"sends notifications. It writes a client configuration for itself (--config-out, or\n" +
			"DIR/wechatpay.json with --data DIR) and logs a line per request on standard error.\n\n" +
			"--data DIR keeps keys, address and orders in DIR, so that a restart keeps the same\n" +
			"configuration and state; it also answers orders it did not create as WeChat Pay does\n" +
			"(404 ORDER_NOT_EXIST; --strict=false turns that off). --tls serves HTTPS, with mutual\n" +
			"TLS on the APIv2 endpoints that need the merchant certificate (--security).\n\n" +
			"`wxpay sandbox pay OUT_TRADE_NO` and `wxpay sandbox refund-complete OUT_REFUND_NO`\n" +
			"drive a running sandbox, through its configuration (-c).",
		Example: "  wxpay sandbox --data sandbox --tls &\n" +
			"  export WECHATPAY_CONFIG=sandbox/wechatpay.json\n" +
			"  wxpay get v3/certificates",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("strict") {
				f.strict = f.data != ""
			}
			return runSandbox(cmd, e, &f, cmd.Flags().Changed("listen"))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.listen, "listen", "", "`ADDR`ess to listen on (default: the data directory's last address, else 127.0.0.1 on a free port)")
	fs.StringVar(&f.configOut, "config-out", "", "write a client config to `FILE`, with the key and certificate files beside it (default DIR/wechatpay.json with --data)")
	fs.StringVar(&f.mode, "mode", "publickey", "how answers are signed: certificate (平台证书), publickey (微信支付公钥) or both")
	fs.StringVar(&f.data, "data", "", "keep keys, address, orders and refunds in `DIR`, across restarts")
	fs.BoolVar(&f.tls, "tls", false, "serve HTTPS, with mutual TLS for APIv2 --security calls")
	fs.BoolVar(&f.strict, "strict", false, "answer orders the sandbox did not create with 404 ORDER_NOT_EXIST (default true with --data)")
	fs.DurationVar(&f.refundDelay, "refund-delay", time.Second, "how long a refund stays PROCESSING, as a `DURATION` (1s, 500ms); negative: until 'wxpay sandbox refund-complete'")
	fs.BoolVar(&f.quiet, "quiet", false, "do not log requests and notifications")
	cmd.AddCommand(sandboxPayCommand(e), sandboxRefundCommand(e), sandboxOrdersCommand(e))
	return cmd
}

func runSandbox(cmd *cobra.Command, e *env, f *sandboxFlags, listenGiven bool) error {
	m, ok := map[string]wechatpaytest.Mode{"certificate": wechatpaytest.CertificateMode, "publickey": wechatpaytest.PublicKeyMode, "both": wechatpaytest.BothModes}[f.mode]
	if !ok {
		return fail(e, cmd, exitUsage, "--mode %q: want certificate, publickey or both", f.mode)
	}
	log := &requestLog{w: e.stderr}
	opts := []wechatpaytest.Option{wechatpaytest.WithMode(m), wechatpaytest.WithRefundDelay(f.refundDelay)}
	if !f.quiet {
		opts = append(opts, wechatpaytest.OnRequest(log.request), wechatpaytest.WithNotifyOptions(wechatpaytest.OnAttempt(log.attempt)))
	}
	if f.strict {
		opts = append(opts, wechatpaytest.WithStrictOrders())
	}
	if f.data != "" {
		opts = append(opts, wechatpaytest.WithDataDir(f.data))
	}
	if listenGiven || f.data == "" {
		addr := f.listen
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(e, cmd, exitFailure, "%v", err)
		}
		opts = append(opts, wechatpaytest.WithListener(l))
	}
	start := wechatpaytest.Start
	if f.tls {
		start = wechatpaytest.StartTLS
	}
	srv, err := start(opts...)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "wechatpaytest: ")
		if errors.Is(err, wechatpaytest.ErrDataDirBusy) {
			msg += fmt.Sprintf("\nanother sandbox runs on it: drive that one (wxpay sandbox pay, wxpay trigger) with -c %s", filepath.Join(f.data, "wechatpay.json"))
		}
		return fail(e, cmd, exitFailure, "%s", msg)
	}
	defer srv.Close()
	out := f.configOut
	if out == "" && f.data != "" {
		out = filepath.Join(f.data, "wechatpay.json")
	}
	var file *configfile.File
	if out != "" {
		if file, err = writeSandboxConfig(out, srv); err != nil {
			return fail(e, cmd, exitFailure, "%v", err)
		}
	}
	printSandbox(e.stdout, srv, out, file, f)
	<-cmd.Context().Done()
	fmt.Fprintln(e.stdout, "wechatpay sandbox stopped")
	return nil
}

// printSandbox says where the sandbox listens and what configuration it
// wrote, its keys redacted.
func printSandbox(w io.Writer, srv *wechatpaytest.Server, out string, file *configfile.File, f *sandboxFlags) {
	var b strings.Builder
	fmt.Fprintf(&b, "wechatpay sandbox listening on %s\n", srv.URL)
	if file == nil {
		b.WriteString("no client config written: give --config-out FILE or --data DIR\n")
		io.WriteString(w, b.String())
		return
	}
	fmt.Fprintf(&b, "client config written to %s:\n", out)
	row := func(k, v string) { fmt.Fprintf(&b, "  %-12s %s\n", k, v) }
	row("mchid", file.MchID)
	row("serial", file.Serial)
	row("private_key", file.PrivateKey)
	serials := make([]string, 0, len(file.Certs))
	for s := range file.Certs {
		serials = append(serials, s)
	}
	sort.Strings(serials)
	for i, s := range serials {
		k := ""
		if i == 0 {
			k = "certs"
		}
		row(k, s+": "+file.Certs[s])
	}
	row("secret", "[REDACTED] (the APIv2 key, in the file)")
	row("apiv3_key", "[REDACTED] (the APIv3 key, in the file)")
	row("merchant", file.Merchant.Cert+", "+file.Merchant.Key)
	row("base_url", file.BaseURL)
	if file.TLSCA != "" {
		row("tls_ca", file.TLSCA)
	}
	var notes []string
	if f.data != "" {
		notes = append(notes, "state kept in "+f.data)
	}
	if f.strict {
		notes = append(notes, "unknown orders get 404 ORDER_NOT_EXIST")
	}
	if f.tls {
		notes = append(notes, "mutual TLS for --security calls")
	} else {
		notes = append(notes, "plain HTTP: --security calls need --tls")
	}
	fmt.Fprintf(&b, "%s.\n", strings.Join(notes, "; "))
	fmt.Fprintf(&b, "Try: wxpay -c %s get v3/certificates\n", out)
	io.WriteString(w, b.String())
}

// requestLog writes a line per request the sandbox answers and per
// notification attempt it makes.
type requestLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *requestLog) request(r wechatpaytest.Received) {
	sig := "signature verified"
	switch {
	case r.Route == "":
		sig = "no such endpoint"
	case !r.Verified:
		sig = "signature NOT verified"
	}
	status := fmt.Sprint(r.Status)
	if r.Status == 0 {
		status = "---" // the connection was cut
	}
	l.printf("%s %-6s %s %s %s\n", time.Now().Format("15:04:05"), r.Method, r.Target, status, sig)
}

func (l *requestLog) attempt(a wechatpaytest.Attempt) {
	what := fmt.Sprintf("answered %d", a.Status)
	if a.Err != nil {
		what = a.Err.Error()
	}
	l.printf("%s notify attempt %d: %s\n", time.Now().Format("15:04:05"), a.N, strings.TrimPrefix(what, "wechatpaytest: "))
}

func (l *requestLog) printf(format string, a ...any) {
	l.mu.Lock()
	fmt.Fprintf(l.w, format, a...)
	l.mu.Unlock()
}

// writeSandboxConfig writes the client config of srv to path, and the key
// and certificate files it names beside it, and returns what it wrote.
func writeSandboxConfig(path string, srv *wechatpaytest.Server) (*configfile.File, error) {
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
		for _, p := range srv.Platforms() {
			name := "wechatpay_" + p.Serial + ".pem"
			files[name] = p.CertPEM()
			f.Certs[p.Serial] = name
		}
	}
	if srv.Mode() != wechatpaytest.CertificateMode {
		files["pub_key.pem"] = srv.PublicKey.PublicKeyPEM()
		f.Certs[srv.PublicKeyID] = "pub_key.pem"
	}
	if ca := srv.TLSCertificatePEM(); ca != nil {
		files["sandbox_tls.pem"] = ca
		f.TLSCA = "sandbox_tls.pem"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	return f, configfile.Write(path, f)
}

// sandboxPayCommand is `wxpay sandbox pay OUT_TRADE_NO`.
func sandboxPayCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "pay OUT_TRADE_NO",
		Short: "pay an order of a running sandbox; its notification goes to the order's notify_url",
		Long: "Pays an order placed with the running sandbox, as its payer would: the order becomes\n" +
			"SUCCESS with a transaction_id, and its payment notification (TRANSACTION.SUCCESS, or\n" +
			"APIv2 XML) goes to the order's notify_url, signed and encrypted, on WeChat Pay's\n" +
			"retry schedule until acknowledged. Prints the order and the first attempt.",
		Example: "  wxpay -c sandbox/wechatpay.json sandbox pay 1217752501201407033233368018",
		Args:    exactArgs(1, "OUT_TRADE_NO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return adminCall(cmd, e, "_sandbox/orders/{out_trade_no}/pay", map[string]any{"out_trade_no": args[0]})
		},
	}
}

// sandboxRefundCommand is `wxpay sandbox refund-complete OUT_REFUND_NO`.
func sandboxRefundCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "refund-complete OUT_REFUND_NO",
		Short: "make a PROCESSING refund of a running sandbox succeed; its notification goes out",
		Long: "Makes a refund still PROCESSING succeed now (start the sandbox with --refund-delay -1\n" +
			"to keep refunds PROCESSING until then), and sends its notification (REFUND.SUCCESS,\n" +
			"or APIv2 with req_info encrypted) to the refund's notify_url.",
		Example: "  wxpay -c sandbox/wechatpay.json sandbox refund-complete R1217752501201407033233368018",
		Args:    exactArgs(1, "OUT_REFUND_NO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return adminCall(cmd, e, "_sandbox/refunds/{out_refund_no}/complete", map[string]any{"out_refund_no": args[0]})
		},
	}
}

// sandboxOrdersCommand is `wxpay sandbox orders`.
func sandboxOrdersCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "orders [OUT_TRADE_NO]",
		Short: "list the orders of a running sandbox, or show one with its refunds",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return adminCall(cmd, e, "GET _sandbox/orders/{out_trade_no}", map[string]any{"out_trade_no": args[0]})
			}
			return adminCall(cmd, e, "GET _sandbox/orders", nil)
		},
	}
}

// adminCall calls a route of the running sandbox's own (wechatpaytest's
// AdminRoutes), "[GET ]template" (POST by default), signed with the
// configuration's merchant key as a WeChat Pay call is, and prints the
// verified answer.
func adminCall(cmd *cobra.Command, e *env, route string, vars map[string]any) error {
	method, template := "POST", route
	if m, t, ok := strings.Cut(route, " "); ok {
		method, template = m, t
	}
	client, err := e.sandboxClient(cmd)
	if err != nil {
		return err
	}
	defer client.Close()
	opts := wechatpay.M{}
	for k, v := range vars {
		opts[k] = v
	}
	if method == "POST" {
		opts["json"] = wechatpay.M{}
	}
	res, err := client.Chain(template).Do(cmd.Context(), method, opts)
	if err != nil {
		return fail(e, cmd, exitFailure, "%s", explainAdmin(err))
	}
	e.stdout.Write(formatBody(res))
	if n := res.Get("notification"); n.Exists() {
		as := n.Get("attempts").Array()
		what := "not sent (no notify_url)"
		if n.Get("url").String() != "" && len(as) > 0 {
			a := as[len(as)-1]
			what = fmt.Sprintf("sent to %s, answered %d", n.Get("url"), a.Get("status").Int())
			if msg := a.Get("error").String(); msg != "" {
				what = fmt.Sprintf("sent to %s: %s (WeChat Pay's retry schedule goes on)", n.Get("url"), strings.TrimPrefix(msg, "wechatpaytest: "))
			}
		}
		fmt.Fprintf(e.stderr, "%s: notification %s\n", cmd.CommandPath(), what)
	}
	return nil
}

// sandboxClient is a client of the running sandbox the configuration
// names. A configuration of WeChat Pay itself is refused before anything
// is sent: the sandbox's routes are not WeChat Pay's.
func (e *env) sandboxClient(cmd *cobra.Command) (*wechatpay.Client, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, fail(e, cmd, exitFailure, "%v", err)
	}
	u, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || strings.HasSuffix(strings.ToLower(u.Hostname()), ".qq.com") {
		path, _ := e.configPath()
		return nil, fail(e, cmd, exitUsage, "%s is not a sandbox's configuration (base_url %q): %s drives a running `wxpay sandbox`; give its configuration with -c, e.g. sandbox/wechatpay.json",
			path, cfg.BaseURL, cmd.CommandPath())
	}
	client, err := e.clientFor(cfg)
	if err != nil {
		return nil, fail(e, cmd, exitFailure, "%v", err)
	}
	return client, nil
}

// explainAdmin explains a failed call to a sandbox's own route: a 404 of
// the route itself means that base_url is not a sandbox.
func explainAdmin(err error) string {
	msg := explain(err)
	if strings.Contains(msg, "RESOURCE_NOT_EXISTS: no such endpoint") {
		msg += "\nis base_url of the configuration a running `wxpay sandbox`?"
	}
	return msg
}
