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

func FuzzCIFAR(f *testing.F) {
	f.Add(cifarRecords(2, false))
	f.Add(cifarRecords(2, true))
	f.Add(cifarRecords(1, false)[:100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, hundred := range []bool{false, true} {
			batch, err := parseCIFAR(b, hundred)
			if err != nil {
				continue
			}
			n := len(batch.Labels)
			if n == 0 || len(batch.Images) != n*cifarImageSize || (hundred && len(batch.Coarse) != n) {
				t.Fatalf("hundred %v: %d labels, %d pixels, %d coarse", hundred, n, len(batch.Images), len(batch.Coarse))
			}
			for _, l := range batch.Labels {
				if l < 0 || (!hundred && l >= 10) || l >= 100 {
					t.Fatalf("label %d accepted", l)
				}
			}
		}
	})
}
