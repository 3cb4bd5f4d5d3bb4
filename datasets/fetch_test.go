package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus/hooks/test"
)

// fileServer serves fixed files by path and counts requests.
func fileServer(t *testing.T, files map[string][]byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchIDX(t *testing.T) {
	src := t.TempDir()
	spec := writeTinyMNIST(t, src, 10, true)
	files := map[string][]byte{}
	for _, f := range append(spec.Train, spec.Test...) {
		b, err := os.ReadFile(filepath.Join(src, f.Name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		files["/mnist/"+f.Name+".gz"] = b
	}
	srv, hits := fileServer(t, files)
	spec.BaseURL = srv.URL + "/mnist/"
	to := t.TempDir()
	dir, err := Fetch(t.Context(), spec, to, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(to, "mnist") || hits.Load() != 4 {
		t.Fatalf("dir %s after %d requests", dir, hits.Load())
	}
	ds, err := Resolver{DataDir: to}.Load(t.Context(), spec, Train)
	if err != nil || ds.Len() != 10 {
		t.Fatalf("load fetched files: %v", err)
	}
	log, hook := test.NewNullLogger()
	if _, err := Fetch(t.Context(), spec, to, srv.Client(), log); err != nil || hits.Load() != 4 {
		t.Fatalf("second fetch: %v, %d requests (want none)", err, hits.Load()-4)
	}
	if n := len(hook.AllEntries()); n != 4 {
		t.Errorf("second fetch logged %d lines to its logger, want 4 (one per file kept)", n)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestFetchIDXChecksumMismatch(t *testing.T) {
	src := t.TempDir()
	spec := writeTinyMNIST(t, src, 10, true)
	b, err := os.ReadFile(filepath.Join(src, "train-images-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := fileServer(t, map[string][]byte{"/train-images-idx3-ubyte.gz": b})
	spec.BaseURL = srv.URL + "/"
	spec.Train[0].MD5 = "ffffffffffffffffffffffffffffffff"
	to := t.TempDir()
	_, err = Fetch(t.Context(), spec, to, srv.Client(), nil)
	wantErr(t, err, "fetch mnist", srv.URL+"/train-images-idx3-ubyte.gz: MD5 of decompressed content is", "want ffffffffffffffffffffffffffffffff")
	entries, _ := os.ReadDir(filepath.Join(to, "mnist"))
	if len(entries) != 0 {
		t.Errorf("a file that failed its checksum was written: %v", entries)
	}
	spec.Train[0].MD5 = ""
	_, err = Fetch(t.Context(), spec, to, srv.Client(), nil)
	wantErr(t, err, "train-labels-idx1-ubyte.gz: 404 Not Found")
}

// cifarTarball builds a tar.gz that holds files under a folder, as the
// official archives do, plus a member the fetch must ignore.
func cifarTarball(t *testing.T, folder string, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	files["batches.meta.txt"] = []byte("airplane\n")
	for name, data := range files {
		hdr := &tar.Header{Name: folder + "/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFetchCIFAR10(t *testing.T) {
	spec, _ := Lookup("cifar10")
	archive := cifarTarball(t, "cifar-10-batches-bin", tinyCIFAR(&spec, 4, 4, 4, 4, 4, 4))
	srv, hits := fileServer(t, map[string][]byte{"/kriz/cifar-10-binary.tar.gz": archive})
	spec.BaseURL = srv.URL + "/kriz/"

	spec.Archive.MD5 = md5Hex([]byte("something else"))
	to := t.TempDir()
	_, err := Fetch(t.Context(), spec, to, srv.Client(), nil)
	wantErr(t, err, "cifar-10-binary.tar.gz: MD5", "want "+spec.Archive.MD5)

	spec.Archive.MD5 = md5Hex(archive)
	if _, err := Fetch(t.Context(), spec, to, srv.Client(), nil); err != nil {
		t.Fatal(err)
	}
	ds, err := Resolver{DataDir: to}.Load(t.Context(), spec, Train)
	if err != nil || ds.Len() != 20 {
		t.Fatalf("load fetched CIFAR-10: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(to, "cifar10"))
	if len(entries) != 6 {
		t.Errorf("want exactly the 6 batch files, got %v", entries)
	}
	before := hits.Load()
	if _, err := Fetch(t.Context(), spec, to, srv.Client(), nil); err != nil || hits.Load() != before {
		t.Fatalf("second fetch: %v, %d new requests", err, hits.Load()-before)
	}
	// An archive whose members are not the files the spec's checksums
	// describe is refused after extraction.
	spec.Test[0].MD5 = md5Hex([]byte("another test batch"))
	_, err = Fetch(t.Context(), spec, t.TempDir(), srv.Client(), nil)
	wantErr(t, err, "test_batch.bin: MD5 of decompressed content is", "want "+spec.Test[0].MD5)
}

func TestFetchCIFAR100MissingMember(t *testing.T) {
	spec, _ := Lookup("cifar100")
	archive := cifarTarball(t, "cifar-100-binary", map[string][]byte{"train.bin": cifarRecords(3, true)})
	srv, _ := fileServer(t, map[string][]byte{"/cifar-100-binary.tar.gz": archive})
	spec.BaseURL, spec.Archive.MD5 = srv.URL+"/", md5Hex(archive)
	_, err := Fetch(t.Context(), spec, t.TempDir(), srv.Client(), nil)
	wantErr(t, err, "archive has no test.bin")
}
