package catalog_test

import (
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// An endpoint is found by its path in any of the forms a program or a
// wechatpay-php port writes it.
func ExampleCatalog_Lookup() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{
		"v3/pay/transactions/id/{transaction_id}", // the template
		"v3/pay/transactions/id/4200000001",       // expanded
		"v3/pay/transactions/id/_transaction_id_", // wechatpay-php's segments
		"https://api.mch.weixin.qq.com/v3/pay/transactions/id/4200000001?mchid=1900000109",
	} {
		e, err := cat.Lookup("GET", path)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Title, e.Chain)
	}
	// Output:
	// 微信支付订单号查询 v3/pay/transactions/id/{transaction_id}
	// 微信支付订单号查询 v3/pay/transactions/id/{transaction_id}
	// 微信支付订单号查询 v3/pay/transactions/id/{transaction_id}
	// 微信支付订单号查询 v3/pay/transactions/id/{transaction_id}
}

// A path the catalog does not know comes back with the nearest it does.
func ExampleNotFoundError() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	_, err = cat.Lookup("POST", "v3/pay/transaction/native")
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		fmt.Println("did you mean", nf.Nearest[0])
	}
	// Output:
	// did you mean POST v3/pay/transactions/native
}

// The methods of a path, with their official titles and links.
func ExampleCatalog_Match() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	entries, err := cat.Match("v3/merchant-risk-manage/violation-notifications")
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range entries {
		fmt.Println(e.Method, e.Title)
	}
	// Output:
	// POST 创建商户违规通知回调地址
	// GET 查询商户违规通知回调地址
	// PUT 修改商户违规通知回调地址
	// DELETE 删除商户违规通知回调地址
}

// Listing by prefix, in PHP's segment form or the path's own.
func ExampleCatalog_List() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range cat.List("v3/refund/domestic") {
		fmt.Println(e, e.Title)
	}
	// Output:
	// POST v3/refund/domestic/refunds 申请退款
	// GET v3/refund/domestic/refunds/{out_refund_no} 查询单笔退款
	// POST v3/refund/domestic/refunds/{refund_id}/apply-abnormal-refund 发起异常退款
}

// The notifications of an event type.
func ExampleCatalog_Webhooks() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range cat.Webhooks("REFUND.SUCCESS") {
		fmt.Println(e.Path(), e.NotificationFormat, e.Title)
	}
	// Output:
	// v3/REFUND.SUCCESS json 退款成功(REFUND.SUCCESS)通知(JSON)
}

// Walking a request tree: the required fields, indented, with the ones to
// encrypt marked.
func ExampleNodes_Walk() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	e, err := cat.Lookup("POST", "v3/profitsharing/receivers/add")
	if err != nil {
		log.Fatal(err)
	}
	e.Request.Walk(func(path string, depth int, n *catalog.Node) error {
		if !n.Required {
			return catalog.SkipChildren
		}
		mark := ""
		if n.Encrypted != "" {
			mark = " (encrypted " + n.Encrypted + ")"
		}
		fmt.Printf("%s%s %s%s\n", strings.Repeat("  ", depth), n.Name, n.Type, mark)
		return nil
	})
	fmt.Println(e.EncryptedFields())
	// Output:
	// json object
	//   appid string
	//   type string
	//   account string
	//   relation_type string
	// headers object
	//   Wechatpay-Serial string
	// [json.name]
}

// Where a call goes, and WeChat Pay's own pages about it.
func ExampleEntry_Docs() {
	cat, err := catalog.Load()
	if err != nil {
		log.Fatal(err)
	}
	e, err := cat.Lookup("POST", "v3/refund/domestic/refunds")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Title, e.FullURL())
	// 申请退款 is documented in each payment product's guide, for
	// merchants (直连商户) and partners (服务商).
	editions := map[string]int{}
	for _, d := range e.Docs() {
		editions[d.Edition]++
	}
	fmt.Println(editions["merchant"], "merchant pages,", editions["partner"], "partner pages; the first:", e.Docs()[0].URL)
	// Output:
	// 申请退款 https://api.mch.weixin.qq.com/v3/refund/domestic/refunds
	// 15 merchant pages, 17 partner pages; the first: https://pay.weixin.qq.com/doc/v3/merchant/4012791862
}
