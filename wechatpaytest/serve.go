package wechatpaytest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
)

// ServeHTTP answers one request: route, record, inject faults,
// authenticate, handle, sign. The connection faults strike after the
// request was handled: like WeChat Pay, the server has placed the order
// or accepted the refund whose answer is lost.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rt, vars := s.match(r.Method, r.URL.EscapedPath())
	req := &Request{Request: r, Body: body, Vars: vars}
	if rt != nil {
		req.Route, req.Protocol = rt.template, rt.protocol
	}
	rec := s.record(Received{Method: r.Method, Target: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
		TransferEncoding: slices.Clone(r.TransferEncoding), Body: body, Route: req.Route})
	defer s.report(rec)
	f := s.faultsFor(r.Method, req.Route)
	if !f.wait(r.Context()) {
		return // the client gave up
	}
	ans := s.answer(rt, req)
	if f.has(faultResetBeforeHeaders) {
		resetConn(w)
		return
	}
	ans = f.replace(req, ans)
	out := s.render(req, ans, f)
	s.answered(rec, out.status, req.verified)
	switch {
	case f.has(faultResetAfterHeaders):
		s.sendRaw(w, out, 0, true)
	case f.has(faultTruncatedBody):
		s.sendRaw(w, out, len(out.body)/2, false)
	default:
		h := w.Header()
		for k, vs := range out.header {
			h[k] = vs
		}
		w.WriteHeader(out.status)
		w.Write(out.body)
	}
}

// answer runs the route's checks and handler.
func (s *Server) answer(rt *route, req *Request) *Answer {
	if rt == nil {
		return ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", fmt.Sprintf("no such endpoint: %s %s", req.Method, req.URL.Path))
	}
	if rt.security && !s.presentedMerchantCert(req.Request) {
		return FailV2("此接口需要商户API证书: call it with security (mutual TLS) over the TLS server")
	}
	if err := parseMultipart(req); err != nil {
		if req.Protocol == "v2" {
			return FailV2("multipart body: " + err.Error())
		}
		return paramError("body", "body", "multipart body: "+err.Error())
	}
	var ans *Answer
	if req.Protocol == "v2" {
		ans = s.authenticateV2(req)
	} else {
		ans = s.authenticateV3(req)
	}
	if ans != nil {
		return ans
	}
	req.verified = true
	switch h := statefulAnswers[rt.method+" "+rt.template]; {
	case rt.handler != nil:
		ans = rt.handler(req)
	case h != nil && rt.entry != nil && !s.stateless:
		ans = h(s, req, rt.entry)
	default:
		ans = s.catalogAnswer(req, rt.entry)
	}
	if ans == nil {
		ans = &Answer{Status: http.StatusNoContent}
	}
	return ans
}

// presentedMerchantCert reports whether the client presented the merchant
// API certificate over TLS.
func (s *Server) presentedMerchantCert(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.PeerCertificates) > 0 && r.TLS.PeerCertificates[0].Equal(s.Merchant.Cert)
}

// rendered is an answer as it goes on the wire.
type rendered struct {
	status int
	header http.Header
	body   []byte
}

// render writes ans as status, headers and body, signed, with the
// signature faults of f applied.
func (s *Server) render(req *Request, ans *Answer, f faults) rendered {
	out := rendered{status: ans.Status, header: http.Header{}, body: ans.Body}
	if out.status == 0 {
		out.status = http.StatusOK
	}
	for k, vs := range ans.Header {
		out.header[k] = append([]string(nil), vs...)
	}
	switch {
	case req.Protocol == "v2" && out.body == nil && ans.Fields != nil:
		fields := ans.Fields
		if !ans.Unsigned {
			fields = signV2(fields, req.signType(), s.Secret)
			f.tamperV2(fields)
		}
		out.body = encodeXML(fields)
		setDefault(out.header, "Content-Type", "text/xml; charset=utf-8")
	case out.body == nil && ans.JSON != nil:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(ans.JSON)
		out.body = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		setDefault(out.header, "Content-Type", "application/json; charset=utf-8")
	}
	setDefault(out.header, "Request-ID", randomString(32))
	if req.Protocol != "v2" && !ans.Unsigned {
		signed := out.body
		if ans.SignedBody != nil {
			signed = ans.SignedBody
		}
		for k, v := range f.signV3(s, ans.signer, signed) {
			setDefault(out.header, k, v)
		}
		f.tamperV3(out.header)
	}
	return out
}

func setDefault(h http.Header, k, v string) {
	if h.Get(k) == "" {
		h.Set(k, v)
	}
}

// sendRaw takes the connection over and writes the status line, the
// headers and the first n bytes of the body, then cuts the connection: with
// a TCP reset when reset is set, else by closing it.
func (s *Server) sendRaw(w http.ResponseWriter, out rendered, n int, reset bool) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", out.status, http.StatusText(out.status))
	out.header.Set("Content-Length", strconv.Itoa(len(out.body)))
	out.header.Write(bw)
	bw.WriteString("\r\n")
	bw.Write(out.body[:n])
	bw.Flush()
	if reset {
		abort(conn)
		return
	}
	conn.Close()
}

// resetConn cuts the connection of w with a TCP reset, before any answer.
func resetConn(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		abort(conn)
	}
}

// abort closes conn with a TCP reset (SO_LINGER 0), skipping TLS's
// close_notify, as a crashed server or a middlebox does.
func abort(conn net.Conn) {
	if tc, ok := conn.(*tls.Conn); ok {
		conn = tc.NetConn()
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
