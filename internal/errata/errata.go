// Package errata corrects the catalog where it is wrong, as data: the
// client's validate step and the sandbox (wechatpaytest) read it each
// with its own code, as they read the catalog.
//
// Samples are sample values that contradict the catalog's own
// documentation of the field: an enum value the field does not list, say.
// The samples are the wechatpay-php calls of the documentation pages,
// copied as written; a call made with one of these values is refused by
// the validate step and by the strict sandbox, as WeChat Pay would refuse
// it. The endpoint pages' generator (internal/docgen) writes the corrected
// value, and the validate package's test of every sample checks the
// samples with it. The rules are not loosened for these samples: each
// correction names the value to send instead and why.
//
// OneOf are documented alternatives the catalog marks all required: the
// APIv2 tables mark both transaction_id and out_trade_no required where
// WeChat Pay's prose says either will do (二选一).
//
// The package holds data only, no code: the validate step and the sandbox
// must share nothing else.
package errata

// Fix replaces one value of a sample.
type Fix struct {
	Method, Chain string
	// Path is the value's place in the sample: "xml.customs",
	// "query.mch_language", "json.reverse_reason".
	Path string
	// Value is what to send instead.
	Value string
	// Reason says what the sample gets wrong.
	Reason string
}

// Samples are the corrections, by endpoint (Method and Chain as the
// catalog writes them).
var Samples = []Fix{
	{"POST", "v2/cgi-bin/mch/customs/customdeclareorder", "xml.customs", "SHANGHAI_ZS", "SHANGHAI is not a customs code the field lists (上海 is SHANGHAI_ZS)"},
	{"POST", "v2/cgi-bin/mch/customs/customdeclarequery", "xml.customs", "SHANGHAI_ZS", "SHANGHAI is not a customs code the field lists (上海 is SHANGHAI_ZS)"},
	{"POST", "v2/cgi-bin/mch/newcustoms/customdeclareredeclare", "xml.customs", "SHANGHAI_ZS", "SHANGHAI is not a customs code the field lists (上海 is SHANGHAI_ZS)"},
	{"GET", "v3/global/merchant-service/complaints", "query.mch_language", "ZH_CN", "the language codes are upper case: zh_CN is not one of them"},
	{"GET", "v3/global/merchant-service/complaints/{complaint_id}", "query.mch_language", "ZH_CN", "the language codes are upper case: zh_CN is not one of them"},
	{"GET", "v3/global/merchant-service/complaints/{complaint_id}/negotiation-historys", "query.mch_language", "ZH_CN", "the language codes are upper case: zh_CN is not one of them"},
	{"POST", "v3/global/profit-sharing/receivers", "json.relation_type", "SUPPLIER", "SERVICE_PROVIDER is a relation type of the domestic API, not of this one"},
	{"GET", "v3/marketing/partner/delivery-plan/delivery-plans/{brand_id}/delivery-plans", "query.audit_state", "AUDIT_PASSED", "12000 is not an audit state: the field lists AUDIT_INITIAL, AUDIT_PROCESSING, AUDIT_PASSED, AUDIT_REJECTED"},
	{"POST", "v3/new-tax-control-fapiao/fapiao-applications/{fapiao_apply_id}/reverse", "json.reverse_reason", "SALES_RETURN", "the reason is a code (退款, a refund, is SALES_RETURN 销售退回), not free text"},
}

// Alternatives are fields of which one is needed, though the catalog
// marks each required.
type Alternatives struct {
	Method, Chain string
	// Path is the object holding them: "xml", "json".
	Path  string
	Names []string
}

// OneOf lists the alternatives, by endpoint: the APIv2 queries and
// refunds that name an order by transaction_id or out_trade_no (a refund
// query by either, or by out_refund_no or refund_id).
var OneOf = []Alternatives{
	{"POST", "v2/pay/orderquery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/pay/facepayquery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/pay/paporderquery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/pay/partner/paporderquery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/deposit/orderquery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/deposit/refund", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/secapi/pay/refund", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/secapi/pay/refundv2", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/pay/refundquery", "xml", []string{"transaction_id", "out_trade_no", "out_refund_no", "refund_id"}},
	{"POST", "v2/pay/refundqueryv2", "xml", []string{"transaction_id", "out_trade_no", "out_refund_no", "refund_id"}},
	{"POST", "v2/deposit/refundquery", "xml", []string{"transaction_id", "out_trade_no", "out_refund_no", "refund_id"}},
	{"POST", "v2/cgi-bin/mch/customs/customdeclarequery", "xml", []string{"transaction_id", "out_trade_no"}},
	{"POST", "v2/cgi-bin/mch/newcustoms/customdeclareredeclare", "xml", []string{"transaction_id", "out_trade_no"}},
}
