package wechatpay

import "time"

// SetOpaqueIdleTimeout changes how long c reuses an idle connection whose
// socket it cannot check, so that a test need not wait seconds.
func SetOpaqueIdleTimeout(c *Client, d time.Duration) { c.transport.SetOpaqueIdleTimeout(d) }

// SensitiveFieldLogged reports whether the logs redact a field by its name.
func SensitiveFieldLogged(name string) bool { return sensitiveFields[name] }
