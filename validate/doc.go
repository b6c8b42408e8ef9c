// Package validate checks requests against WeChat Pay's documentation
// before they are signed and sent: the "validate" step of a client's
// stacks. Requests are untyped maps (wechatpay.M), so a typo'd field name,
// "total": "100" for an integer, a missing required field, an enum value
// that does not exist or a sensitive field (敏感信息) sent in clear text
// would otherwise be found only when WeChat Pay answers PARAM_ERROR, often
// without naming the field.
//
//	if err := validate.Install(client, validate.Options{Strict: true}); err != nil {
//		return err
//	}
//	_, err := client.Chain("v3/pay/transactions/native").Post(opts)
//	var ve *validate.ValidationError
//	if errors.As(err, &ve) { // nothing was sent
//		for _, p := range ve.Problems {
//			log.Print(p) // amount.total: want integer, got string "100"
//		}
//	}
//
// The step looks the call up in the endpoint catalog (package catalog) by
// its method and path template (middleware.Request.Template) and checks,
// with the endpoint's documented field trees: required fields (one of a
// set of documented alternatives, and one of an object's variants),
// JSON types (an integer may be a float of integral value), enums and
// fixed values, lengths, undocumented fields (an error in strict mode, a
// warning otherwise), sensitive fields that are not RSA ciphertext, URI
// template variables, query parameters, APIv2 fields (before nonce_str
// and sign are added) and an upload's meta JSON. One *ValidationError
// lists every problem with the field's path. Deprecated endpoints and
// endpoints the catalog does not know are reported to Options.OnWarning,
// not refused.
//
// The client (package wechatpay) does not import this package or the
// catalog: a program that never validates carries neither. The catalog is
// decoded on the first New, Install or Step call (about 70 ms, once per
// program); each endpoint's checks are compiled on its first call and
// cached. A check then costs a few microseconds and no allocation for a
// typical call, next to the millisecond of the RSA signature.
package validate
