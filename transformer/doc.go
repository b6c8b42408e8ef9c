// Package transformer converts between the XML documents of WeChat Pay
// (微信支付) APIv2 and Go values: ToMap reads an answer or a notification,
// ToXML writes a request.
//
// The counterparts in the other SDKs:
//
//	Go                PHP WeChatPay\Transformer   Node Transformer (lib/transformer.js)
//	ToMap             toArray                     toObject
//	ToXML             toXml                       toXml
//	WithDeclaration   toXml $headless = false     -
//	WithIndent        toXml $indent = true        -
//	WithRoot          toXml $root                 -
//	WithItem          toXml $item                 -
//
// ToMap reads untrusted input from the network and is safe by construction:
// no entity is ever expanded (so neither external entities nor expansion
// bombs can do harm), nesting is bounded, and anything that is not one
// well-formed UTF-8 document is an error rather than a partial or empty map.
//
// ToXML writes what PHP's toXml writes (same element names, same CDATA rule,
// same indentation), except where PHP writes broken XML: a value holding
// "]]>" is split across CDATA sections, a carriage return inside a CDATA
// value survives, and characters XML 1.0 cannot carry are an error.
package transformer
