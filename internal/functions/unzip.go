package functions

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// maxUnzipped bounds what one unzip may inflate: a small archive can
// hold gigabytes of zeros, and all of it would land in the VM's heap
// (twice: base64, then bytes).
const maxUnzipped = 64 << 20

// unzipEntry is one member of an archive as the unzipper module hands
// it over: its contents inflated (base64), or nothing for a directory.
type unzipEntry struct {
	Path             string `json:"path"`
	Type             string `json:"type"` // "File" or "Directory", as unzipper says
	CompressedSize   uint64 `json:"compressedSize"`
	UncompressedSize uint64 `json:"uncompressedSize"`
	LastModified     string `json:"lastModifiedDateTime"`
	Data             string `json:"data,omitempty"`
}

// opUnzip reads a zip archive (the unzipper module's Open.buffer) with
// archive/zip. It runs on the VM's goroutine: no I/O, and the size bound
// keeps it short.
func opUnzip(_ *execution, raw json.RawMessage) (any, error) {
	var args struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(args.Data)
	if err != nil {
		return nil, errors.New("unzip: data is not base64")
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("unzip: %w", err)
	}
	out := make([]unzipEntry, 0, len(zr.File))
	var total int64
	for _, f := range zr.File {
		e := unzipEntry{Path: f.Name, Type: "File", CompressedSize: f.CompressedSize64, UncompressedSize: f.UncompressedSize64,
			LastModified: f.Modified.UTC().Format(time.RFC3339)}
		if f.FileInfo().IsDir() {
			e.Type = "Directory"
			out = append(out, e)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("unzip %s: %w", f.Name, err)
		}
		// The declared size may lie; the bound is on what is read.
		data, err := io.ReadAll(io.LimitReader(rc, maxUnzipped-total+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("unzip %s: %w", f.Name, err)
		}
		total += int64(len(data))
		if total > maxUnzipped {
			return nil, fmt.Errorf("unzip: the archive inflates to more than %d MiB", maxUnzipped>>20)
		}
		e.Data = base64.StdEncoding.EncodeToString(data)
		out = append(out, e)
	}
	return out, nil
}
