package wechatpay

import (
	"errors"
	"io"
)

// What a call sent again by the "retry" step (Config.Retry) starts over
// from: an upload body read from its first byte, a download's file emptied.
// Each implements middleware.Rewinder; a body or destination that cannot
// start over (a one-shot reader, a caller's io.Writer) keeps its call from
// being sent again once it has been read or written.

// errNoRewind is the cause of a Rewind that cannot be done.
var errNoRewind = errors.New("the destination is a caller's io.Writer, which cannot be emptied")

// Rewind readies the Media to be sent again from its first byte, for a
// retried call. It fails for a Media made from a reader that cannot seek,
// once sent.
func (m *Media) Rewind() error { return m.body.ready() }

// Rewind readies the form to be sent again from its first byte, for a
// retried call. It fails for a form whose Media was made from a reader
// that cannot seek, once sent.
func (f *MediaFormV2) Rewind() error { return f.body.ready() }

// Rewind empties the file of a failed attempt.
func (s *fileSink) Rewind() error {
	if err := s.File.Truncate(0); err != nil {
		return err
	}
	_, err := s.File.Seek(0, io.SeekStart)
	return err
}

// Rewind empties a File destination of what a failed attempt wrote, and
// starts the digests, decompression and progress over. A Writer
// destination cannot be emptied.
func (dl *downloader) Rewind() error {
	if dl.file == nil {
		return errNoRewind
	}
	if dl.inflate != nil {
		dl.inflate.close()
	}
	if err := dl.file.Rewind(); err != nil {
		return err
	}
	*dl = downloader{d: dl.d, file: dl.file, dst: dl.dst, newHash: dl.newHash, total: -1}
	if dl.newHash != nil {
		dl.raw = dl.newHash()
	}
	return nil
}
