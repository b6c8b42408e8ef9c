package main

import (
	"bytes"

	"github.com/klauspost/compress/zstd"
)

// packCatalog returns catalog/endpoints.json compressed as the catalog
// package embeds it, or zst itself when it already decodes to raw, so that
// regenerating does not churn the committed file.
func packCatalog(raw, zst []byte) ([]byte, error) {
	if len(zst) > 0 {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		got, err := d.DecodeAll(zst, nil)
		d.Close()
		if err == nil && bytes.Equal(got, raw) {
			return zst, nil
		}
	}
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer e.Close()
	return e.EncodeAll(raw, nil), nil
}
