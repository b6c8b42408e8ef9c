package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// demoCommand is `wxpay demo`: it starts the sandbox (a fake WeChat Pay)
// in this process, over HTTPS with mutual TLS for APIv2, builds a client
// from the config the sandbox hands out, and walks the main flows, a line
// per step. It needs no network, file or configuration, and exits 0 only
// when every step succeeded and every answer verified.
func demoCommand(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "walk the main flows against a fake WeChat Pay in this process (no network, no files)",
		Long: "Runs the main flows of the SDK against a fake WeChat Pay started in this process:\n" +
			"APIv2 and APIv3 calls, a Native payment, its notification, a query, a refund,\n" +
			"async calls, a bill download and an image upload. Needs no network or files.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), e)
		},
	}
}

func runDemo(ctx context.Context, e *env) error {
	d := &demo{ctx: ctx, w: e.stdout, tty: isTerminal(e.stdout), start: time.Now()}
	d.srv = wechatpaytest.NewTLSServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer d.srv.Close()
	demoSetup(d.srv)
	fmt.Fprintf(d.w, "wxpay demo: a fake WeChat Pay (the sandbox) at %s, merchant %s\n\n", d.srv.URL, d.srv.MchID)

	steps := []struct {
		title string
		run   func() (string, error)
	}{
		{"client", d.newClient},
		{"APIv2, HMAC-SHA256", d.v2RiskCallback},
		{"APIv2, mutual TLS", d.v2RiskQuery},
		{"APIv3 GET + query", d.tradeRisk},
		{"APIv3 PUT", d.violationNotifications},
		{"APIv3 POST", d.controlOrderNotify},
		{"Native payment", d.nativePay},
		{"payment notification", d.notification},
		{"query the payment", d.queryPayment},
		{"refund", d.refund},
		{"async calls", d.async},
		{"forged answer", d.forged},
		{"bill download", d.bill},
		{"image upload", d.upload},
	}
	defer func() {
		if d.client != nil {
			d.client.Close()
		}
	}()
	for _, s := range steps {
		detail, err := s.run()
		if err != nil {
			fmt.Fprintf(d.w, "  ✗ %-21s %s\n", s.title, explain(err))
			fmt.Fprintf(e.stderr, "wxpay demo: %s failed: %s\n", s.title, explain(err))
			return exitError{exitFailure}
		}
		fmt.Fprintf(d.w, "  ✓ %-21s %s\n", s.title, detail)
	}
	wxpay := invocation()
	fmt.Fprintf(d.w, "\nAll %d steps succeeded in %s: every answer verified, the forged one refused.\n"+
		"Next: serve this fake WeChat Pay for your own calls, and call it:\n"+
		"  %s sandbox --data sandbox\n"+
		"  %s -c sandbox/wechatpay.json get v3/certificates\n"+
		"%ssee docs/cli.md.\n",
		len(steps), time.Since(d.start).Round(time.Millisecond), wxpay, wxpay, installHint(wxpay))
	return nil
}

// invocation is how the user runs this command: "go run ./cmd/wxpay"
// when go run built it (into a go-build folder), else "wxpay".
func invocation() string {
	exe, err := os.Executable()
	if err == nil && strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return "go run ./cmd/wxpay"
	}
	return "wxpay"
}

// installHint tells a go run user how to get the shorter command.
func installHint(wxpay string) string {
	if wxpay == "wxpay" {
		return ""
	}
	return "(`go install ./cmd/wxpay` installs it as wxpay, or from anywhere:\n" +
		"`go install github.com/wechatpay-go/wechatpay/cmd/wxpay@latest`); "
}

// demoSetup prepares the sandbox before the steps run; tests arm faults
// with it.
var demoSetup = func(*wechatpaytest.Server) {}

// demo holds the sandbox, the client, and what one step hands the next.
type demo struct {
	ctx    context.Context
	w      io.Writer
	tty    bool
	start  time.Time
	srv    *wechatpaytest.Server
	client *wechatpay.Client

	outTradeNo, transactionID, outRefundNo string
}

// isTerminal tells whether w is a terminal, where progress is redrawn in
// place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (d *demo) newClient() (string, error) {
	c, err := wechatpay.New(d.srv.Config())
	if err != nil {
		return "", err
	}
	d.client = c
	d.outTradeNo = "DEMO" + time.Now().Format("20060102150405")
	d.outRefundNo = "R" + d.outTradeNo
	return fmt.Sprintf("APIv3 and APIv2 from the sandbox's Config; answers verified with %s", strings.Join(shortAll(c.Keys().Serials()), " or ")), nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

func shortAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = short(x)
	}
	return out
}

func (d *demo) v2RiskCallback() (string, error) {
	res, err := d.client.Chain("v2/mchrisk/setmchriskcallback").PostContext(d.ctx, wechatpay.M{"xml": wechatpay.M{
		"mch_id": d.srv.MchID, "callback_url": "https://example.com/wxpay/risk", "sign_type": "HMAC-SHA256",
	}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v2/mchrisk/setmchriskcallback: return_code %s, result_code %s, sign checked",
		res.Get("return_code"), res.Get("result_code")), nil
}

func (d *demo) v2RiskQuery() (string, error) {
	res, err := d.client.Chain("v2/mchrisk/querymchrisk").PostContext(d.ctx, wechatpay.M{"security": true, "xml": wechatpay.M{
		"mch_id": d.srv.MchID, "sign_type": "HMAC-SHA256",
	}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v2/mchrisk/querymchrisk, with the merchant certificate: result_code %s", res.Get("result_code")), nil
}

func (d *demo) tradeRisk() (string, error) {
	res, err := d.client.Chain("v3/merchant-risk-manage/trade-risk-information").GetContext(d.ctx, wechatpay.M{
		"query": wechatpay.M{"out_trade_no": d.outTradeNo},
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v3/merchant-risk-manage/trade-risk-information?out_trade_no=…: risk_type %s", res.Get("risk_type")), nil
}

func (d *demo) violationNotifications() (string, error) {
	url := "https://example.com/wxpay/violation"
	res, err := d.client.Chain("v3/merchant-risk-manage/violation-notifications").PutContext(d.ctx, wechatpay.M{
		"json": wechatpay.M{"notify_url": url},
	})
	if err != nil {
		return "", err
	}
	if got := res.Get("notify_url").String(); got != url {
		return "", fmt.Errorf("notify_url is %q, want %q", got, url)
	}
	return "v3/merchant-risk-manage/violation-notifications: notify_url set", nil
}

func (d *demo) controlOrderNotify() (string, error) {
	res, err := d.client.Chain("v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify").PostContext(d.ctx, wechatpay.M{
		"json": wechatpay.M{"out_request_no": "REQ" + d.outTradeNo, "mchid": d.srv.MchID, "audit_result": "PASS"},
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify: %d %s", res.StatusCode, http.StatusText(res.StatusCode)), nil
}

func (d *demo) nativePay() (string, error) {
	// The catalog asks this endpoint for Wechatpay-Serial, the key the
	// request's sensitive fields would be encrypted with: the encrypter
	// names it.
	enc, err := d.client.NewSensitiveEncrypter()
	if err != nil {
		return "", err
	}
	res, err := d.client.Chain("v3/pay/transactions/native").PostContext(d.ctx, wechatpay.M{"json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": d.srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": d.outTradeNo, "notify_url": "https://example.com/wxpay/notify",
		"amount": wechatpay.M{"total": 1, "currency": "CNY"},
	}}, enc)
	if err != nil {
		return "", err
	}
	code := res.Get("code_url").String()
	if code == "" {
		return "", errors.New("the answer has no code_url")
	}
	return fmt.Sprintf("order %s: code_url %s (the payer scans it)", d.outTradeNo, code), nil
}

func (d *demo) notification() (string, error) {
	got := make(chan *wechatpay.Notification, 1)
	handler := d.client.Notifier().Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		got <- n
		return nil
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(l)
	defer hs.Close()

	d.transactionID = "4200000" + time.Now().Format("20060102150405")
	resource := wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": d.srv.MchID, "out_trade_no": d.outTradeNo, "transaction_id": d.transactionID,
		"trade_type": "NATIVE", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
		"success_time": time.Now().Format(time.RFC3339), "payer": wechatpay.M{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
		"amount": wechatpay.M{"total": 1, "payer_total": 1, "currency": "CNY", "payer_currency": "CNY"},
	}
	url := "http://" + l.Addr().String() + "/wxpay/notify"
	delivery, err := d.srv.Notify(d.ctx, url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", Resource: resource}, wechatpaytest.WithSchedule())
	if err != nil {
		return "", err
	}
	var n *wechatpay.Notification
	select {
	case n = <-got:
	default:
		return "", errors.New("the handler was not called")
	}
	if n.Get("out_trade_no").String() != d.outTradeNo {
		return "", fmt.Errorf("the notification is for %q, want %q", n.Get("out_trade_no"), d.outTradeNo)
	}
	return fmt.Sprintf("%s: verified, decrypted, answered %d; transaction_id %s",
		n.EventType, delivery.Attempts[len(delivery.Attempts)-1].Status, n.Get("transaction_id")), nil
}

func (d *demo) queryPayment() (string, error) {
	res, err := d.client.Chain("v3/pay/transactions/id/{transaction_id}").GetContext(d.ctx, wechatpay.M{
		"transaction_id": d.transactionID, "query": wechatpay.M{"mchid": d.srv.MchID},
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v3/pay/transactions/id/%s: trade_state %s", res.Get("transaction_id"), res.Get("trade_state")), nil
}

func (d *demo) refund() (string, error) {
	res, err := d.client.Chain("v3/refund/domestic/refunds").PostContext(d.ctx, wechatpay.M{"json": wechatpay.M{
		"transaction_id": d.transactionID, "out_refund_no": d.outRefundNo, "reason": "商品已售完",
		"amount": wechatpay.M{"refund": 1, "total": 1, "currency": "CNY"},
	}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v3/refund/domestic/refunds %s, 0.01 CNY: status %s", res.Get("out_refund_no"), res.Get("status")), nil
}

func (d *demo) async() (string, error) {
	started := time.Now()
	futures := []*wechatpay.Future[*wechatpay.Response]{
		d.client.Chain("v3/pay/transactions/id/{transaction_id}").GetAsync(wechatpay.M{
			"transaction_id": d.transactionID, "query": wechatpay.M{"mchid": d.srv.MchID}}),
		d.client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").GetAsync(wechatpay.M{
			"out_trade_no": d.outTradeNo, "query": wechatpay.M{"mchid": d.srv.MchID}}),
		d.client.Chain("v3/refund/domestic/refunds/{out_refund_no}").GetAsync(wechatpay.M{"out_refund_no": d.outRefundNo}),
	}
	if _, err := wechatpay.WaitAll(futures...); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d queries at once (GetAsync, WaitAll), all verified in %s", len(futures), time.Since(started).Round(time.Millisecond)), nil
}

func (d *demo) forged() (string, error) {
	const route = "GET v3/pay/transactions/id/{transaction_id}"
	d.srv.Fault(route, wechatpaytest.BadSignature().Once())
	_, err := d.client.Chain("v3/pay/transactions/id/{transaction_id}").GetContext(d.ctx, wechatpay.M{
		"transaction_id": d.transactionID, "query": wechatpay.M{"mchid": d.srv.MchID},
	})
	var ve *wechatpay.VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrBadSignature) {
		return "", fmt.Errorf("an answer with a bad signature was not refused: %v", err)
	}
	return "an answer with a bad signature is refused: *wechatpay.VerifyError, " + wechatpay.ErrBadSignature.Error(), nil
}

func (d *demo) bill() (string, error) {
	date := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	bill, err := d.client.Chain("v3/bill/tradebill").GetContext(d.ctx, wechatpay.M{
		"query": wechatpay.M{"bill_date": date, "bill_type": "ALL", "tar_type": "GZIP"},
	})
	if err != nil {
		return "", err
	}
	var csv bytes.Buffer
	var received, total int64
	res, err := d.client.DownloadBill(d.ctx, bill, wechatpay.Download{Writer: &csv, Gunzip: true, Progress: func(n, of int64) {
		received, total = n, of
		if d.tty {
			fmt.Fprintf(d.w, "\r    ↓ %s", progress(n, of))
		}
	}})
	if d.tty {
		fmt.Fprint(d.w, "\r\033[K")
	} else if received > 0 {
		fmt.Fprintf(d.w, "    ↓ %s\n", progress(received, total))
	}
	if err != nil {
		return "", err
	}
	rows, err := formatter.CastCSVBill(csv.Bytes())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s: %d bytes gzip → %d bytes CSV, %d row(s), %s %s checked",
		date, res.Received, res.Written, len(rows.Rows), bill.Get("hash_type"), short(bill.Get("hash_value").String())), nil
}

// progress reads "received of total bytes (percent)".
func progress(n, total int64) string {
	if total <= 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d of %d bytes (%d%%)", n, total, n*100/total)
}

func (d *demo) upload() (string, error) {
	img, err := demoPNG()
	if err != nil {
		return "", err
	}
	m, err := wechatpay.NewMedia("demo.png", bytes.NewReader(img))
	if err != nil {
		return "", err
	}
	res, err := d.client.Upload(d.ctx, "v3/merchant/media/upload", m)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("v3/merchant/media/upload demo.png, %d bytes: media_id %s", len(img), short(res.Get("media_id").String())), nil
}

// demoPNG draws a small image to upload.
func demoPNG() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{R: 7, G: uint8(150 + x), B: uint8(60 + y), A: 255})
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}
