package formatter

import (
	"reflect"
	"testing"
)

func TestKsort(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want []Pair
	}{
		// Node: ksort({b: 1, a: 0}) deep-equals {a: 0, b: 1}.
		{"node b,a", map[string]string{"b": "1", "a": "0"}, []Pair{{"a", "0"}, {"b", "1"}}},
		{"empty", map[string]string{}, []Pair{}},
		{"nil", nil, []Pair{}},
		// Byte order, case-sensitive; the order of Node's Array.prototype.sort
		// on the same keys (cross-checked with wechatpay-axios-plugin 0.9.6).
		{"case sensitive", map[string]string{
			"remark": "1", "REMARK": "2", "re_openid": "3", "RE_OPENID": "4", "total_amount": "5",
			"act_name": "6", "wishing": "7", "a1": "x", "A1": "y", "a_1": "z",
		}, []Pair{
			{"A1", "y"}, {"REMARK", "2"}, {"RE_OPENID", "4"}, {"a1", "x"}, {"a_1", "z"},
			{"act_name", "6"}, {"re_openid", "3"}, {"remark", "1"}, {"total_amount", "5"}, {"wishing", "7"},
		}},
		// The sendredpack fields of the PHP fixture, in signing order.
		{"sendredpack", map[string]string{
			"mch_billno": "0010010404201411170000046545", "mch_id": "888", "wxappid": "wxcbda96de0b165486",
			"send_name": "send_name", "re_openid": "onqOjjmM1tad-3ROpncN-yUfa6uI", "total_amount": "200",
			"total_num": "1", "wishing": "恭喜发财", "client_ip": "127.0.0.1", "act_name": "新年红包",
			"remark": "新年红包", "scene_id": "PRODUCT_2", "nonce_str": "50780e0cca98c8c8e814883e5caa672e",
		}, []Pair{
			{"act_name", "新年红包"}, {"client_ip", "127.0.0.1"}, {"mch_billno", "0010010404201411170000046545"},
			{"mch_id", "888"}, {"nonce_str", "50780e0cca98c8c8e814883e5caa672e"}, {"re_openid", "onqOjjmM1tad-3ROpncN-yUfa6uI"},
			{"remark", "新年红包"}, {"scene_id", "PRODUCT_2"}, {"send_name", "send_name"}, {"total_amount", "200"},
			{"total_num", "1"}, {"wishing", "恭喜发财"}, {"wxappid", "wxcbda96de0b165486"},
		}},
		// Multi-byte keys sort by their UTF-8 bytes, after ASCII.
		{"utf8 keys", map[string]string{"中": "1", "z": "2", "Z": "3", "é": "4"},
			[]Pair{{"Z", "3"}, {"z", "2"}, {"é", "4"}, {"中", "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ksort(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Ksort = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKsortPairs(t *testing.T) {
	in := []Pair{{"remark", "1"}, {"REMARK", "2"}, {"re_openid", "3"}, {"RE_OPENID", "4"}, {"dup", "first"}, {"dup", "second"}}
	orig := append([]Pair(nil), in...)
	want := []Pair{{"REMARK", "2"}, {"RE_OPENID", "4"}, {"dup", "first"}, {"dup", "second"}, {"re_openid", "3"}, {"remark", "1"}}
	if got := KsortPairs(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("KsortPairs = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatalf("KsortPairs changed its input to %v", in)
	}
	if got := KsortPairs(nil); len(got) != 0 {
		t.Fatalf("KsortPairs(nil) = %v", got)
	}
}

func TestQueryStringLike(t *testing.T) {
	tests := []struct {
		name string
		in   []Pair
		want string
	}{
		// Node: queryStringLike({appid: 3, mchid: 2, openid: '', sign: 0}).
		{"node vector", []Pair{{"appid", "3"}, {"mchid", "2"}, {"openid", ""}, {"sign", "0"}}, "appid=3&mchid=2"},
		{"empty", nil, ""},
		{"only skipped", []Pair{{"sign", "X"}, {"a", ""}}, ""},
		{"keeps zero", []Pair{{"a", "0"}, {"b", ""}, {"c", "0"}}, "a=0&c=0"},
		{"keeps given order", []Pair{{"z", "1"}, {"a", "2"}}, "z=1&a=2"},
		{"no escaping", []Pair{{"detail", `{"a":"b&c=d"}`}, {"body", "中文 测试"}}, `detail={"a":"b&c=d"}&body=中文 测试`},
		{"only the exact key sign", []Pair{{"Sign", "1"}, {"sign_type", "MD5"}, {"sign", "2"}}, "Sign=1&sign_type=MD5"},
		{"first empty then value", []Pair{{"a", ""}, {"b", "1"}}, "b=1"},
		// Cross-checked with wechatpay-axios-plugin 0.9.6:
		// queryStringLike(ksort({mch_id, nonce_str, sign, zero: '0', empty: '', appid})).
		{"node ksort then join", Ksort(map[string]string{
			"mch_id": "1900000109", "nonce_str": "abc", "sign": "X", "zero": "0", "empty": "", "appid": "wx",
		}), "appid=wx&mch_id=1900000109&nonce_str=abc&zero=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := QueryStringLike(tt.in); got != tt.want {
				t.Fatalf("QueryStringLike(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
