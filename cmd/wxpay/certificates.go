package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
)

// certificatesCommand is `wxpay certificates`: it downloads the platform
// certificates (平台证书, v3/certificates), decrypts them with the APIv3
// key, verifies the answer with them, and prints or saves them.
func certificatesCommand(e *env) *cobra.Command {
	var dir, baseURL string
	cmd := &cobra.Command{
		Use:   "certificates",
		Short: "download, decrypt, verify and save the platform certificates (平台证书)",
		Long: "Downloads WeChat Pay's platform certificates (平台证书, v3/certificates), decrypts them\n" +
			"with apiv3_key, verifies the answer's signature with them, and prints each one's\n" +
			"serial and validity, then its PEM, or saves it with -o. The config needs mchid,\n" +
			"serial, private_key and apiv3_key; certs may be empty.",
		Example: "  wxpay -c sandbox/wechatpay.json certificates -o sandbox/certs",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCertificates(cmd, e, dir, baseURL)
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", "", "save each certificate as `DIR`/wechatpay_<serial>.pem (default: print the PEM)")
	cmd.Flags().StringVar(&baseURL, "base-url", "", "download from `URL` instead of the config's base_url")
	return cmd
}

func runCertificates(cmd *cobra.Command, e *env, dir, baseURL string) error {
	failed := func(err error) error { return fail(e, cmd, exitFailure, "%s", explain(err)) }
	path, _ := e.configPath()
	cfg, err := e.loadConfig()
	if err != nil {
		return failed(err)
	}
	if cfg.APIv3Key.IsZero() {
		return failed(fmt.Errorf("%s has no apiv3_key: the certificates are encrypted with the APIv3 key (APIv3密钥)", path))
	}
	// A config that trusts no WeChat Pay key yet (no certs, as before the
	// first download) makes a client in certificate mode; the download is
	// verified with the certificates it delivers, which the APIv3 key
	// authenticates.
	client, err := e.clientFor(cfg)
	if err != nil {
		return failed(err)
	}
	defer client.Close()
	certs, err := client.FetchCertificates(cmd.Context(), wechatpay.Options{BaseURL: baseURL})
	if err != nil {
		return failed(err)
	}

	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return failed(err)
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
		file := filepath.Join(dir, "wechatpay_"+c.Serial+".pem")
		if err := replaceFile(file, c.PEM); err != nil {
			return failed(err)
		}
		os.Chmod(file, 0o644)
		fmt.Fprintf(&b, "saved      %s\n", file)
		saved = append(saved, fmt.Sprintf("    %q: %q", c.Serial, relativeTo(path, file)))
	}
	if len(saved) > 0 {
		fmt.Fprintf(&b, "\nTo trust them, add to \"certs\" in %s (paths relative to its folder):\n%s\n", path, strings.Join(saved, ",\n"))
	}
	fmt.Fprint(e.stdout, b.String())
	fmt.Fprintf(e.stderr, "%s: %d certificate(s) decrypted with the APIv3 key; the answer's signature verified\n", cmd.CommandPath(), len(certs))
	return nil
}

// relativeTo writes file as the configuration file at config names it: a
// path relative to the configuration's folder, which is how LoadConfig
// reads it (file itself is relative to the working directory); absolute
// when no relative path leads there.
func relativeTo(config, file string) string {
	absConfig, err1 := filepath.Abs(filepath.Dir(config))
	absFile, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return file
	}
	rel, err := filepath.Rel(absConfig, absFile)
	if err != nil {
		return absFile
	}
	return filepath.ToSlash(rel)
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
