package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
