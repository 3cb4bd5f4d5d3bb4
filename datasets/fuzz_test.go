package datasets

import (
	"testing"
)

func FuzzIDX(f *testing.F) {
	good := idxBytes([]int{2, 3, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(good[:len(good)-3])
	f.Add(idxBytes([]int{4}, []byte{0, 1, 2, 3}))
	f.Add(idxBytes([]int{1 << 16, 1 << 16}, nil))
	f.Add([]byte{0, 0, 8, 0})
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseIDX(b)
		if err != nil {
			return
		}
		size := 1
		for _, d := range a.Dims {
			size *= d
		}
		if len(a.Dims) == 0 || size != len(a.Data) || len(a.MD5) != 32 {
			t.Fatalf("accepted dims %v with %d bytes, MD5 %q", a.Dims, len(a.Data), a.MD5)
		}
	})
}

// FuzzCIFAR fuzzes the record parser with 3-byte images: the parser is the
// same for any image size, and with inputs of at most 256 bytes the
// fuzzer's minimisation of each new input stays quick (with real
// 3,072-byte images it took minutes per input, and the fuzzer reported
// 0 execs/s).
func FuzzCIFAR(f *testing.F) {
	layouts := []cifarLayout{
		{labelBytes: 1, imageBytes: 3, classes: 10},
		{labelBytes: 2, imageBytes: 3, classes: 100, coarse: 20},
	}
	f.Add([]byte{3, 1, 2, 3, 9, 4, 5, 6})
	f.Add([]byte{19, 99, 1, 2, 3, 0, 0, 4, 5, 6})
	f.Add([]byte{10, 1, 2, 3})
	f.Add([]byte{20, 5, 1, 2, 3})
	f.Add([]byte{1, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256 {
			return // 50 records and more add nothing but minimisation time
		}
		for _, l := range layouts {
			batch, err := parseCIFAR(b, l)
			if err != nil {
				continue
			}
			n := len(batch.Labels)
			if n == 0 || n*(l.labelBytes+l.imageBytes) != len(b) || len(batch.Images) != n*l.imageBytes || (l.coarse > 0) != (batch.Coarse != nil) {
				t.Fatalf("%+v: %d labels, %d pixels, %d coarse from %d bytes", l, n, len(batch.Images), len(batch.Coarse), len(b))
			}
			for i, lab := range batch.Labels {
				if lab < 0 || lab >= l.classes || l.coarse > 0 && batch.Coarse[i] >= l.coarse {
					t.Fatalf("%+v: record %d: labels %d/%v accepted", l, i, lab, batch.Coarse)
				}
			}
		}
	})
}
