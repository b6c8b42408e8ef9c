package crypto

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// The wx.getUserInfo example from the WeChat mini-program documentation, as
// used by the Node suite's AesCbc tests.
const (
	miniSessionKey = "tiihtNczf5v6AKRyjwEUhQ=="
	miniIV         = "r7BXXKkLb8qrSNn05n0qiA=="
	miniData       = `{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN",` +
		`"avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0",` +
		`"unionId":"ocMvos6NjeKLIBqg5Mr9QjxrP1FA","watermark":{"timestamp":1477314187,"appid":"wx4f4bc4dec97d474b"}}`
	miniEncrypted = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGB" +
		"zlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQ" +
		"x4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7X" +
		"jfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew=="
)

func b64(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAESCBCNode ports the Node suite's AesCbc cases.
func TestAESCBCNode(t *testing.T) {
	key, iv := b64(t, miniSessionKey), b64(t, miniIV)
	// The empty string encrypts to one padding block.
	ct, err := EncryptAESCBC(key, iv, nil)
	if err != nil || ct != "qJ3AQxeKzsJ9mDC9BRN4YQ==" {
		t.Fatalf("EncryptAESCBC('') = %q, %v", ct, err)
	}
	if pt, err := DecryptAESCBC(key, iv, ct); err != nil || len(pt) != 0 {
		t.Fatalf("%q, %v", pt, err)
	}
	// wx.getUserInfo example.
	ct, err = EncryptAESCBC(key, iv, []byte(miniData))
	if err != nil || ct != miniEncrypted {
		t.Fatalf("EncryptAESCBC(example) = %q, %v", ct, err)
	}
	pt, err := DecryptAESCBC(key, iv, miniEncrypted)
	if err != nil || string(pt) != miniData {
		t.Fatalf("DecryptAESCBC(example) = %q, %v", pt, err)
	}
	var info struct {
		Watermark struct{ AppID string } `json:"watermark"`
	}
	if err := json.Unmarshal(pt, &info); err != nil || info.Watermark.AppID != "wx4f4bc4dec97d474b" {
		t.Fatalf("watermark: %+v, %v", info, err)
	}
	// Random key and iv round trip.
	rk, riv := make([]byte, 16), make([]byte, 16)
	_, _ = rand.Read(rk)
	_, _ = rand.Read(riv)
	ct, err = EncryptAESCBC(rk, riv, []byte("0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := DecryptAESCBC(rk, riv, ct); err != nil || string(pt) != "0123456789" {
		t.Fatalf("%q, %v", pt, err)
	}
	// Empty or missing key/iv throw.
	_, err = EncryptAESCBC(nil, iv, nil)
	wantErr(t, err, ErrKeySize)
	_, err = EncryptAESCBC(key, nil, nil)
	wantErr(t, err, ErrNonce)
	_, err = DecryptAESCBC(key, []byte(miniIV), miniEncrypted) // iv not base64-decoded
	wantErr(t, err, ErrNonce)
	_, err = DecryptAESCBC([]byte(miniSessionKey), iv, miniEncrypted) // key not decoded
	wantErr(t, err, ErrKeySize, miniSessionKey)
	_, err = DecryptAESCBC(key, iv, "")
	wantErr(t, err, ErrCiphertext)
	_, err = DecryptAESCBC(key, iv, "%%")
	wantErr(t, err, ErrCiphertext)
	_, err = DecryptAESCBC(rk, iv, miniEncrypted)
	wantErr(t, err, ErrPadding, miniSessionKey)
}
