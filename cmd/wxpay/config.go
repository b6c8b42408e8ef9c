package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/wechatpay-go/wechatpay"
)

// configPath is where the client configuration is read from, and which
// setting named it: -c FILE, then $WECHATPAY_CONFIG, then ./wechatpay.json.
func (e *env) configPath() (path, from string) {
	if e.config != "" {
		return e.config, "from -c"
	}
	if p := os.Getenv("WECHATPAY_CONFIG"); p != "" {
		return p, "from $WECHATPAY_CONFIG"
	}
	return "wechatpay.json", "the default, in the working directory"
}

// loadConfig reads the client configuration. A missing file is explained
// with the ways to name one, and the sandbox that writes one.
func (e *env) loadConfig() (wechatpay.Config, error) {
	path, from := e.configPath()
	cfg, err := wechatpay.LoadConfig(path)
	if fe, ok := err.(*wechatpay.ConfigFileError); ok && fe.Key == "" && errors.Is(fe.Err, fs.ErrNotExist) {
		return cfg, fmt.Errorf("%s (%s): no such file.\n"+
			"Name the client configuration with -c FILE or $WECHATPAY_CONFIG (else ./wechatpay.json is read),\n"+
			"or run `wxpay sandbox --data sandbox` for a local fake WeChat Pay that writes sandbox/wechatpay.json", path, from)
	}
	if err != nil {
		return cfg, errors.New(inFileTerms(err.Error()))
	}
	return cfg, nil
}

// newClient loads the configuration and builds a client. Its errors name
// the file and its keys (private_key), not the Go fields New names
// (Config.PrivateKey).
func (e *env) newClient() (*wechatpay.Client, wechatpay.Config, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, cfg, err
	}
	c, err := e.clientFor(cfg)
	return c, cfg, err
}

// clientFor builds a client of cfg, read from the configuration file.
func (e *env) clientFor(cfg wechatpay.Config) (*wechatpay.Client, error) {
	c, err := wechatpay.New(cfg)
	if err != nil {
		path, _ := e.configPath()
		return nil, configError(path, err)
	}
	return c, nil
}

// configError rewrites an error of New (a *ConfigError per field, joined)
// in the configuration file's terms: each line names the file and the key.
func configError(path string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		l = strings.TrimPrefix(l, "wechatpay: ")
		lines[i] = path + ": " + inFileTerms(l)
	}
	return errors.New(strings.Join(lines, "\n"))
}

// fileKeys names Config's fields as the configuration file writes them,
// longest first where one is the start of another.
var fileKeys = strings.NewReplacer(
	"Config.MchID, Serial, PrivateKey and Certs (or APIv3Key)", "mchid, serial, private_key and certs (or apiv3_key)",
	"Config.MchID, Serial, PrivateKey and Certs", "mchid, serial, private_key and certs",
	"(MchID, Serial, PrivateKey, Certs), APIv2 (Secret)", "(mchid, serial, private_key, certs), APIv2 (secret)",
	"Config.Merchant.Cert", "merchant.cert",
	"Config.Merchant.Key", "merchant.key",
	"Config.Merchant", "merchant",
	"Config.MchID", "mchid",
	"Config.Serial", "serial",
	"Config.PrivateKey", "private_key",
	"Config.Certs", "certs",
	"Config.Secret", "secret",
	"Config.APIv3Key", "apiv3_key",
	"Config.BaseURL", "base_url",
	"Config.TLSConfig", "tls_ca",
)

// inFileTerms rewrites the Config fields a message names as the keys of
// the configuration file, and drops the package prefix.
func inFileTerms(msg string) string {
	return fileKeys.Replace(strings.ReplaceAll(msg, "wechatpay: ", ""))
}
