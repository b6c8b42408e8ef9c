package transport

import (
	"net/url"
)

// DefaultBackupBaseURL is WeChat Pay's backup domain (备用域名), tried when
// api.mch.weixin.qq.com cannot be reached.
const DefaultBackupBaseURL = "https://api2.mch.weixin.qq.com/"

// primaryHost is the host whose calls fall back to DefaultBackupBaseURL by default.
const primaryHost = "api.mch.weixin.qq.com"

// Backups maps the address (host:port) of a base URL to the scheme and host
// a call goes to, once, when that address cannot be connected to.
//
// A call is moved to the backup domain only when nothing of it was sent:
// the TCP connection, or the TLS handshake, failed (a *TransportError with
// Sent false). A request that may have reached WeChat Pay is never sent
// again, to either domain: WeChat Pay may have acted on it (a payment, a
// refund, a transfer), and sending it again could act twice. Such a call
// must be reconciled (queried) before any retry, which only the caller can
// decide to do.
type Backups map[string]*url.URL

// NewBackups builds the table: the default backup domain for
// api.mch.weixin.qq.com, and custom, when not nil, for base's host. Both
// are parsed base URLs.
func NewBackups(base, custom *url.URL) Backups {
	b := Backups{}
	def, _ := url.Parse(DefaultBackupBaseURL)
	b[hostPort(&url.URL{Scheme: "https", Host: primaryHost})] = def
	if custom != nil {
		b[hostPort(base)] = custom
	}
	return b
}

// backupFor returns u moved to its backup domain, or nil when it has none.
func (b Backups) backupFor(u *url.URL) *url.URL {
	alt, ok := b[hostPort(u)]
	if !ok || alt.Host == u.Host && alt.Scheme == u.Scheme {
		return nil
	}
	moved := *u
	moved.Scheme, moved.Host = alt.Scheme, alt.Host
	return &moved
}
