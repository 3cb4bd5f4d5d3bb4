package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxUnsignedByte, byte(len(dims))})
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// tinyIDX is a small MNIST-like split: n images of 28×28 with pixel values
// derived from the image number, labels i mod 10.
type tinyIDX struct {
	images, labels []byte // encoded IDX files
}

func newTinyIDX(n int) tinyIDX {
	pix := make([]byte, n*28*28)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	lbl := make([]byte, n)
	for i := range lbl {
		lbl[i] = byte(i % 10)
	}
	return tinyIDX{images: idxBytes([]int{n, 28, 28}, pix), labels: idxBytes([]int{n}, lbl)}
}

// writeTinyMNIST writes a tiny train (n images) and test (n/2) split into
// dir, gzipped or raw, and returns an mnist spec whose MD5s match them.
func writeTinyMNIST(t testing.TB, dir string, n int, gz bool) Spec {
	t.Helper()
	spec, err := Lookup("mnist")
	if err != nil {
		t.Fatal(err)
	}
	splits := map[string]tinyIDX{"train": newTinyIDX(n), "t10k": newTinyIDX(n / 2)}
	files := []*File{&spec.Train[0], &spec.Train[1], &spec.Test[0], &spec.Test[1]}
	contents := [][]byte{splits["train"].images, splits["train"].labels, splits["t10k"].images, splits["t10k"].labels}
	for i, f := range files {
		f.MD5 = md5Hex(contents[i])
		name, data := f.Name, contents[i]
		if gz {
			name, data = name+".gz", gzipBytes(t, data)
		}
		writeFile(t, filepath.Join(dir, name), data)
	}
	return spec
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cifarRecords encodes n CIFAR records; with hundred, each has a coarse and
// a fine label. Pixel values follow the record and channel number.
func cifarRecords(n int, hundred bool) []byte {
	var b bytes.Buffer
	for i := range n {
		if hundred {
			b.Write([]byte{byte(i % 20), byte(i % 100)})
		} else {
			b.WriteByte(byte(i % 10))
		}
		for c := range 3 {
			b.Write(bytes.Repeat([]byte{byte(10*i + 80*c)}, cifarSide*cifarSide))
		}
	}
	return b.Bytes()
}

// tinyCIFAR makes a small file for each of spec's CIFAR files, counts[i]
// records for the i-th file (train files, then test files), and points the
// spec's record counts and MD5s at them.
func tinyCIFAR(spec *Spec, counts ...int) map[string][]byte {
	files := map[string][]byte{}
	i := 0
	for _, list := range [][]File{spec.Train, spec.Test} {
		for j := range list {
			f := &list[j]
			b := cifarRecords(counts[i], spec.Format == FormatCIFAR100)
			f.MD5, f.Records = md5Hex(b), counts[i]
			files[f.Name] = b
			i++
		}
	}
	return files
}

func wantErr(t *testing.T, err error, substrings ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substrings)
	}
	for _, s := range substrings {
		if !bytes.Contains([]byte(err.Error()), []byte(s)) {
			t.Fatalf("error %q does not contain %q", err, s)
		}
	}
}
