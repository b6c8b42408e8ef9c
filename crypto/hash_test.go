package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// apiv2Fields is the official APIv2 signing example.
var apiv2Fields = map[string]string{
	"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test", "nonce_str": "ibuaiVcKdpRxkhJA",
}

// ksortJoin builds the string to sign: non-empty fields sorted by name, k=v&...
func ksortJoin(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + fields[k]
	}
	return strings.Join(parts, "&")
}

func plainMD5(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

func plainHMAC(data, key string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(data))
	return hex.EncodeToString(h.Sum(nil))
}

// TestHashOfficialExample checks the two signs of the APIv2 documentation.
func TestHashOfficialExample(t *testing.T) {
	data := ksortJoin(apiv2Fields)
	if data != "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA" {
		t.Fatalf("string to sign: %s", data)
	}
	for signType, want := range map[string]string{
		SignTypeMD5:        "9A0A8659F005D6984697E2CA0A9CF3B7",
		SignTypeHMACSHA256: "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6",
	} {
		got, err := HashSign(signType, []byte(data), []byte(apiv2Key))
		if err != nil || got != want {
			t.Fatalf("%s: %s, %v; want %s", signType, got, err, want)
		}
		if !Equal(got, want) {
			t.Fatal("Equal")
		}
	}
}

// TestMD5PHP ports HashTest's md5DataProvider.
func TestMD5PHP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		thing  string
		key    string
		agency bool
		equal  bool
	}{
		{"without key equals to normal md5", nonceString(30), "", false, true},
		{"input agency, but without key equals to normal md5", nonceString(60), "", true, true},
		{"random key without agency", nonceString(90), nonceString(32), false, false},
		{"random key with agency:true", nonceString(200), nonceString(32), true, false},
	} {
		got := MD5([]byte(tc.thing), []byte(tc.key), tc.agency)
		if len(got) != 32 || got == tc.thing || (got == plainMD5(tc.thing)) != tc.equal {
			t.Fatalf("%s: %s", tc.name, got)
		}
		suffix := "&key="
		if tc.agency {
			suffix = "&secret="
		}
		if tc.key != "" && got != plainMD5(tc.thing+suffix+tc.key) {
			t.Fatalf("%s: not md5(thing%skey)", tc.name, suffix)
		}
	}
}

// TestHMACPHP ports hmacDataProvider (the sha256 row; this package has no
// other HMAC algorithms): it differs from a plain HMAC because the key is
// appended to the data as well.
func TestHMACPHP(t *testing.T) {
	thing, key := nonceString(600), nonceString(32)
	got := HMACSHA256([]byte(thing), []byte(key))
	if len(got) != 64 || got == thing || got == plainHMAC(thing, key) {
		t.Fatalf("HMACSHA256: %s", got)
	}
	if got != plainHMAC(thing+"&key="+key, key) {
		t.Fatal("not hmac(key, thing&key=key)")
	}
}

// TestEqualPHP ports equalsDataProvider (PHP's null rows become a non-empty
// other side).
func TestEqualPHP(t *testing.T) {
	r := nonceString(16)
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true}, {"", "x", false}, {r, "", false}, {r, r, true}, {r, r[:15], false}, {"ABC", "abc", false},
	} {
		if Equal(tc.a, tc.b) != tc.want {
			t.Fatalf("Equal(%q, %q) != %v", tc.a, tc.b, tc.want)
		}
	}
}

var upperHex = regexp.MustCompile(`^[0-9A-F]+$`)

// TestHashSignPHP ports signDataProvider.
func TestHashSignPHP(t *testing.T) {
	for _, tc := range []struct {
		thing, key, signType string
		lower                string
		length               int
	}{
		{nonceString(900), nonceString(32), SignTypeMD5, "", 32},
		{nonceString(600), nonceString(32), SignTypeHMACSHA256, "", 64},
	} {
		got, err := HashSign(tc.signType, []byte(tc.thing), []byte(tc.key))
		if err != nil || len(got) != tc.length || !upperHex.MatchString(got) {
			t.Fatalf("%s: %q, %v", tc.signType, got, err)
		}
		lower := MD5([]byte(tc.thing), []byte(tc.key), false)
		if tc.signType == SignTypeHMACSHA256 {
			lower = HMACSHA256([]byte(tc.thing), []byte(tc.key))
		}
		if got == lower || got != strings.ToUpper(lower) {
			t.Fatalf("%s: %s vs %s", tc.signType, got, lower)
		}
	}
	// 'not support algo sha256': PHP returns null; here it is ErrSignType.
	_, err := HashSign("sha256", []byte(nonceString(300)), []byte(nonceString(32)))
	wantErr(t, err, ErrSignType)
}

// TestHashNode ports hash.test.js and values recorded from the Node SDK.
func TestHashNode(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"md5('')", MD5(nil, nil, false), "d41d8cd98f00b204e9800998ecf8427e"},
		{"md5('a=1&b=2')", MD5([]byte("a=1&b=2"), nil, false), "ed04c91cf6f6ab5a01a31c0295c5da34"},
		{"md5('a=1&b=2', 'secretkey', true)", MD5([]byte("a=1&b=2"), []byte("secretkey"), true), "c5bc8fc5b0af31bace0ff1f3c325f020"},
		{"hmac('1', '2')", HMACSHA256([]byte("1"), []byte("2")), "3e655dd6f7986b51c36c77509a6169df5997f71b19c39be3d8e5cb3669870d8a"},
	} {
		if tc.got != tc.want {
			t.Fatalf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	// sign(MD5|HMAC-SHA256, {}, '2'): an empty field set signs "".
	for signType, want := range map[string]string{
		SignTypeMD5:        "162E040EED503E6C4B7FB72C33887B03",
		SignTypeHMACSHA256: "5C569A2A5019D666DF70E056050BFFA300FB46E7CE30B4C342377CA09635161D",
	} {
		got, err := HashSign(signType, []byte(ksortJoin(nil)), []byte("2"))
		if err != nil || got != want {
			t.Fatalf("%s: %s, %v", signType, got, err)
		}
	}
}

func TestHashSignErrors(t *testing.T) {
	data := []byte(ksortJoin(apiv2Fields))
	for _, signType := range []string{"", "md5", "hmac-sha256", "HMAC_SHA256", "SHA256", "MD5 ", "RSA", apiv2Key} {
		got, err := HashSign(signType, data, []byte(apiv2Key))
		if got != "" {
			t.Fatalf("%q: sign %q returned with an error", signType, got)
		}
		wantErr(t, err, ErrSignType, apiv2Key)
		t.Logf("%q: %v", signType, err)
	}
	_, err := HashSign("md5", data, []byte(apiv2Key))
	if !strings.Contains(err.Error(), `"MD5"`) {
		t.Fatalf("case hint missing: %v", err)
	}
}

func BenchmarkHashSignMD5(b *testing.B) {
	data, key := []byte(ksortJoin(apiv2Fields)), []byte(apiv2Key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashSign(SignTypeMD5, data, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashSignHMACSHA256(b *testing.B) {
	data, key := []byte(ksortJoin(apiv2Fields)), []byte(apiv2Key)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := HashSign(SignTypeHMACSHA256, data, key); err != nil {
			b.Fatal(err)
		}
	}
}
