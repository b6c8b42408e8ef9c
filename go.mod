module github.com/wechatpay-go/wechatpay

go 1.26.0

require (
	github.com/ThalesGroup/crypto11 v1.6.2
	github.com/clbanning/mxj/v2 v2.7.0
	github.com/klauspost/compress v1.20.3
	github.com/miekg/pkcs11 v1.1.2
	github.com/redis/go-redis/v9 v9.23.0
	github.com/std-uritemplate/std-uritemplate/go/v2 v2.0.3
	github.com/tidwall/gjson v1.20.1
	github.com/valyala/fasthttp v1.77.0
	golang.org/x/net v0.61.0
	software.sslmate.com/src/go-pkcs12 v0.7.4
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/molecule-man/go-brrr v1.3.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/thales-e-security/pool v0.0.2 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
