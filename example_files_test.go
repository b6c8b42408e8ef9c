package wechatpay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rsa"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// filesSandbox starts a loopback WeChat Pay that takes uploads and serves
// bills, and returns a client Config for it and the function that stops it.
func filesSandbox() (*wechatpaytest.Server, wechatpay.Config, func()) {
	srv := wechatpaytest.NewServer()
	bill := []byte(tradeBillCSV)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bill)
	zw.Close()
	srv.HandleFunc("GET", "v3/bill/tradebill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{
			"hash_type": "SHA1", "hash_value": sha1Hex(bill),
			"download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNpxp8FMCTqoKYU0YCI93g8S1rE&tartype=gzip",
		})
	})
	srv.HandleFunc("GET", "v3/billdownload/file", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: gz.Bytes(), Unsigned: true}
	})
	srv.HandleFunc("POST", "v2/pay/downloadbill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: gz.Bytes(), Header: http.Header{"Content-Type": {"application/x-gzip"}}}
	})
	receiversServer(srv, map[string]*rsa.PrivateKey{srv.Platform.Serial: srv.Platform.Key})
	ts := httptest.NewServer(newUploadServer(srv))
	cfg := srv.Config()
	cfg.BaseURL = ts.URL + "/"
	return srv, cfg, func() { ts.Close(); srv.Close() }
}

func ExampleOpenMedia() {
	_, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()

	// The file is hashed now and streamed when sent, never held in memory.
	media, err := wechatpay.OpenMedia("testdata/image.jpg")
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.Chain("v3/merchant/media/upload").Post(wechatpay.M{"body": media})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(media.Filename(), media.FileContentType())
	fmt.Println(string(media.SignedBody()))
	fmt.Println(res.Get("media_id").String() != "")
	// Output:
	// image.jpg image/jpeg
	// {"filename":"image.jpg","sha256":"f69c687cfb1d9013b8e69263e0ee08dc4307ce966a5958e1c963c1159f689bdf"}
	// true
}

func ExampleNewMedia() {
	_, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()

	// A file made in memory, for an endpoint whose meta has a bank_type,
	// after filename and sha256, as the caller orders it.
	users := bytes.NewReader([]byte("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\noUpF8uN95-Ptaags6E_roPHg7AG0\n"))
	media, err := wechatpay.NewMedia("active_user.csv", users, wechatpay.MediaMeta(wechatpay.Ordered{{"bank_type", "CITIC"}}))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Upload(context.Background(), "v3/marketing/bank/packages/{package_id}/tasks", media,
		wechatpay.M{"package_id": "8473295"})
	fmt.Println(err)
	fmt.Println(string(media.SignedBody()))
	// Output:
	// <nil>
	// {"filename":"active_user.csv","sha256":"0633c7426ddaa02ca27af5e02819339c81bbfcdd4892d79422eb8c2fc20f4e9c","bank_type":"CITIC"}
}

func ExampleClient_Upload() {
	_, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()
	dir, _ := os.MkdirTemp("", "videos")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "intro.mp4")
	os.WriteFile(path, bytes.Repeat([]byte("frame"), 1<<16), 0o600)

	video, err := wechatpay.OpenMedia(path)
	if err != nil {
		log.Fatal(err)
	}
	// An APIv3 path gets the meta+file form; an APIv2 path
	// (v2/secapi/mch/uploadmedia) the APIv2 form, over mutual TLS.
	res, err := client.Upload(context.Background(), "v3/merchant/media/video_upload", video, wechatpay.M{"timeout": 120})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(video.FileContentType(), video.Size() > 5<<16, res.Get("media_id").Exists())
	// Output: video/mp4 true true
}

func ExampleClient_DownloadBill() {
	_, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()
	dir, _ := os.MkdirTemp("", "bills")
	defer os.RemoveAll(dir)

	bill, err := client.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": wechatpay.M{
		"bill_date": "2019-06-11", "bill_type": "ALL", "tar_type": "GZIP",
	}})
	if err != nil {
		log.Fatal(err)
	}
	// Signed and sent through the client; decompressed; checked against
	// hash_value; renamed into place only then.
	dest := filepath.Join(dir, "2019-06-11.csv")
	res, err := client.DownloadBill(context.Background(), bill, wechatpay.Download{File: dest, Gunzip: true})
	if err != nil {
		log.Fatal(err)
	}
	csv, _ := os.ReadFile(dest)
	rows, err := formatter.CastCSVBill(csv)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Gzip, len(rows.Rows), rows.Rows[0]["商户订单号"], rows.Summary["总交易单数"])
	// Output: true 1 1217752501201407033233368018 1
}

func ExampleChain_Download() {
	srv, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()

	// APIv2 downloadbill: the file on success, XML (a *V2Error) on failure.
	var csv bytes.Buffer
	_, err := client.Chain("v2/pay/downloadbill").Download(context.Background(), "POST",
		wechatpay.Download{Writer: &csv, Gunzip: true},
		wechatpay.M{"xml": wechatpay.M{
			"appid": "wx8888888888888888", "mch_id": srv.MchID,
			"bill_date": "20190611", "bill_type": "ALL", "tar_type": "GZIP",
		}})
	if err != nil {
		log.Fatal(err)
	}
	rows, _ := formatter.CastCSVBill(csv.Bytes())
	fmt.Println(rows.Rows[0]["交易状态"], rows.Rows[0]["应结订单金额"])
	// Output: SUCCESS 1.00
}

func ExampleClient_FetchCertificates() {
	cs := startCertificateServer()
	defer cs.srv.Close()
	cs.deliver(cs.platform(-time.Hour, 365*24*time.Hour))
	// A client that knows only the WeChat Pay public key can fetch the
	// platform certificates: the answer is checked with what it delivers.
	client, _ := wechatpay.New(cs.srv.ConfigFor(wechatpaytest.PublicKeyMode))
	defer client.Close()

	certs, err := client.FetchCertificates(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range certs {
		fmt.Println(c.Serial == cs.srv.Platform.Serial, c.ValidAt(time.Now()), c.Certificate.Subject.CommonName)
	}
	// Output: true true wechatpay platform
}

func ExampleClient_StartCertificateRefresh() {
	cs := startCertificateServer()
	defer cs.srv.Close()
	cs.deliver(cs.platform(-time.Hour, 365*24*time.Hour))
	client, _ := wechatpay.New(cs.srv.ConfigFor(wechatpaytest.PublicKeyMode))
	defer client.Close() // also stops the refresh

	r, err := client.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{
		Interval: 12 * time.Hour,
		OnError:  func(err error) { log.Print("refreshing WeChat Pay certificates: ", err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(r.Certificates()), client.Keys().Len())
	// Output: 1 2
}

func ExampleClient_NewSensitiveEncrypter() {
	_, cfg, stop := filesSandbox()
	defer stop()
	client, _ := wechatpay.New(cfg)
	defer client.Close()

	enc, err := client.NewSensitiveEncrypter()
	if err != nil {
		log.Fatal(err)
	}
	name, err := enc.Encrypt("张三")
	if err != nil {
		log.Fatal(err)
	}
	// enc, as an option, names its key in the Wechatpay-Serial header.
	res, err := client.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{
		"type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": name, "relation_type": "PARTNER",
	}}, enc)
	if err != nil {
		log.Fatal(err)
	}
	// The answer's encrypted fields open with the merchant key.
	back, err := client.DecryptSensitive(res.Get("name").String())
	fmt.Println(back, err)
	// Output: 张三 <nil>
}

// Mutual TLS with apiclient_cert.p12, through a proxy, with the backup
// domain on (the default for api.mch.weixin.qq.com).
func ExampleConfig_network() {
	cfg := wechatpay.Config{
		MchID:  "1900000109",
		Secret: crypto.NewSecret("a 32-character APIv2 key........"),
		Merchant: &wechatpay.MerchantCert{
			PKCS12: "/path/to/apiclient_cert.p12", // locked with the MchID unless Password is set
		},
		Proxy: "http://user:password@proxy.example.com:3128", // or socks5://…, socks5h://…
		// BackupBaseURL: wechatpay.DefaultBackupBaseURL (the default); NoBackup: true turns it off.
	}
	fmt.Println(cfg.Proxy != "")
	// Output: true
}
