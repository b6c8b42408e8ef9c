package remotesign_test

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/remotesign"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// signingService is a minimal signing service: it holds the key of one
// merchant and signs the message it is sent. A real one authenticates its
// callers, checks what it signs, and keeps the key in an HSM or KMS.
func signingService(mchid, serial string, key *rsa.PrivateKey) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			MchID   string `json:"mchid"`
			Serial  string `json:"serial_no"`
			Message []byte `json:"message"` // base64-decoded by encoding/json
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Message) == 0 {
			http.Error(w, "want {mchid, serial_no, message}", http.StatusBadRequest)
			return
		}
		if req.MchID != mchid || req.Serial != serial {
			http.Error(w, "no key for this merchant", http.StatusNotFound)
			return
		}
		digest := sha256.Sum256(req.Message)
		sig, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
		if err != nil {
			http.Error(w, "signing failed", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"signature": base64.StdEncoding.EncodeToString(sig)})
	})
}

// A client whose private key stays in a central signing service.
func ExampleSigner() {
	srv := wechatpaytest.NewServer() // stands for WeChat Pay
	defer srv.Close()
	srv.HandleFunc("GET", "v3/pay/transactions/out-trade-no/{out_trade_no}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"out_trade_no": r.Vars["out_trade_no"], "trade_state": "SUCCESS"})
	})
	service := httptest.NewServer(signingService(srv.MchID, srv.Merchant.Serial, srv.Merchant.Key))
	defer service.Close()

	cfg := srv.Config()
	cfg.PrivateKey = &remotesign.Signer{
		URL:       service.URL + "/v1/sign",
		MchID:     cfg.MchID,
		Serial:    cfg.Serial,
		PublicKey: &srv.Merchant.Key.PublicKey, // optional: check each signature
	}
	client, err := wechatpay.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018",
		"query":        wechatpay.M{"mchid": srv.MchID},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Get("trade_state").String())
	// Output: SUCCESS
}
