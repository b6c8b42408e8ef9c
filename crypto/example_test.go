package crypto_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/wechatpay-go/wechatpay/crypto"
)

// Load the merchant private key from apiclient_key.pem. The same call takes
// PEM text, "file://..." or a bare "private.pkcs8://MIIE..." value.
func ExampleLoadPrivateKey() {
	key, err := crypto.LoadPrivateKey("testdata/apiclient_key.pem")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key.N.BitLen())

	_, err = crypto.LoadPrivateKey("testdata/apiserver_cert.pem")
	fmt.Println(err)
	// Output:
	// 2048
	// file "testdata/apiserver_cert.pem": crypto: invalid key: no private key in the PEM (found CERTIFICATE); that is public material: the merchant private key is apiclient_key.pem
}

// Sign an APIv3 request message and check it with the platform
// certificate's key. PKCS#1 v1.5 signatures are deterministic.
func ExampleSign() {
	key, _ := crypto.LoadPrivateKey("testdata/apiclient_key.pem")
	message := []byte("GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n")
	signature, err := crypto.Sign(key, message)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(signature[:32])

	platform, _ := crypto.LoadPublicKey("testdata/apiserver_cert.pem")
	fmt.Println(crypto.Verify(platform, message, signature))
	// Output:
	// u8uM2mC0zsTcBldpNkf9eIRFnxwxl9OB
	// <nil>
}

// Verify reports a mismatch as an error matching ErrVerification.
func ExampleVerify() {
	platform, _ := crypto.LoadPublicKey("testdata/apiserver_cert.pem")
	err := crypto.Verify(platform, []byte("tampered"), "u8uM2mC0zsTcBldpNkf9eIRFnxwxl9OBzFzrBp9C+ygDbqKfjfbr9GTZrvPw3wqpfhn7npKzSVHf4lbD9T3RZpwq8yGBJAtW3YNoB4WR6ieFAp9fNX8LbRTfcbqOrcX/JuG9bZ1cvlQr9BljgM474p2L6MAtULc1za3tCXI/SkssirhLqE9VH4LXClbussMImgsg0zUFHIWl8RIWkEfhKjDUNgZLyGnT+arHLJKf/2csGKE6fS0t0ofTbSwcaVgNbK3UySD7iORerwwdcYlGIVn1zKgIbLl3GM518roWPd59nNct0D3SXESsbpeyzuWT7kx9DPfp0f0UHJWdMKYCZw==")
	fmt.Println(err != nil)
	// Output: true
}

// Decrypt the resource of an APIv3 notification with the APIv3 key.
func ExampleDecryptAESGCM() {
	apiv3Key := crypto.NewSecret("0123456789abcdef0123456789abcdef")
	resource := struct {
		Ciphertext, Nonce, AssociatedData string
	}{"APoZlYpivU3HjbAiB4CvW1rAFr8J", "0123456789abcdef", "world"}

	plaintext, err := crypto.DecryptAESGCM(apiv3Key.Reveal(), []byte(resource.Nonce), resource.Ciphertext, []byte(resource.AssociatedData))
	fmt.Printf("%s %v\n", plaintext, err)

	_, err = crypto.DecryptAESGCM(apiv3Key.Reveal()[:31], []byte(resource.Nonce), resource.Ciphertext, nil)
	fmt.Println(err)
	// Output:
	// hello <nil>
	// crypto: wrong key size: AES-256-GCM needs the 32-byte APIv3 key, got 31 bytes: check the APIv3 key (not the APIv2 key) was copied whole
}

// Decrypt the req_info of an APIv2 refund notification.
func ExampleDecryptAESECB() {
	key := crypto.ECBKeyFromAPIv2Key([]byte("192006250b4c09247ec02edce69f6a2d"))
	ciphertext, _ := crypto.EncryptAESECB(key, []byte("<root><refund_status>SUCCESS</refund_status></root>"))
	plaintext, err := crypto.DecryptAESECB(key, ciphertext)
	fmt.Printf("%s %v\n", plaintext, err)
	// Output: <root><refund_status>SUCCESS</refund_status></root> <nil>
}

// Sign APIv2 fields: the official example (fields sorted by name).
func ExampleHashSign() {
	data := []byte("appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA")
	key := []byte("192006250b4c09247ec02edce69f6a2d")
	md5Sign, _ := crypto.HashSign(crypto.SignTypeMD5, data, key)
	hmacSign, _ := crypto.HashSign(crypto.SignTypeHMACSHA256, data, key)
	fmt.Println(md5Sign)
	fmt.Println(hmacSign)
	fmt.Println(crypto.Equal(md5Sign, "9A0A8659F005D6984697E2CA0A9CF3B7"))

	_, err := crypto.HashSign("md5", data, key)
	fmt.Println(err)
	// Output:
	// 9A0A8659F005D6984697E2CA0A9CF3B7
	// 6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6
	// true
	// crypto: unsupported sign type: sign types are case-sensitive: write "MD5"
}

// A Secret prints, logs and marshals as [REDACTED], but reads from JSON.
func ExampleSecret() {
	var cfg struct {
		MchID    string        `json:"mchid"`
		APIv3Key crypto.Secret `json:"apiv3_key"`
	}
	_ = json.Unmarshal([]byte(`{"mchid":"1900000001","apiv3_key":"0123456789abcdef0123456789abcdef"}`), &cfg)

	fmt.Printf("%v %+v %x\n", cfg.APIv3Key, cfg, cfg.APIv3Key)
	out, _ := json.Marshal(cfg)
	fmt.Println(string(out))
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("configured", "apiv3_key", cfg.APIv3Key)
	fmt.Println(cfg.APIv3Key.Len(), len(cfg.APIv3Key.Reveal()))
	// Output:
	// [REDACTED] {MchID:1900000001 APIv3Key:[REDACTED]} [REDACTED]
	// {"mchid":"1900000001","apiv3_key":"[REDACTED]"}
	// level=INFO msg=configured apiv3_key=[REDACTED]
	// 32 32
}

// The serial number WeChat Pay expects in Wechatpay-Serial.
func ExampleCertificateSerial() {
	cert, _ := crypto.LoadCertificate("testdata/apiserver_cert.pem")
	fmt.Println(crypto.CertificateSerial(cert))
	// Output: BE2A2344B984167B
}
