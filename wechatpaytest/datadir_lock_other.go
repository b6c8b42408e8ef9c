//go:build !unix

package wechatpaytest

// lockDataDir does not lock on systems without flock: two servers on one
// data directory are not detected there.
func lockDataDir(dir string) (unlock func(), err error) { return func() {}, nil }
