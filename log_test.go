package wechatpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// loggedCalls makes one call of each kind through a client logging to
// logger, and returns every secret and ciphertext the calls involved, by
// what it is.
func loggedCalls(t *testing.T, logger *slog.Logger) (secrets map[string]string, calls int) {
	t.Helper()
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Logger = logger
	cfg.Retry = &fastRetry
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	secrets = map[string]string{
		"the APIv2 key": srv.Secret, "the APIv3 key": srv.APIv3Key,
		"the private key": strings.Split(string(srv.Merchant.KeyPEM()), "\n")[3],
	}
	// What WeChat Pay signed its answers with, caught inside the verifier.
	var mu sync.Mutex
	catch := func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			res, err := next.Handle(ctx, req)
			if res != nil {
				mu.Lock()
				if s := res.Header.Get("Wechatpay-Signature"); s != "" {
					secrets["an answer's signature "+s[:8]] = s
				}
				mu.Unlock()
			}
			return res, err
		})
	}
	if err := c.Stack(wechatpay.APIv3).After("verifier", "catch", catch); err != nil {
		t.Fatal(err)
	}
	// An answer holding fields encrypted for the merchant, one under a name
	// no list knows.
	encrypt := func(s string) string {
		ct, err := crypto.EncryptOAEP(srv.Merchant.PublicKey(), []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	answerName, answerBlob := encrypt("李四"), encrypt("6222020200000000000")
	secrets["an encrypted answer field"], secrets["an encrypted field of an unknown name"] = answerName, answerBlob
	srv.HandleFunc("GET", "v3/x/secret", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"name": answerName, "extra": map[string]any{"blob": answerBlob}, "state": "ok"})
	})
	srv.HandleFunc("GET", "v3/x/bad", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "输入源“/body/name”映射到值字段“姓名”字符串规则校验失败: "+answerBlob)
	})

	ctx := context.Background()
	call := func(what string, err error, wantErr bool) {
		t.Helper()
		calls++
		if (err != nil) != wantErr {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// APIv3 with a sensitive field the client encrypted.
	enc, err := c.NewSensitiveEncrypter()
	if err != nil {
		t.Fatal(err)
	}
	name, _ := enc.Encrypt("张三")
	secrets["an encrypted request field"] = name
	_, err = c.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{
		"appid": "wx8888888888888888", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"name": name, "relation_type": "STORE",
	}}, enc)
	call("receivers/add", err, false)
	_, err = c.Chain("v3/x/secret").Get()
	call("an encrypted answer", err, false)
	_, err = c.Chain("v3/x/bad").Get()
	call("a 400", err, true)
	srv.Fault("GET v3/certificates", wechatpaytest.ServerError(503).Once())
	_, err = c.Chain("v3/certificates").Get()
	call("certificates after a 503", err, false)
	srv.Fault("GET v3/certificates", wechatpaytest.BadSignature().Once())
	_, err = c.Chain("v3/certificates").Get()
	call("a bad signature", err, true)
	// APIv2: signed fields both ways.
	_, err = c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "transaction_id": "4200000985202406011234567890",
	}})
	call("APIv2", err, false)
	// A download, an upload, an option error.
	_, err = c.DownloadURL(ctx, srv.URL+"v3/billdownload/file?token=log", wechatpay.Download{File: filepath.Join(t.TempDir(), "bill.csv")})
	call("a download", err, false)
	path := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(path, []byte("\xff\xd8not really a jpeg"), 0o600)
	media, _ := wechatpay.OpenMedia(path)
	_, err = c.Upload(ctx, "v3/merchant/media/upload", media)
	call("an upload", err, false)
	_, err = c.Chain("v3/x/{id}").Get()
	call("an option error", err, true)

	for _, r := range srv.Received() {
		secrets["a request's Authorization header"] = r.Header.Get("Authorization")
		if m := regexp.MustCompile(`signature="([^"]+)"`).FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			secrets["a request's signature "+m[1][:8]] = m[1]
		}
		if m := regexp.MustCompile(`<sign>([^<]+)</sign>`).FindSubmatch(r.Body); m != nil {
			secrets["an APIv2 request's sign"] = string(m[1])
		}
	}
	return secrets, calls
}

// No secret, signature or ciphertext reaches a log record, at any level,
// with either of log/slog's handlers.
func TestLogHoldsNoSecret(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		for _, kind := range []string{"json", "text"} {
			t.Run(fmt.Sprintf("%s %v", kind, level), func(t *testing.T) {
				var buf bytes.Buffer
				opts := &slog.HandlerOptions{Level: level}
				var h slog.Handler = slog.NewJSONHandler(&buf, opts)
				if kind == "text" {
					h = slog.NewTextHandler(&buf, opts)
				}
				secrets, calls := loggedCalls(t, slog.New(h))
				out := buf.String()
				for what, s := range secrets {
					if s == "" {
						t.Fatalf("%s is empty", what)
					}
					// A third of it is enough to tell: no part must show.
					if strings.Contains(out, s[:max(len(s)/3, min(len(s), 8))]) {
						t.Errorf("%s is in the log:\n%s", what, out)
					}
				}
				// The APIv2 answer's sign, read from the records themselves
				// at debug level, is redacted too.
				if strings.Contains(out, `"sign":`) && !strings.Contains(out, `"sign":"[REDACTED]"`) && !strings.Contains(out, `\"sign\":\"[REDACTED]\"`) {
					t.Errorf("a sign is logged:\n%s", out)
				}
				lines := strings.Count(out, "\n")
				switch level {
				case slog.LevelDebug, slog.LevelInfo:
					if lines != calls {
						t.Fatalf("%d records for %d calls:\n%s", lines, calls, out)
					}
				case slog.LevelWarn:
					if lines != 3 { // the 400 (warn), the bad signature and the option error (error)
						t.Fatalf("%d records at warn and above:\n%s", lines, out)
					}
				case slog.LevelError:
					if lines != 2 {
						t.Fatalf("%d records at error:\n%s", lines, out)
					}
				}
				hasBodies := strings.Contains(out, "request_body")
				if hasBodies != (level == slog.LevelDebug) {
					t.Fatalf("bodies at %v: %t", level, hasBodies)
				}
				if testing.Verbose() && level == slog.LevelDebug {
					t.Log(out)
				}
			})
		}
	}
}

// A record says what an operator needs: the template, status, Request-ID,
// duration, attempts and error class; bodies at debug, redacted.
func TestLogRecord(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	var buf bytes.Buffer
	cfg := srv.Config()
	cfg.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Retry = &fastRetry
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Fault("GET v3/pay/transactions/id/{transaction_id}", wechatpaytest.ServerError(500).Once())
	res, err := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200000985202406011234567890", "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err, buf.String())
	}
	for k, want := range map[string]any{
		"level": "INFO", "msg": "wechatpay call", "method": "GET", "path": "v3/pay/transactions/id/{transaction_id}",
		"status": float64(200), "request_id": res.RequestID(), "attempts": float64(2),
	} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if _, ok := rec["duration"]; !ok || strings.Contains(buf.String(), "4200000985202406011234567890\"}") && !strings.Contains(rec["response_body"].(string), "transaction_id") {
		t.Errorf("record: %v", rec)
	}
	if !strings.Contains(rec["response_body"].(string), `"trade_state"`) {
		t.Errorf("no answer body at debug: %v", rec["response_body"])
	}

	buf.Reset()
	_, err = c.Chain("v3/x/{id}").Get(wechatpay.M{"id": "."})
	rec = nil
	json.Unmarshal(buf.Bytes(), &rec)
	if rec["level"] != "ERROR" || rec["error"] != "option" || rec["attempts"] != float64(0) || rec["status"] != nil {
		t.Errorf("an option error: %v", rec)
	}
}

// The field names the logs redact cover every field the catalog marks
// encrypted, so that the client need not read the catalog.
func TestLogSensitiveFieldsCoverCatalog(t *testing.T) {
	entries, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var walk func(catalog.Nodes)
	walk = func(nodes catalog.Nodes) {
		for _, n := range nodes {
			if n.Encrypted != "" {
				names[n.Name] = true
			}
			walk(n.Children)
		}
	}
	for _, e := range entries {
		walk(e.Request)
		walk(e.Response)
	}
	if len(names) < 50 {
		t.Fatalf("only %d encrypted field names in the catalog", len(names))
	}
	for n := range names {
		if !wechatpay.SensitiveFieldLogged(n) {
			t.Errorf("the catalog encrypts %q, which logs do not redact by name: add it to sensitiveFields in logredact.go", n)
		}
	}
}
