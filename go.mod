module github.com/wechatpay-go/wechatpay

go 1.26.0

require github.com/clbanning/mxj/v2 v2.7.0

require github.com/google/go-cmp v0.7.0 // indirect
