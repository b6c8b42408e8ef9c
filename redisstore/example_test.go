package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/redisstore"
)

// One Redis shares the platform certificates of every instance of a
// merchant's back end, and makes each notification run once.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379", Password: os.Getenv("REDIS_PASSWORD")})
	store := redisstore.New(rdb)

	client, err := wechatpay.New(wechatpay.Config{
		MchID:            "1900000109",
		Serial:           "3775B6A45ACD588826D15E583A95F5DD********",
		PrivateKey:       "file:///path/to/merchant/apiclient_key.pem",
		APIv3Key:         crypto.NewSecret(os.Getenv("WECHATPAY_APIV3_KEY")),
		CertificateStore: store, // certificate mode, shared
		CertificateRefresh: wechatpay.CertificateRefresh{
			OnError: func(err error) { log.Print("platform certificates: ", err) },
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	nf := client.Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store, OnError: func(err error) { log.Print(err) }}
	http.Handle("/wechatpay/notify", nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		return nil // runs once per notification across the instances
	}))
}
