package wechatpayotel_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpayotel"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Install traces every call of a client: one span per call, named by the
// path template.
func ExampleInstall() {
	srv := wechatpaytest.NewServer() // a fake WeChat Pay
	defer srv.Close()
	client, err := wechatpay.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer client.Close()

	exporter := tracetest.NewInMemoryExporter() // in production: an OTLP exporter
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	defer tp.Shutdown(context.Background())
	if err := wechatpayotel.Install(client, wechatpayotel.WithTracerProvider(tp)); err != nil {
		panic(err)
	}

	_, err = client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018",
		"query":        wechatpay.M{"mchid": srv.MchID},
	})
	fmt.Println(err)
	for _, s := range exporter.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// <nil>
	// GET v3/pay/transactions/out-trade-no/{out_trade_no}
}
