module github.com/wechatpay-go/wechatpay

go 1.26.0
