package wechatpay_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestFutures(t *testing.T) {
	before := goroutines()
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.Vars["transaction_id"] == "missing" {
			return wechatpaytest.ErrorJSON(404, "ORDER_NOT_EXIST", "订单不存在")
		}
		return wechatpaytest.JSON(200, map[string]string{"transaction_id": r.Vars["transaction_id"], "trade_state": "SUCCESS"})
	})
	c, _ := wechatpay.New(srv.Config())
	ch := c.Chain("v3/pay/transactions/id/{transaction_id}")

	// then / otherwise / wait, as a PHP caller chains them.
	var order struct {
		State string `json:"trade_state"`
	}
	res, err := ch.GetAsync(wechatpay.M{"transaction_id": "42"}).
		Then(func(r *wechatpay.Response) (*wechatpay.Response, error) { return r, r.Unmarshal(&order) }).
		Otherwise(func(err error) (*wechatpay.Response, error) { t.Error("otherwise called on success"); return nil, err }).
		Wait()
	if err != nil || order.State != "SUCCESS" || res.Get("transaction_id").String() != "42" {
		t.Fatal(res, err)
	}

	// A rejection skips Then and reaches Otherwise, which may recover.
	recovered, err := ch.GetAsync(wechatpay.M{"transaction_id": "missing"}).
		Then(func(r *wechatpay.Response) (*wechatpay.Response, error) {
			t.Error("then called on failure")
			return r, nil
		}).
		Otherwise(func(err error) (*wechatpay.Response, error) {
			var ae *wechatpay.APIError
			if errors.As(err, &ae) && ae.Code == "ORDER_NOT_EXIST" {
				return nil, nil
			}
			return nil, err
		}).Wait()
	if err != nil || recovered != nil {
		t.Fatal(recovered, err)
	}

	// Then changing the value's type.
	state, err := wechatpay.Then(ch.GetAsync(wechatpay.M{"transaction_id": "7"}), func(r *wechatpay.Response) (string, error) {
		return r.Get("trade_state").String(), nil
	}).Wait()
	if err != nil || state != "SUCCESS" {
		t.Fatal(state, err)
	}

	// Many at once.
	var fs []*wechatpay.Future[*wechatpay.Response]
	for _, id := range []string{"1", "missing", "3"} {
		fs = append(fs, ch.GetAsync(wechatpay.M{"transaction_id": id}))
	}
	all, err := wechatpay.WaitAll(fs...)
	var ae *wechatpay.APIError
	if len(all) != 3 || all[0].Get("transaction_id").String() != "1" || all[1] != nil || all[2].Get("transaction_id").String() != "3" ||
		!errors.As(err, &ae) || !strings.Contains(err.Error(), "future 1:") {
		t.Fatal(all, err)
	}

	// A panicking callback rejects its future instead of crashing.
	_, err = ch.GetAsync(wechatpay.M{"transaction_id": "1"}).
		Then(func(*wechatpay.Response) (*wechatpay.Response, error) { panic("boom") }).Wait()
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatal(err)
	}

	// WaitContext gives up waiting; DoAsync is bounded by its context.
	slow := make(chan struct{})
	srv.HandleFunc("GET", "v3/slow", func(*wechatpaytest.Request) *wechatpaytest.Answer { <-slow; return wechatpaytest.JSON(200, nil) })
	f := c.Chain("v3/slow").GetAsync()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := f.WaitContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	cancel()
	f.Cancel()
	if _, err := f.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	select {
	case <-f.Done():
	default:
		t.Fatal("Done not closed after Wait")
	}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Chain("v3/slow").DoAsync(ctx, "GET").Wait(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	close(slow)
	c.Close()
	srv.Close()
	checkGoroutines(t, before)
}
