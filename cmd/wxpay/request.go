package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/validate"
)

// requestFlags are the flags of get, post, put, patch and delete. The
// repeatable ones are string arrays: a value is taken whole, commas and
// all.
type requestFlags struct {
	query, data, xml, header, vars, baseURL, output []string
	security, nonceless, include                    bool
	noValidate, strict                              bool
}

// requestCommand is the command that calls PATH with method.
func requestCommand(e *env, method string) *cobra.Command {
	var f requestFlags
	verb := strings.ToLower(method)
	cmd := &cobra.Command{
		Use:   verb + " PATH",
		Short: method + " PATH: call an API, print the verified answer",
		Long: "Calls WeChat Pay at PATH (v3/… for APIv3, v2/… for APIv2, or a full URL on the\n" +
			"config's host or its backup domain), e.g.\n" +
			"  v3/pay/transactions/id/{transaction_id} --var transaction_id=4200…\n" +
			"and prints the verified answer: JSON pretty-printed, APIv2 XML as a JSON object.\n" +
			"Flags may come before or after PATH; -- ends them. `wxpay describe PATH` shows an\n" +
			"endpoint's parameters and a ready command line.\n\n" +
			"Exit status: 0 when the call succeeded and its answer verified, 1 otherwise (the\n" +
			"reason on standard error), 2 for bad flags.",
		Example: "  wxpay " + verb + " " + requestExample[method],
		Args:    exactArgs(1, "PATH"),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completePaths(method, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRequest(cmd, e, method, args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVarP(&f.query, "query", "q", nil, "query parameter `K=V` (repeatable); for an APIv2 GET, the fields to sign")
	fs.StringArrayVarP(&f.data, "data", "d", nil, "APIv3 JSON body `JSON|@FILE`, sent as written; @FILE reads FILE, @- standard input")
	fs.StringArrayVarP(&f.xml, "xml", "x", nil, "APIv2 field `K=V` (repeatable); signed with the APIv2 key")
	fs.StringArrayVarP(&f.header, "header", "H", nil, "request header `'N: V'` (repeatable)")
	fs.StringArrayVar(&f.vars, "var", nil, "`K=V`: the value of the URI template variable {K} in PATH (repeatable)")
	fs.BoolVar(&f.security, "security", false, "APIv2 call with the merchant TLS certificate (merchant in the config)")
	fs.BoolVar(&f.nonceless, "nonceless", false, "APIv2 call without nonce_str, as a few endpoints want")
	fs.StringArrayVar(&f.baseURL, "base-url", nil, "send this call to `URL` instead of the config's base_url")
	fs.StringArrayVarP(&f.output, "output", "o", nil, "write the body to `FILE`, created only when the call succeeded; - for standard output, unformatted")
	fs.BoolVarP(&f.include, "include", "i", false, "print the status line and headers before the body")
	fs.BoolVar(&f.noValidate, "no-validate", false, "send without checking the request against the endpoint catalog first")
	fs.BoolVar(&f.strict, "strict", false, "refuse fields the endpoint catalog does not document (a warning otherwise)")
	return cmd
}

// requestExample is the example of each verb's help.
var requestExample = map[string]string{
	"GET":    "'v3/pay/transactions/out-trade-no/{out_trade_no}' --var out_trade_no=1217752501201407033233368018 -q mchid=1900000109",
	"POST":   "v3/refund/domestic/refunds -d @refund.json",
	"PUT":    "v3/merchant-risk-manage/violation-notifications -d '{\"notify_url\":\"https://example.com/violation\"}'",
	"PATCH":  "'v3/applyment4sub/applyment/business_code/{business_code}' --var business_code=APPLY1 -d @fix.json",
	"DELETE": "v3/merchant-risk-manage/violation-notifications",
}

// apiCall is one call, as the flags describe it.
type apiCall struct {
	method  string
	path    string // as given: a path template, a path, or an absolute URL
	opts    wechatpay.Options
	query   []formatter.Pair
	output  string
	include bool
}

// runRequest is `wxpay get|post|put|patch|delete PATH [flags]`.
func runRequest(cmd *cobra.Command, e *env, method, path string, f *requestFlags) error {
	call, err := newAPICall(method, path, f, e.stdin)
	if err != nil {
		return fail(e, cmd, exitUsage, "%v\nRun '%s -h' for the flags.", err, cmd.CommandPath())
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return fail(e, cmd, exitFailure, "%v", err)
	}
	template, err := call.template(cfg)
	if err != nil {
		return fail(e, cmd, exitUsage, "%v", err)
	}
	client, err := e.clientFor(cfg)
	if err != nil {
		return fail(e, cmd, exitFailure, "%v", err)
	}
	defer client.Close()
	if !f.noValidate {
		// Checked before signing: a mistake is named here, field by field,
		// instead of by WeChat Pay's PARAM_ERROR, and nothing is sent.
		warn := func(_ context.Context, w validate.Warning) {
			fmt.Fprintf(e.stderr, "%s: warning: %s\n", cmd.CommandPath(), w)
		}
		if err := validate.Install(client, validate.Options{Strict: f.strict, OnWarning: warn}); err != nil {
			return fail(e, cmd, exitFailure, "%v", err)
		}
	}
	res, raw, err := call.do(cmd.Context(), client.Chain(template))
	if err != nil {
		fmt.Fprintf(e.stderr, "%s: %s\n", cmd.CommandPath(), explain(err))
		if call.include {
			if ans := failedAnswer(err); ans != nil {
				writeHead(e.stderr, ans)
				e.stderr.Write(formatBody(ans))
			}
		}
		return exitError{exitCodeOf(err)}
	}
	if call.include {
		writeHead(e.stdout, res)
	}
	switch call.output {
	case "":
		e.stdout.Write(formatBody(res))
	case "-":
		e.stdout.Write(raw)
	default:
		if fi, err := os.Stat(call.output); err == nil {
			fmt.Fprintf(e.stderr, "%s: saved %d bytes to %s\n", cmd.CommandPath(), fi.Size(), call.output)
		}
	}
	return nil
}

// newAPICall reads the flags into a call; stdin serves -d @-.
func newAPICall(method, path string, f *requestFlags, stdin io.Reader) (*apiCall, error) {
	if len(f.output) > 1 || len(f.data) > 1 || len(f.baseURL) > 1 {
		return nil, errors.New("-o, -d and --base-url may be given once each")
	}
	c := &apiCall{method: method, path: path, output: last(f.output), include: f.include}
	c.opts.Security = f.security
	c.opts.Nonceless = f.nonceless
	c.opts.BaseURL = last(f.baseURL)
	for _, q := range f.query {
		k, v, err := keyValue("-q", q)
		if err != nil {
			return nil, err
		}
		c.query = append(c.query, formatter.Pair{Key: k, Value: v})
	}
	if c.query != nil {
		c.opts.Query = c.query
	}
	fields, err := uniqueValues("-x", f.xml, keyValue)
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		c.opts.XML = fields
	}
	if c.opts.Headers, err = uniqueValues("-H", f.header, headerValue); err != nil {
		return nil, err
	}
	vars, err := uniqueValues("--var", f.vars, keyValue)
	if err != nil {
		return nil, err
	}
	for k, v := range vars {
		if c.opts.Vars == nil {
			c.opts.Vars = map[string]any{}
		}
		c.opts.Vars[k] = v
	}
	if len(f.data) > 0 {
		body, err := readData(f.data[0], stdin)
		if err != nil {
			return nil, err
		}
		c.opts.JSON = json.RawMessage(body)
	}
	return c, nil
}

// last is the last value of a flag, or "".
func last(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// uniqueValues splits each argument of a flag into a name and a value,
// refusing a name given twice (compared as header names are, for -H). It
// returns nil for no arguments.
func uniqueValues(flag string, args []string, split func(flag, s string) (string, string, error)) (map[string]string, error) {
	var out map[string]string
	seen := map[string]bool{}
	for _, a := range args {
		k, v, err := split(flag, a)
		if err != nil {
			return nil, err
		}
		id := k
		if flag == "-H" {
			id = http.CanonicalHeaderKey(k)
		}
		if seen[id] {
			return nil, fmt.Errorf("%s %s is given twice", flag, k)
		}
		seen[id] = true
		if out == nil {
			out = map[string]string{}
		}
		out[k] = v
	}
	return out, nil
}

// readData returns the -d body: the text itself, or the content of @FILE
// (@- is standard input). It must be JSON.
func readData(arg string, stdin io.Reader) ([]byte, error) {
	body := []byte(arg)
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		var err error
		switch {
		case name == "-" && stdin == nil:
			body = nil
		case name == "-":
			body, err = io.ReadAll(stdin)
		default:
			body, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("-d %s: %w", arg, err)
		}
	}
	if !json.Valid(body) {
		what := "-d"
		if arg != "" && arg[0] == '@' {
			what = "-d " + arg
		}
		return nil, fmt.Errorf("%s is not valid JSON", what)
	}
	return body, nil
}

// template turns the PATH given into a template for Client.Chain that sends
// it as written. An absolute URL (such as a bill's download_url) becomes a
// path under the configured base URL when it starts with it, else a path
// sent to its own host, which must be the configured host or its backup
// domain: the call carries the merchant's signature, which another host
// could replay to WeChat Pay. Literal segments that Client.Chain would
// rewrite (capitals, "_name_") are passed through template variables, so
// that an ID written in the path is sent as it is.
func (c *apiCall) template(cfg wechatpay.Config) (string, error) {
	path := c.path
	if strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "http://") {
		u, err := url.Parse(path)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("PATH %q is not a valid URL", path)
		}
		if c.opts.BaseURL != "" {
			return "", errors.New("PATH is an absolute URL: give the host there or with --base-url, not both")
		}
		base := cfg.BaseURL
		if base == "" {
			base = wechatpay.DefaultBaseURL
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		if err := checkOrigin(u, base, cfg); err != nil {
			return "", err
		}
		if rest, ok := strings.CutPrefix(path, base); ok {
			path = rest
		} else {
			c.opts.BaseURL = u.Scheme + "://" + u.Host + "/"
			path = strings.TrimPrefix(u.EscapedPath(), "/")
			if u.RawQuery != "" {
				path += "?" + u.RawQuery
			}
		}
	}
	if c.opts.Security {
		base := c.opts.BaseURL
		if base == "" {
			base = cfg.BaseURL
		}
		if u, err := url.Parse(base); err == nil && strings.EqualFold(u.Scheme, "http") {
			return "", fmt.Errorf("--security presents the merchant certificate over TLS, but the call goes to %s, plain HTTP: nothing was sent; use an https base_url (`wxpay sandbox --tls` serves one)", u.Scheme+"://"+u.Host)
		}
	}
	segments, query, hasQuery := strings.Cut(path, "?")
	if hasQuery && c.query != nil {
		return "", errors.New("PATH has a query: give the query there or with -q, not both")
	}
	parts := strings.Split(segments, "/")
	for i, seg := range parts {
		if strings.ContainsAny(seg, "{}") || !rewrittenByChain(seg) {
			continue
		}
		name := fmt.Sprintf("wxpay_path_%d", i)
		if c.opts.Vars == nil {
			c.opts.Vars = map[string]any{}
		}
		c.opts.Vars[name] = seg
		parts[i] = "{+" + name + "}" // reserved expansion: sent as written
	}
	out := strings.Join(parts, "/")
	if hasQuery {
		out += "?" + query
	}
	return out, nil
}

// checkOrigin refuses a full URL whose scheme and host are neither those
// of base nor those of its backup domain (Config.BackupBaseURL, or
// api2.mch.weixin.qq.com for api.mch.weixin.qq.com), so that the merchant's
// signature is sent to WeChat Pay only. --base-url remains the way to call
// another host on purpose.
func checkOrigin(u *url.URL, base string, cfg wechatpay.Config) error {
	allowed := []string{base}
	switch {
	case cfg.NoBackup:
	case cfg.BackupBaseURL != "":
		allowed = append(allowed, cfg.BackupBaseURL)
	default:
		if b, err := url.Parse(base); err == nil && origin(b) == origin(&url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com"}) {
			allowed = append(allowed, wechatpay.DefaultBackupBaseURL)
		}
	}
	var hosts []string
	for _, a := range allowed {
		if b, err := url.Parse(a); err == nil && b.Host != "" {
			if origin(b) == origin(u) {
				return nil
			}
			hosts = append(hosts, b.Scheme+"://"+b.Host)
		}
	}
	return fmt.Errorf("PATH is a URL on %s, which is not WeChat Pay's host of the config (%s): the call, signed with the merchant's key, is not sent there; to call that host on purpose, give it with --base-url",
		u.Scheme+"://"+u.Host, strings.Join(hosts, " or "))
}

// origin is a URL's scheme and host:port, the port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// rewrittenByChain tells whether Client.Chain would change a literal
// segment: one with a capital letter, or of the form _name_.
func rewrittenByChain(seg string) bool {
	if len(seg) >= 2 && seg[0] == '_' && seg[len(seg)-1] == '_' {
		return true
	}
	return strings.IndexFunc(seg, func(r rune) bool { return 'A' <= r && r <= 'Z' }) >= 0
}

// do makes the call. With -o, the body goes to the file through the SDK's
// Download, which creates the file only when the call succeeded and its
// answer verified; with -o - it is returned as received, as raw.
func (c *apiCall) do(ctx context.Context, ch wechatpay.Chain) (res *wechatpay.Response, raw []byte, err error) {
	if c.output == "" {
		res, err = ch.Do(ctx, c.method, c.opts)
		return res, nil, err
	}
	var buf bytes.Buffer
	d := wechatpay.Download{File: c.output}
	if c.output == "-" {
		d = wechatpay.Download{Writer: &buf}
	}
	r, err := ch.Download(ctx, c.method, d, c.opts)
	if err != nil {
		return nil, nil, err
	}
	// An APIv2 XML answer is checked in memory and does not reach the sink.
	if held := r.Response.Body; len(held) > 0 && r.Received == 0 {
		buf.Write(held)
		if c.output != "-" {
			if err := replaceFile(c.output, held); err != nil {
				return nil, nil, err
			}
		}
	}
	return r.Response, buf.Bytes(), nil
}

// replaceFile writes data to a temporary file beside path and renames it
// into place.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// keyValue splits a K=V argument at its first "=", keeping the value as
// written (later "=", commas, spaces, any text).
func keyValue(flag, s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("%s %q: want NAME=VALUE", flag, s)
	}
	return k, v, nil
}

// headerValue splits a 'Name: value' header argument of flag.
func headerValue(flag, s string) (string, string, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return "", "", fmt.Errorf("%s %q: want 'Name: value'", flag, s)
	}
	return name, strings.TrimSpace(value), nil
}
