package pathseg

import "testing"

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"v3":                       "v3",
		"merchantRiskManage":       "merchant-risk-manage",
		"MerchantService":          "merchant-service",
		"ComplaintsV2":             "complaints-v2",
		"cgiBin":                   "cgi-bin",
		"mch_archives":             "mch_archives",
		"_transaction_id_":         "{transaction_id}",
		"_outTradeNo_":             "{out-trade-no}",
		"_":                        "_",
		"__":                       "{}",
		"":                         "",
		"{transaction_id}":         "{transaction_id}",
		"applyment4sub":            "applyment4sub",
		"V3":                       "v3",
		"aggracctBc":               "aggracct-bc",
		"searchBanksByBankAccount": "search-banks-by-bank-account",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
