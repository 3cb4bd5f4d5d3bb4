package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"

	"github.com/collegium/collegium/internal/atomicfile"
	"github.com/collegium/collegium/internal/logs"
	"github.com/sirupsen/logrus"
)

// maxDownload bounds one download held in memory (the largest official IDX
// file is under 30 MB compressed).
const maxDownload = 1 << 30

// Fetch downloads a dataset from spec.BaseURL into dir/NAME (the layout
// Resolver reads) and returns that directory. Every file is verified against
// the spec's checksums before it is written atomically; files already there
// and valid are kept. A fetch that fails removes dir/NAME if it created it,
// so that a half-fetched copy cannot stand in for the dataset. A nil client
// means http.DefaultClient. Each download and each file written or kept is
// logged to log (nil: the lines are dropped).
func Fetch(ctx context.Context, spec Spec, dir string, client *http.Client, log logrus.FieldLogger) (_ string, err error) {
	log = logs.OrDiscard(log)
	if client == nil {
		client = http.DefaultClient
	}
	dest := filepath.Join(dir, spec.Name)
	if _, statErr := os.Stat(dest); errors.Is(statErr, os.ErrNotExist) {
		defer func() {
			if err != nil {
				os.RemoveAll(dest)
			}
		}()
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", fmt.Errorf("fetch %s: %w", spec.Name, err)
	}
	switch spec.Format {
	case FormatIDX:
		err = fetchIDX(ctx, client, log, spec, dest)
	case FormatCIFAR10, FormatCIFAR100:
		err = fetchCIFAR(ctx, client, log, spec, dest)
	default:
		err = fmt.Errorf("unknown format %d", spec.Format)
	}
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", spec.Name, err)
	}
	return dest, nil
}

// fetchIDX downloads each IDX file gzipped and checks the MD5 of its
// decompressed content, which is what the published checksums cover.
func fetchIDX(ctx context.Context, client *http.Client, log logrus.FieldLogger, spec Spec, dest string) error {
	for _, f := range append(append([]File(nil), spec.Train...), spec.Test...) {
		target := filepath.Join(dest, f.Name+".gz")
		if old, err := ReadIDXFile(target); err == nil && (f.MD5 == "" || old.MD5 == f.MD5) {
			log.Infof("%s: already present", target)
			continue
		}
		url := spec.BaseURL + f.Name + ".gz"
		body, err := download(ctx, client, log, url)
		if err != nil {
			return err
		}
		a, err := ParseIDX(body)
		if err != nil {
			return fmt.Errorf("%s: %w", url, err)
		}
		c := FileCheck{Path: url, MD5: a.MD5, Want: f.MD5}
		if err := c.Err(); err != nil {
			return err
		}
		if err := atomicfile.Write(target, func(w io.Writer) error {
			_, err := w.Write(body)
			return err
		}); err != nil {
			return err
		}
		log.Infof("%s: %v, MD5 %s", target, a.Dims, c.Status())
	}
	return nil
}

// fetchCIFAR downloads the official tarball to a temporary file, checks its
// MD5, and extracts the split files from it.
func fetchCIFAR(ctx context.Context, client *http.Client, log logrus.FieldLogger, spec Spec, dest string) error {
	files := append(append([]File(nil), spec.Train...), spec.Test...)
	if verifyCIFAR(spec, dest) == nil {
		log.Infof("%s: already present", dest)
		return nil
	}
	url := spec.BaseURL + spec.Archive.Name
	tmp, err := os.CreateTemp(dest, ".download-*.tar.gz")
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	sum := md5.New()
	if err := downloadTo(ctx, client, log, url, io.MultiWriter(tmp, sum)); err != nil {
		return err
	}
	c := FileCheck{Path: url, MD5: hex.EncodeToString(sum.Sum(nil)), Want: spec.Archive.MD5}
	if err := c.Err(); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind %s: %w", tmp.Name(), err)
	}
	if err := extractFiles(tmp, dest, files); err != nil {
		return fmt.Errorf("extract %s: %w", url, err)
	}
	if err := verifyCIFAR(spec, dest); err != nil {
		return err
	}
	log.Infof("%s: %d files extracted, archive MD5 %s", dest, len(files), c.Status())
	return nil
}

// verifyCIFAR checks that dest holds every file of both splits, each
// parsing with its record count and MD5.
func verifyCIFAR(spec Spec, dest string) error {
	for _, split := range []Split{Train, Test} {
		raw, err := readSplit(spec, dest, split)
		if err != nil {
			return err
		}
		for _, c := range raw.checks {
			if err := c.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// extractFiles writes the regular members of a tar.gz whose base names are
// wanted into dest (whatever folder they sit in inside the archive), and
// fails if any is missing.
func extractFiles(r io.Reader, dest string, files []File) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	defer zr.Close()
	missing := make(map[string]bool, len(files))
	for _, f := range files {
		missing[f.Name] = true
	}
	tr := tar.NewReader(zr)
	for len(missing) > 0 {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := path.Base(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || !missing[name] {
			continue
		}
		if err := atomicfile.Write(filepath.Join(dest, name), func(w io.Writer) error {
			_, err := io.Copy(w, tr)
			return err
		}); err != nil {
			return err
		}
		delete(missing, name)
	}
	for _, f := range files {
		if missing[f.Name] {
			return fmt.Errorf("archive has no %s", f.Name)
		}
	}
	return nil
}

// download returns the body of a GET request, at most maxDownload bytes.
func download(ctx context.Context, client *http.Client, log logrus.FieldLogger, url string) ([]byte, error) {
	var buf bytes.Buffer
	if err := downloadTo(ctx, client, log, url, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func downloadTo(ctx context.Context, client *http.Client, log logrus.FieldLogger, url string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	log.Infof("downloading %s", url)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return fmt.Errorf("fetch %s: %w", url, err)
	}
	if n > maxDownload {
		return fmt.Errorf("fetch %s: larger than %d bytes", url, int64(maxDownload))
	}
	return nil
}
