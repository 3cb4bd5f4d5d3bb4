package datasets

import (
	"cmp"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseCIFAR10(t *testing.T) {
	b, err := ParseCIFAR10(cifarRecords(12, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Labels) != 12 || b.Labels[11] != 1 || b.Coarse != nil {
		t.Fatalf("labels %v coarse %v", b.Labels, b.Coarse)
	}
	img := b.Images[5*cifarImageSize : 6*cifarImageSize]
	if img[0] != 50 || img[1024] != 130 || img[3071] != 210 {
		t.Fatalf("record 5 channel values %d %d %d, want 50 130 210", img[0], img[1024], img[3071])
	}
}

func TestParseCIFAR100(t *testing.T) {
	b, err := ParseCIFAR100(cifarRecords(25, true))
	if err != nil {
		t.Fatal(err)
	}
	if b.Labels[21] != 21 || b.Coarse[21] != 1 || len(b.Images) != 25*cifarImageSize {
		t.Fatalf("fine %d coarse %d images %d", b.Labels[21], b.Coarse[21], len(b.Images))
	}
}

func TestParseCIFARErrors(t *testing.T) {
	bad10 := cifarRecords(3, false)
	bad10[2*3073] = 10
	badFine := cifarRecords(3, true)
	badFine[1*3074+1] = 100
	badCoarse := cifarRecords(3, true)
	badCoarse[0] = 20
	cases := []struct {
		name    string
		data    []byte
		hundred bool
		want    string
	}{
		{"empty", nil, false, "empty"},
		{"truncated", cifarRecords(3, false)[:3*3073-1], false, "not a whole number of 3073-byte records (truncated after record 2?)"},
		{"cifar100 read as cifar10", cifarRecords(3, true), false, "not a whole number"},
		{"label 10", bad10, false, "record 2: label 10 out of range [0, 10)"},
		{"fine 100", badFine, true, "record 1: label 100 out of range [0, 100)"},
		{"coarse 20", badCoarse, true, "record 0: coarse label 20 out of range [0, 20)"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			writeFile(t, path, c.data)
			_, _, err := readCIFARFile(path, c.hundred)
			wantErr(t, err, path, c.want)
			if !errors.Is(err, ErrCIFAR) {
				t.Errorf("%v does not wrap ErrCIFAR", err)
			}
		})
	}
}

func TestLoadDirCIFAR10(t *testing.T) {
	dir := t.TempDir()
	spec, _ := Lookup("cifar10")
	for name, b := range tinyCIFAR(&spec, 3, 4, 5, 6, 7, 4) {
		writeFile(t, filepath.Join(dir, name), b)
	}
	ds, err := LoadDir(spec, dir, Train)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 3+4+5+6+7 || ds.Channels != 3 || ds.Classes != 10 {
		t.Fatalf("len %d channels %d classes %d", ds.Len(), ds.Channels, ds.Classes)
	}
	// Image 3 is record 0 of data_batch_2: channel c holds 80c.
	img := ds.Images[3*cifarImageSize:]
	for c := range 3 {
		want := (float32(80*c)/255 - spec.Mean[c]) / spec.Std[c]
		if got := img[c*1024+17]; !near(got, want) {
			t.Errorf("channel %d: %g, want %g", c, got, want)
		}
	}
	if !slices.Equal(ds.Labels[:5], []int{0, 1, 2, 0, 1}) {
		t.Errorf("labels %v", ds.Labels[:5])
	}
}

func TestLoadDirCIFAR100MissingFile(t *testing.T) {
	dir := t.TempDir()
	spec, _ := Lookup("cifar100")
	writeFile(t, filepath.Join(dir, "train.bin"), tinyCIFAR(&spec, 5, 2)["train.bin"])
	if _, err := LoadDir(spec, dir, Train); err != nil {
		t.Fatal(err)
	}
	_, err := LoadDir(spec, dir, Test)
	wantErr(t, err, "cifar100 test", "test.bin")
}

func near(a, b float32) bool {
	d := a - b
	return d < 1e-5 && d > -1e-5
}

// TestCIFARChecked: a CIFAR file with the wrong number of records (cut in
// half, or to one record) or with other content than the official one is
// refused, by LoadDir and by Inspect (data info).
func TestCIFARChecked(t *testing.T) {
	spec, _ := Lookup("cifar10")
	files := tinyCIFAR(&spec, 4, 4, 4, 4, 4, 6)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"cut in half", cifarRecords(2, false), "holds 2 records, the official file 4"},
		{"one record", cifarRecords(1, false), "holds 1 records, the official file 4"},
		{"other content", cifarRecords(5, false)[cifarImageSize+1:], "MD5 of decompressed content is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, b := range files {
				writeFile(t, filepath.Join(dir, name), b)
			}
			writeFile(t, filepath.Join(dir, "data_batch_3.bin"), tc.data)
			_, err := LoadDir(spec, dir, Train)
			wantErr(t, err, filepath.Join(dir, "data_batch_3.bin"), tc.want)
			info, err := Resolver{DataDir: filepath.Dir(dir)}.Inspect(t.Context(), renamed(spec, filepath.Base(dir)))
			if err == nil {
				for _, sp := range info.Splits {
					for _, c := range sp.Checks {
						err = cmp.Or(err, c.Err())
					}
				}
			}
			wantErr(t, err, tc.want)
		})
	}
}
