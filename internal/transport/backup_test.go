package transport

import (
	"net/url"
	"testing"
)

// The table moves a call's scheme and host only, for the hosts it names:
// api.mch.weixin.qq.com always, the base URL's host when a custom backup
// is given; a backup that is the call's own host is no backup.
func TestBackups(t *testing.T) {
	mustParse := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	base := mustParse("https://pay.example.com:8443/hk/")
	b := NewBackups(base, mustParse("https://backup.example.com/"))
	for in, want := range map[string]string{
		"https://api.mch.weixin.qq.com/v3/pay/transactions/native?x=1": "https://api2.mch.weixin.qq.com/v3/pay/transactions/native?x=1",
		"https://api.mch.weixin.qq.com:443/pay/micropay":               "https://api2.mch.weixin.qq.com/pay/micropay",
		"https://pay.example.com:8443/hk/v3/x":                         "https://backup.example.com/hk/v3/x",
		"https://pay.example.com/hk/v3/x":                              "", // another port: another address
		"https://apihk.mch.weixin.qq.com/v3/x":                         "",
		"http://api.mch.weixin.qq.com/v3/x":                            "", // port 80
	} {
		got := ""
		if u := b.backupFor(mustParse(in)); u != nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("backupFor(%s) = %q, want %q", in, got, want)
		}
	}
	self := NewBackups(base, mustParse("https://pay.example.com:8443/"))
	if u := self.backupFor(mustParse("https://pay.example.com:8443/v3/x")); u != nil {
		t.Errorf("a backup that is the host itself moved the call to %s", u)
	}
	if u := Backups(nil).backupFor(mustParse("https://api.mch.weixin.qq.com/v3/x")); u != nil {
		t.Errorf("no table (NoBackup) moved the call to %s", u)
	}
}
