package wechatpaytest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// billHeader is the header line of a trade bill (交易账单) of type ALL.
const billHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"

// billSummaryHeader is the caption of the summary line.
const billSummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"

// feeRate is the sandbox's fee rate: 0.6%, in millionths.
const feeRate = 6000

// fee is the fee on an amount in fen, in units of 0.00001 yuan, the
// precision of a bill's 手续费 column.
func fee(fen int64) int64 { return fen * feeRate / 1000 }

func feeYuan(units int64) string {
	sign := ""
	if units < 0 {
		sign, units = "-", -units
	}
	return fmt.Sprintf("%s%d.%05d", sign, units/100000, units%100000)
}

// billRow is one line of a bill, with the time it sorts by.
type billRow struct {
	at   time.Time
	line string
}

// tradeBill writes the trade bill of a day (China time) as WeChat Pay
// does: a CSV whose every cell starts with a backquote, the payments
// (交易状态 SUCCESS) made and the refunds (REFUND) asked that day, then
// the summary. billType ALL lists both, SUCCESS the payments, REFUND the
// refunds; subMchID, when given, keeps the sub-merchant's only.
func (s *Server) tradeBill(day time.Time, billType, subMchID string) []byte {
	payments := billType != "REFUND" && billType != "REF_SPECIAL" && billType != "RECHARGE_REFUND"
	refunds := billType != "SUCCESS" && billType != "SUC_SPECIAL"
	sameDay := func(t time.Time) bool {
		y1, m1, d1 := t.In(chinaTime).Date()
		y2, m2, d2 := day.Date()
		return y1 == y2 && m1 == m2 && d1 == d2
	}
	keep := func(o *Order) bool { return subMchID == "" || o.SubMchID == subMchID }
	cell := func(v string) string { return "`" + v }
	var rows []billRow
	var paid, refunded, fees, asked int64

	s.st.mu.Lock()
	for _, o := range s.st.orders {
		if !payments || o.TransactionID == "" || !sameDay(o.SuccessTime) || !keep(o) {
			continue
		}
		f := fee(o.Total)
		paid, fees = paid+o.Total, fees+f
		rows = append(rows, billRow{o.SuccessTime, strings.Join([]string{
			cell(o.SuccessTime.In(chinaTime).Format(time.DateTime)), cell(o.AppID), cell(o.MchID), cell(orDefault(o.SubMchID, "0")), cell(""),
			cell(o.TransactionID), cell(o.OutTradeNo), cell(orDefault(o.SubOpenID, o.OpenID)), cell(o.TradeType), cell("SUCCESS"),
			cell("OTHERS"), cell(o.Currency), cell(yuan(o.Total)), cell("0.00"), cell("0"), cell("0"), cell("0.00"), cell("0.00"),
			cell(""), cell(""), cell(o.Description), cell(o.Attach), cell(feeYuan(f)), cell("0.60%"), cell(yuan(o.Total)), cell("0.00"), cell(""),
		}, ",")})
	}
	for _, rf := range s.st.refunds {
		o := s.st.orders[rf.OutTradeNo]
		if !refunds || o == nil || !sameDay(rf.CreateTime) || !keep(o) {
			continue
		}
		f := -fee(rf.Amount) // the fee on what is refunded is returned
		refunded, asked, fees = refunded+rf.Amount, asked+rf.Amount, fees+f
		rows = append(rows, billRow{rf.CreateTime, strings.Join([]string{
			cell(rf.CreateTime.In(chinaTime).Format(time.DateTime)), cell(o.AppID), cell(o.MchID), cell(orDefault(o.SubMchID, "0")), cell(""),
			cell(o.TransactionID), cell(o.OutTradeNo), cell(orDefault(o.SubOpenID, o.OpenID)), cell(o.TradeType), cell("REFUND"),
			cell("OTHERS"), cell(o.Currency), cell("0.00"), cell("0.00"), cell(rf.RefundID), cell(rf.OutRefundNo), cell(yuan(rf.Amount)), cell("0.00"),
			cell("ORIGINAL"), cell(rf.Status), cell(o.Description), cell(o.Attach), cell(feeYuan(f)), cell("0.60%"), cell("0.00"), cell(yuan(rf.Amount)), cell(""),
		}, ",")})
	}
	s.st.mu.Unlock()

	sort.Slice(rows, func(i, j int) bool {
		if !rows[i].at.Equal(rows[j].at) {
			return rows[i].at.Before(rows[j].at)
		}
		return rows[i].line < rows[j].line
	})
	var b strings.Builder
	b.WriteString(billHeader)
	for _, r := range rows {
		b.WriteString(r.line + "\r\n")
	}
	b.WriteString(billSummaryHeader)
	b.WriteString(strings.Join([]string{
		cell(fmt.Sprint(len(rows))), cell(yuan(paid)), cell(yuan(refunded)), cell("0.00"), cell(feeYuan(fees)), cell(yuan(paid)), cell(yuan(asked)),
	}, ",") + "\r\n")
	return []byte(b.String())
}

// tradeBillV3 answers v3/bill/tradebill with a download_url for the bill
// of the day's sandbox transactions, and its SHA-1.
func (s *Server) tradeBillV3(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	q := r.URL.Query()
	day, err := time.ParseInLocation(time.DateOnly, q.Get("bill_date"), chinaTime)
	if err != nil {
		return paramError("bill_date", "query", "账单日期格式为yyyy-MM-dd (bill_date is yyyy-MM-dd)")
	}
	file := s.tradeBill(day, orDefault(q.Get("bill_type"), "ALL"), q.Get("sub_mchid"))
	s.st.mu.Lock()
	token := s.st.addBill(file)
	s.st.mu.Unlock()
	u := s.URL + "v3/billdownload/file?token=" + token
	if strings.EqualFold(q.Get("tar_type"), "GZIP") {
		u += "&tartype=GZIP"
	}
	sum := sha1.Sum(file)
	return JSON(http.StatusOK, map[string]any{"hash_type": "SHA1", "hash_value": hex.EncodeToString(sum[:]), "download_url": u})
}

// tradeBillV2 answers v2/pay/downloadbill with the bill of the day's
// sandbox transactions.
func (s *Server) tradeBillV2(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	day, err := time.ParseInLocation("20060102", r.Fields["bill_date"], chinaTime)
	if err != nil {
		return &Answer{Fields: map[string]string{"return_code": "FAIL", "return_msg": "invalid bill_date", "error_code": "20001"}, Unsigned: true}
	}
	file := s.tradeBill(day, orDefault(r.Fields["bill_type"], "ALL"), r.Fields["sub_mch_id"])
	return fileBody(file, strings.EqualFold(r.Fields["tar_type"], "GZIP"), "text/plain; charset=utf-8")
}

// billFile returns the file of a download token the server handed out.
func (s *Server) billFile(token string) ([]byte, bool) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	f, ok := s.st.bills[token]
	return f, ok
}
