package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cifar10Records is n CIFAR-10 records (label, then 3,072 pixel bytes).
func cifar10Records(n int) []byte {
	rec := append([]byte{3}, bytes.Repeat([]byte{128}, 3072)...)
	return bytes.Repeat(rec, n)
}

// TestTruncatedCIFARCLI: a CIFAR-10 batch cut in half, or to one record,
// is refused by `data info` and by `train`, naming the file and the record
// counts; nothing says "no reference" or exits 0.
func TestTruncatedCIFARCLI(t *testing.T) {
	for _, records := range []int{5000, 1} {
		work := t.TempDir()
		dir := filepath.Join(work, "data", "cifar10")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
			n := 1
			if name == "data_batch_1.bin" {
				n = records
			}
			if err := os.WriteFile(filepath.Join(dir, name), cifar10Records(n), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := filepath.Join(dir, "data_batch_1.bin") + " holds " + strconv.Itoa(records) + " records, the official file 10000"
		for _, args := range [][]string{
			{"data", "info", "cifar10", "--data-dir", filepath.Join(work, "data")},
			{"train", "--dataset", "cifar10", "--family", "convnet", "--data-dir", filepath.Join(work, "data"), "--out", filepath.Join(work, "run")},
		} {
			p := runCLIProcess(t, work, args...)
			if p.code != 1 || !strings.Contains(p.stderr.String(), want) || strings.Contains(p.stdout.String(), "no reference") {
				t.Errorf("%v with %d records in data_batch_1.bin: status %d, want 1 and %q\n%s", args, records, p.code, want, p)
			}
		}
	}
}

// TestInterruptedFetchCLI: Ctrl-C during a download ends `data fetch` with
// status 130, saying so, and leaves no half-fetched NAME/ directory.
func TestInterruptedFetchCLI(t *testing.T) {
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte{0x1f})
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done() // a download that never finishes
	}))
	defer srv.Close()
	work := t.TempDir()
	p := startCLI(t, work, "data", "fetch", "mnist", "--to", "data", "--base-url", srv.URL+"/")
	select {
	case <-started:
	case <-time.After(time.Minute):
		t.Fatalf("the fetch never reached the server\n%s", p)
	}
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != 130 || !strings.Contains(p.stderr.String(), "data fetch: interrupted by SIGINT") {
		t.Errorf("status %d, want 130 and an interruption\n%s", code, p)
	}
	if _, err := os.Stat(filepath.Join(work, "data", "mnist")); err == nil {
		t.Error("the interrupted fetch left data/mnist")
	}
}
