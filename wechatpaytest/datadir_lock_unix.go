//go:build unix

package wechatpaytest

import (
	"errors"
	"os"
	"syscall"
)

// lockDataDir takes the data directory's lock: an advisory lock (flock)
// on the directory itself, which outlives the data file's replacements and
// which the system drops when the process ends, however it ends. A second
// server on the directory gets ErrDataDirBusy.
func lockDataDir(dir string) (unlock func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrDataDirBusy
		}
		return nil, err
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
