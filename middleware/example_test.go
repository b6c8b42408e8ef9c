package middleware_test

import (
	"context"
	"fmt"

	"github.com/wechatpay-go/wechatpay/middleware"
)

func ExampleStack() {
	s, _ := middleware.NewStack(
		middleware.Step{Name: "verifier", Middleware: passThrough},
		middleware.Step{Name: "signer", Middleware: passThrough},
	)
	s.Before("signer", "audit", passThrough)
	s.Replace("signer", passThrough)
	fmt.Println(s.Names())
	// Output: [verifier audit signer]
}

func passThrough(next middleware.Handler) middleware.Handler {
	return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
		return next.Handle(ctx, req)
	})
}
