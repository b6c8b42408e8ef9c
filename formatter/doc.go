// Package formatter builds the small strings and data shapes that every
// WeChat Pay (微信支付) request and response passes through: the random
// nonce, the Unix timestamp, the APIv3 signing message and Authorization
// header, the sorted key=value message that APIv2 signs, the one rule for
// turning a field value into its wire string, and the reader of the
// back-tick-quoted CSV bills that the bill download APIs return.
//
// It uses the standard library only, so every other package of the SDK can
// import it.
//
// Each function has a counterpart in the PHP SDK (class WeChatPay\Formatter)
// and the Node SDK (lib/formatter.js):
//
//	Go                 PHP Formatter::       Node Formatter.
//	Nonce, NonceN      nonce                 nonce
//	Timestamp          timestamp             timestamp
//	Authorization      authorization         authorization
//	Request            request               request
//	Response           response              response
//	JoinedByLineFeed   joinedByLineFeed      joinedByLineFeed
//	AppendRequest      -                     -
//	AppendResponse     -                     -
//	Ksort, KsortPairs  ksort                 ksort
//	QueryStringLike    queryStringLike       queryStringLike
//	Stringify          -                     -
//	CastCSVBill        -                     castCsvBill
//	CastCSVLine        -                     castCsvLine
//
// Go maps have no order, so the ordered APIv2 data set is a []Pair; Ksort
// turns a map into one and KsortPairs sorts an existing one.
package formatter
