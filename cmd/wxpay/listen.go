package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
)

// listenCommand is `wxpay listen`: a receiver that verifies, decrypts and
// prints every notification it gets, and acknowledges it or hands it on.
func listenCommand(e *env) *cobra.Command {
	var addr, forward string
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "receive notifications: verify, decrypt and print each; acknowledge or forward it",
		Long: "Serves HTTP on --addr, any path, and takes every POST as a notification (回调通知):\n" +
			"APIv3 JSON or APIv2 XML (told apart by the body). It verifies each with the keys of\n" +
			"the configuration (-c), decrypts it (the APIv3 resource, an APIv2 refund's req_info),\n" +
			"and prints a line about it on standard error and its plaintext as JSON on standard\n" +
			"output, as `wxpay notify` does. It acknowledges a notification that verified as\n" +
			"WeChat Pay expects (APIv3 204, APIv2 return_code SUCCESS) and refuses one that did\n" +
			"not (401, or APIv2 FAIL).\n\n" +
			"With --forward-to URL it also sends the request as received (headers and raw body)\n" +
			"to URL, your own handler, which verifies it itself, and answers the sender with that\n" +
			"handler's answer, so that the sandbox retries what your handler refuses.",
		Example: "  wxpay -c sandbox/wechatpay.json listen --addr 127.0.0.1:8080 --forward-to http://127.0.0.1:3000/wxpay/notify\n" +
			"  wxpay -c sandbox/wechatpay.json trigger TRANSACTION.SUCCESS --to http://127.0.0.1:8080/notify",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runListen(cmd, e, addr, forward)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "`ADDR`ess to listen on (:8080 for every interface; port 0 for a free one)")
	cmd.Flags().StringVar(&forward, "forward-to", "", "also send each notification as received to `URL` and answer with its answer")
	return cmd
}

// forwardTimeout bounds the forwarded call; the sandbox's own sending gives
// up after 10 s.
const forwardTimeout = 30 * time.Second

func runListen(cmd *cobra.Command, e *env, addr, forward string) error {
	if forward != "" {
		if u, err := url.Parse(forward); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fail(e, cmd, exitUsage, "--forward-to %q is not an http(s) URL", forward)
		}
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return fail(e, cmd, exitFailure, "%v", err)
	}
	nf, err := wechatpay.NewNotifier(cfg)
	if err != nil {
		path, _ := e.configPath()
		return fail(e, cmd, exitFailure, "%s", explain(configError(path, err)))
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(e, cmd, exitFailure, "%v", err)
	}
	r := &receiver{nf: nf, forward: forward, stdout: e.stdout, stderr: e.stderr,
		client: &http.Client{Timeout: forwardTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	srv := &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      forwardTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	where := "http://" + l.Addr().String() + "/"
	msg := fmt.Sprintf("%s: listening on %s (any path)", cmd.CommandPath(), where)
	if forward != "" {
		msg += ", forwarding to " + forward
	}
	r.log(msg + "\n")
	select {
	case <-cmd.Context().Done():
	case err := <-done:
		return fail(e, cmd, exitFailure, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	r.client.CloseIdleConnections()
	r.log(cmd.CommandPath() + ": stopped\n")
	return nil
}

// receiver serves `wxpay listen`.
type receiver struct {
	nf      *wechatpay.Notifier
	forward string
	client  *http.Client

	mu             sync.Mutex // one notification's output at a time
	stdout, stderr io.Writer
}

func (rv *receiver) log(s string) {
	rv.mu.Lock()
	io.WriteString(rv.stderr, s)
	rv.mu.Unlock()
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now().Format("15:04:05")
	if r.Method != http.MethodPost {
		http.Error(w, "notifications are POSTed", http.StatusMethodNotAllowed)
		rv.log(fmt.Sprintf("%s %s %s: not a POST, answered 405\n", start, r.Method, r.URL.RequestURI()))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wechatpay.DefaultMaxNotificationSize))
	if err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, err.Error(), status)
		rv.log(fmt.Sprintf("%s POST %s: %v, answered %d\n", start, r.URL.RequestURI(), err, status))
		return
	}
	v2 := isXML(body)
	out, summary, verr := parseNotification(rv.nf, v2, r.Header, body)
	line := fmt.Sprintf("%s POST %s: ", start, r.URL.RequestURI())
	if verr == nil {
		line += "verified " + summary
	} else {
		line += "NOT VERIFIED: " + inFileTerms(verr.Error())
	}

	var status int
	var header http.Header
	var answer []byte
	switch {
	case rv.forward != "":
		status, header, answer, err = rv.forwardRequest(r, body)
		if err != nil {
			line += fmt.Sprintf("; forwarding to %s failed: %v", rv.forward, err)
			status, header, answer = http.StatusBadGateway, http.Header{}, failAnswer(v2, "forwarding failed")
		} else {
			line += fmt.Sprintf("; forwarded to %s, which answered %d", rv.forward, status)
		}
	case verr != nil:
		status, header, answer = http.StatusUnauthorized, http.Header{}, failAnswer(v2, "verification failed")
	case v2:
		status, header, answer = http.StatusOK, http.Header{}, wechatpay.V2Answer(true, "")
	default:
		status, header = http.StatusNoContent, http.Header{}
	}
	if header.Get("Content-Type") == "" && len(answer) > 0 {
		if v2 {
			header.Set("Content-Type", "text/xml; charset=utf-8")
		} else {
			header.Set("Content-Type", "application/json")
		}
	}
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	w.Write(answer)

	rv.mu.Lock()
	defer rv.mu.Unlock()
	fmt.Fprintf(rv.stderr, "%s; answered %d\n", line, status)
	if verr == nil {
		rv.stdout.Write(out)
	}
}

// failAnswer is the refusal WeChat Pay reads: {"code":"FAIL",…} or the
// APIv2 XML.
func failAnswer(v2 bool, msg string) []byte {
	if v2 {
		return wechatpay.V2Answer(false, msg)
	}
	return []byte(`{"code":"FAIL","message":"` + msg + `"}`)
}

// hopHeaders are not forwarded: they describe the connection, not the
// notification.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "Te", "Trailer", "Content-Length"}

// forwardRequest sends the notification as received to the forward URL
// and returns the answer.
func (rv *receiver) forwardRequest(r *http.Request, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, rv.forward, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		req.Header.Del(h)
	}
	res, err := rv.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, wechatpay.DefaultMaxNotificationSize))
	if err != nil {
		return 0, nil, nil, err
	}
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Authorization", "Wechatpay-Serial"} {
		if v := res.Header.Values(k); len(v) > 0 {
			h[k] = v
		}
	}
	return res.StatusCode, h, answer, nil
}
