// Package middleware holds the request/response stack that every call of the
// client goes through, and the built-in steps of the two WeChat Pay protocols.
//
// A Stack is a list of named Middleware, outermost first, in front of a
// terminal Handler (the HTTP transport). Steps can be pushed, inserted before
// or after a named step, replaced or removed while the client is in use, as
// with Guzzle's HandlerStack or smithy-go's middleware steps.
//
// The client builds one stack per protocol:
//
//		APIv3: verifier → http_errors → signer → transport
//		APIv2: transform_response → http_errors → transform_request → transport
//
//	  - signer (Signer) adds the APIv3 Authorization header, signing the exact
//	    bytes put on the wire.
//	  - verifier (Verifier) checks the WeChat Pay signature of every 2xx APIv3
//	    answer.
//	  - http_errors (HTTPErrors) turns a non-2xx answer into an *APIError.
//	  - transform_request (TransformRequest) signs APIv2 fields and writes them
//	    as XML (or as the query of a GET).
//	  - transform_response (TransformResponse) parses an APIv2 answer, checks
//	    its return_code/result_code and its sign.
//
// The step names are those of wechatpay-php, so that code customising a PHP
// client's stack ports by name.
package middleware
