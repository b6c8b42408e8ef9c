package wechatpay

import (
	"fmt"
	"strconv"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
)

// JSAPIPayment holds what a web page (WeixinJSBridge) or a mini program
// (wx.requestPayment) needs to start paying a prepay_id, signed.
type JSAPIPayment struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"` // "prepay_id=…"
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
}

// APPPayment holds what an app's OpenSDK (PayReq) needs to start paying a
// prepay_id, signed.
type APPPayment struct {
	AppID     string `json:"appid"`
	PartnerID string `json:"partnerid"`
	PrepayID  string `json:"prepayid"`
	Package   string `json:"package"` // "Sign=WXPay"
	NonceStr  string `json:"noncestr"`
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
}

// JSAPIPayment signs a JSAPI or mini-program payment of an APIv3 prepay_id
// with the merchant key: paySign is RSA-SHA256 over
// appId\ntimeStamp\nnonceStr\npackage\n, signType "RSA".
func (c *Client) JSAPIPayment(appID, prepayID string) (*JSAPIPayment, error) {
	if c.signer == nil {
		return nil, ErrAPIv3NotConfigured
	}
	p := &JSAPIPayment{AppID: appID, TimeStamp: strconv.FormatInt(formatter.Timestamp(), 10), NonceStr: formatter.Nonce(),
		Package: "prepay_id=" + prepayID, SignType: "RSA"}
	sig, err := crypto.Sign(c.signer, []byte(formatter.JoinedByLineFeed(p.AppID, p.TimeStamp, p.NonceStr, p.Package)))
	if err != nil {
		return nil, &SignError{Err: err}
	}
	p.PaySign = sig
	return p, nil
}

// APPPayment signs an APP payment of an APIv3 prepay_id with the merchant
// key: sign is RSA-SHA256 over appid\ntimestamp\nnoncestr\nprepayid\n.
func (c *Client) APPPayment(appID, prepayID string) (*APPPayment, error) {
	if c.signer == nil {
		return nil, ErrAPIv3NotConfigured
	}
	p := &APPPayment{AppID: appID, PartnerID: c.mchid, PrepayID: prepayID, Package: "Sign=WXPay",
		NonceStr: formatter.Nonce(), Timestamp: strconv.FormatInt(formatter.Timestamp(), 10)}
	sig, err := crypto.Sign(c.signer, []byte(formatter.JoinedByLineFeed(p.AppID, p.Timestamp, p.NonceStr, p.PrepayID)))
	if err != nil {
		return nil, &SignError{Err: err}
	}
	p.Sign = sig
	return p, nil
}

// V2JSAPIPayment signs a JSAPI or mini-program payment of an APIv2
// prepay_id with the APIv2 key: paySign is signType (crypto.SignTypeMD5,
// the default, or crypto.SignTypeHMACSHA256) over the sorted appId,
// nonceStr, package, signType and timeStamp.
func (c *Client) V2JSAPIPayment(appID, prepayID, signType string) (*JSAPIPayment, error) {
	if signType == "" {
		signType = crypto.SignTypeMD5 // the page must name the hash it was signed with
	}
	p := &JSAPIPayment{AppID: appID, TimeStamp: strconv.FormatInt(formatter.Timestamp(), 10), NonceStr: formatter.Nonce(),
		Package: "prepay_id=" + prepayID, SignType: signType}
	sign, err := c.v2Sign(signType, map[string]string{"appId": p.AppID, "timeStamp": p.TimeStamp, "nonceStr": p.NonceStr, "package": p.Package, "signType": p.SignType})
	if err != nil {
		return nil, err
	}
	p.PaySign = sign
	return p, nil
}

// V2APPPayment signs an APP payment of an APIv2 prepay_id with the APIv2
// key (MD5 unless signType says HMAC-SHA256) over the sorted appid,
// noncestr, package, partnerid, prepayid and timestamp.
func (c *Client) V2APPPayment(appID, prepayID, signType string) (*APPPayment, error) {
	p := &APPPayment{AppID: appID, PartnerID: c.mchid, PrepayID: prepayID, Package: "Sign=WXPay",
		NonceStr: formatter.Nonce(), Timestamp: strconv.FormatInt(formatter.Timestamp(), 10)}
	sign, err := c.v2Sign(signType, map[string]string{"appid": p.AppID, "partnerid": p.PartnerID, "prepayid": p.PrepayID,
		"package": p.Package, "noncestr": p.NonceStr, "timestamp": p.Timestamp})
	if err != nil {
		return nil, err
	}
	p.Sign = sign
	return p, nil
}

func (c *Client) v2Sign(signType string, fields map[string]string) (string, error) {
	if !c.v2ok {
		return "", ErrAPIv2NotConfigured
	}
	if signType == "" {
		signType = crypto.SignTypeMD5
	}
	key := c.secret.Reveal()
	defer clear(key)
	sign, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(fields))), key)
	if err != nil {
		return "", &SignError{Err: fmt.Errorf("sign type: %w", err)}
	}
	return sign, nil
}
