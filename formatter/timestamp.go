package formatter

import "time"

// Timestamp returns the current Unix time in seconds, the unit WeChat Pay
// expects in signed messages and checks against its own clock.
func Timestamp() int64 {
	return time.Now().Unix()
}
