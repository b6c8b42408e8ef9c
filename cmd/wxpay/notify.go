package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
)

// notifyCommand is `wxpay notify`: it checks a captured notification,
// prints its plaintext as JSON, and exits 1 when it does not verify.
func notifyCommand(e *env) *cobra.Command {
	var (
		v2       bool
		headers  []string
		bodyPath string
	)
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "verify (and decrypt) a captured notification, print its plaintext",
		Long: "Verifies a captured notification (回调通知) and decrypts it; prints the plaintext as\n" +
			"JSON. The body is read from standard input or --body FILE, the Wechatpay-* headers\n" +
			"given with -H. An XML body is an APIv2 notification (--v2 says so explicitly); a\n" +
			"refund's req_info is decrypted with the APIv2 key. Exits 1 with the reason when it\n" +
			"does not verify.",
		Example: "  wxpay notify -H 'Wechatpay-Timestamp: 1717207800' -H 'Wechatpay-Nonce: 5K8264ILTKCH16CQ2502SI8ZNMTM67VS' \\\n" +
			"    -H 'Wechatpay-Serial: PUB_KEY_ID_0114232134912410000000000000' -H 'Wechatpay-Signature: …' < body.json\n" +
			"  wxpay notify --body refund.xml",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			h := http.Header{}
			for _, v := range headers {
				name, value, err := headerValue("-H", v)
				if err != nil {
					return fail(e, cmd, exitUsage, "%v", err)
				}
				h.Add(name, value)
			}
			return runNotify(cmd, e, v2, h, bodyPath)
		},
	}
	cmd.Flags().BoolVar(&v2, "v2", false, "an APIv2 (XML) notification; an XML body is one anyway")
	cmd.Flags().StringArrayVarP(&headers, "header", "H", nil, "a header of the notification, `'Name: value'` (repeatable)")
	cmd.Flags().StringVar(&bodyPath, "body", "-", "the notification body: a `FILE`, or - for standard input")
	return cmd
}

func runNotify(cmd *cobra.Command, e *env, v2 bool, h http.Header, bodyPath string) error {
	failed := func(err error) error { return fail(e, cmd, exitFailure, "%s", inFileTerms(err.Error())) }
	cfg, err := e.loadConfig()
	if err != nil {
		return failed(err)
	}
	nf, err := wechatpay.NewNotifier(cfg)
	if err != nil {
		path, _ := e.configPath()
		return failed(configError(path, err))
	}
	var body []byte
	if bodyPath == "-" {
		body, err = io.ReadAll(e.stdin)
	} else {
		body, err = os.ReadFile(bodyPath)
	}
	if err != nil {
		return failed(err)
	}
	if !v2 && isXML(body) {
		fmt.Fprintf(e.stderr, "%s: the body is XML: read as an APIv2 notification (--v2)\n", cmd.CommandPath())
		v2 = true
	}
	out, summary, err := parseNotification(nf, v2, h, body)
	if err != nil {
		return failed(err)
	}
	fmt.Fprintf(e.stderr, "%s: verified %s\n", cmd.CommandPath(), summary)
	e.stdout.Write(out)
	return nil
}

// isXML tells an APIv2 notification body from an APIv3 one, which is
// JSON.
func isXML(body []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte("<"))
}

// parseNotification verifies a notification and returns its plaintext as
// indented JSON, and what it is ("TRANSACTION.SUCCESS (id …)", "APIv2
// notification"): for APIv3 the decrypted resource; for APIv2 the fields,
// or a refund's decrypted req_info, or the fields with the decrypted
// event_data.
func parseNotification(nf *wechatpay.Notifier, v2 bool, h http.Header, body []byte) (out []byte, summary string, err error) {
	if v2 {
		n, err := nf.ParseV2Notification(h, body)
		if err != nil {
			return nil, "", err
		}
		var fields any = n.Fields
		switch {
		case n.ReqInfo != nil:
			fields = n.ReqInfo
		case n.EventData != nil:
			all := map[string]any{}
			for k, v := range n.Fields {
				all[k] = v
			}
			all["event_data"] = n.EventData
			fields = all
		}
		out, err = marshalPretty(fields)
		summary = "APIv2 notification"
		if n.ReqInfo != nil {
			summary = "APIv2 refund notification (req_info decrypted)"
		}
		return out, summary, err
	}
	n, err := nf.ParseNotification(h, body)
	if err != nil {
		return nil, "", err
	}
	if out, err = prettyJSON(n.Plaintext); err != nil {
		// A resource that is not JSON is printed as a JSON string.
		out, err = marshalPretty(string(n.Plaintext))
	}
	return out, fmt.Sprintf("%s (id %s)", n.EventType, n.ID), err
}
