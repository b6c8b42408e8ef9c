package formatter_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/formatter"
)

func ExampleNonce() {
	nonce := formatter.Nonce()
	fmt.Println(len(nonce))
	// Output: 32
}

func ExampleNonceN() {
	_, err := formatter.NonceN(0)
	fmt.Println(errors.Is(err, formatter.ErrNonceLength))
	fmt.Println(err)
	// Output:
	// true
	// formatter: nonce length must be at least 1, got 0
}

func ExampleAuthorization() {
	// The signature comes from signing formatter.Request(…) with the
	// merchant's private key.
	fmt.Println(formatter.Authorization("1900000001", "593BEC0C930BF1AFEB40B4A08C8FB242", "Cg==", "1554208460", "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"))
	// Output: WECHATPAY2-SHA256-RSA2048 mchid="1900000001",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",timestamp="1554208460",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="Cg=="
}

func ExampleRequest() {
	fmt.Printf("%q\n", formatter.Request("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", ""))
	// Output: "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
}

func ExampleResponse() {
	fmt.Printf("%q\n", formatter.Response("1554209980", "c5ac7061fccab6bf3e254dcf98995b8c", `{"data":[]}`))
	// Output: "1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{\"data\":[]}\n"
}

func ExampleAppendRequest() {
	buf := make([]byte, 0, 256) // reused across requests
	buf = formatter.AppendRequest(buf[:0], "POST", "/v3/pay/transactions/native", "1554208460", "abc", []byte(`{"amount":{"total":1}}`))
	fmt.Printf("%q\n", buf)
	// Output: "POST\n/v3/pay/transactions/native\n1554208460\nabc\n{\"amount\":{\"total\":1}}\n"
}

func ExampleQueryStringLike() {
	// The APIv2 signing string: fields in key order, without sign and
	// empty values.
	fields := map[string]string{
		"mch_id":    "10000100",
		"appid":     "wx2421b1c4370ec43b",
		"nonce_str": "ibuaiVcKdpRxkhJA",
		"device_id": "",
		"sign":      "old",
	}
	fmt.Println(formatter.QueryStringLike(formatter.Ksort(fields)))
	// Output: appid=wx2421b1c4370ec43b&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA
}

func ExampleKsort() {
	var keys []string
	for _, p := range formatter.Ksort(map[string]string{"remark": "1", "REMARK": "2", "re_openid": "3", "RE_OPENID": "4"}) {
		keys = append(keys, p.Key)
	}
	fmt.Println(strings.Join(keys, " "))
	// Output: REMARK RE_OPENID re_openid remark
}

func ExampleStringify() {
	var out []string
	for _, v := range []any{"a", 100, 0.1, true, nil, []byte("b")} {
		s, _ := formatter.Stringify(v)
		out = append(out, strconv.Quote(s))
	}
	fmt.Println(strings.Join(out, " "))
	_, err := formatter.Stringify(map[string]int{})
	fmt.Println(err)
	// Output:
	// "a" "100" "0.1" "true" "" "b"
	// formatter: unsupported field value of type map[string]int: not a scalar (string, number, bool, []byte, json.Number or fmt.Stringer)
}

func ExampleCastCSVBill() {
	csv := "\xEF\xBB\xBF交易时间,商户订单号,应结订单金额\n" +
		"`2019-02-19 05:01:46,`autotest_01,`0.01\n" +
		"`2019-02-19 05:01:50,`autotest_02,`0.03\n" +
		"总交易单数,应结订单总金额\n" +
		"`2,`0.04\n"
	bill, err := formatter.CastCSVBill([]byte(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range bill.Rows {
		fmt.Println(row["商户订单号"], row["应结订单金额"])
	}
	fmt.Println(bill.Summary["总交易单数"], bill.Summary["应结订单总金额"])
	// Output:
	// autotest_01 0.01
	// autotest_02 0.03
	// 2 0.04
}

func ExampleCastCSVLine() {
	row, _ := formatter.CastCSVLine("`a,`b", []string{"Z", "Y"})
	fmt.Println(row["Z"], row["Y"])
	// Output: a b
}
