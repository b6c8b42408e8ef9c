package node_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/transformer"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Notifications made with the Node SDK's own signing and encryption verify
// and decrypt with the Go Notifier.
func TestNodeNotifications(t *testing.T) {
	bin := node(t)
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	defer srv.Close()
	cfgPath := writeJSON(t, map[string]any{
		"platformKey": string(srv.Platform.KeyPEM()), "platformSerial": srv.Platform.Serial,
		"apiv3Key": srv.APIv3Key, "secret": srv.Secret, "mchid": srv.MchID,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "notify.js", cfgPath).Output()
	if err != nil {
		t.Fatalf("node notify.js: %v", err)
	}
	var made []struct {
		Name      string            `json:"name"`
		Headers   map[string]string `json:"headers"`
		Body      string            `json:"body"`
		Plaintext string            `json:"plaintext"`
	}
	if err := json.Unmarshal(out, &made); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	nf, err := wechatpay.NewNotifier(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range made {
		h := http.Header{}
		for k, v := range m.Headers {
			h.Set(k, v)
		}
		switch m.Name {
		case "transaction", "refund":
			n, err := nf.ParseNotification(h, []byte(m.Body))
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			var got, want any
			json.Unmarshal(n.Plaintext, &got)
			json.Unmarshal([]byte(m.Plaintext), &want)
			if !reflect.DeepEqual(got, want) || n.ID != "EV-"+m.Name {
				t.Fatalf("%s: %s, want %s", m.Name, n.Plaintext, m.Plaintext)
			}
			// A byte changed breaks it.
			tampered := []byte(m.Body)
			tampered[len(tampered)-3] ^= 1
			if _, err := nf.ParseNotification(h, tampered); err == nil {
				t.Fatalf("%s: a tampered notification verified", m.Name)
			}
		case "risk", "paid":
			n, err := nf.ParseV2Notification(h, []byte(m.Body))
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			if m.Name == "risk" && n.Field("risk_level") != "HIGH" || m.Name == "paid" && n.Field("transaction_id") != "1004400740201409030005092168" {
				t.Fatalf("%s: %v", m.Name, n.Fields)
			}
		case "refund-v2":
			n, err := nf.ParseV2Notification(h, []byte(m.Body))
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			want, _ := transformer.ToMap([]byte(m.Plaintext))
			if !reflect.DeepEqual(n.ReqInfo, want) || n.ReqInfo["refund_id"] != "50000000382019052709732678859" {
				t.Fatalf("%s: %v, want %v", m.Name, n.ReqInfo, want)
			}
		default:
			t.Fatalf("unexpected %s", m.Name)
		}
	}
	if len(made) != 5 {
		t.Fatalf("%d notifications", len(made))
	}
}
