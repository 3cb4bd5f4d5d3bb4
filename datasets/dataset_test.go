package datasets

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestLoadDirMNISTRawAndGzip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		spec := writeTinyMNIST(t, dir, 20, gz)
		ds, err := LoadDir(spec, dir, Train)
		if err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		if ds.Len() != 20 || ds.ImageSize() != 784 || len(ds.Images) != 20*784 || ds.Labels[13] != 3 {
			t.Fatalf("gzip %v: len %d size %d labels %v", gz, ds.Len(), ds.ImageSize(), ds.Labels)
		}
		for _, i := range []int{0, 1, 37, 20*784 - 1} {
			want := (float32(byte(i*7))/255 - 0.1307) / 0.3081
			if !near(ds.Images[i], want) {
				t.Errorf("gzip %v: pixel %d = %g, want %g", gz, i, ds.Images[i], want)
			}
		}
		test, err := LoadDir(spec, dir, Test)
		if err != nil || test.Len() != 10 || test.Split != Test {
			t.Fatalf("test split: %v, %+v", err, test)
		}
	}
}

func TestLoadDirMNISTErrors(t *testing.T) {
	n := 6
	good := newTinyIDX(n)
	lbl := make([]byte, n)
	lbl[4] = 10
	cases := []struct {
		name           string
		images, labels []byte
		want           []string
	}{
		{"count mismatch", good.images, idxBytes([]int{n - 1}, make([]byte, n-1)), []string{"holds 6 images but", "holds 5 labels"}},
		{"bad label", good.images, idxBytes([]int{n}, lbl), []string{"train-labels-idx1-ubyte", "label 10 of item 4 out of range [0, 10)"}},
		{"wrong image size", idxBytes([]int{n, 28, 27}, make([]byte, n*28*27)), good.labels, []string{"image dimensions [6 28 27], want [N 28 28]"}},
		{"labels not 1-D", good.images, idxBytes([]int{n, 1}, make([]byte, n)), []string{"label dimensions [6 1]"}},
		{"no images", idxBytes([]int{0, 28, 28}, nil), idxBytes([]int{0}, nil), []string{"no images"}},
		{"truncated images", good.images[:len(good.images)-100], good.labels, []string{"train-images-idx3-ubyte", "truncated"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			spec, _ := Lookup("mnist")
			spec.Train[0].MD5, spec.Train[1].MD5 = "", ""
			writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), c.images)
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gzipBytes(t, c.labels))
			_, err := LoadDir(spec, dir, Train)
			wantErr(t, err, append([]string{"dataset mnist train"}, c.want...)...)
		})
	}
}

func TestLoadDirMissingFile(t *testing.T) {
	dir := t.TempDir()
	spec, _ := Lookup("fashion-mnist")
	_, err := LoadDir(spec, dir, Train)
	wantErr(t, err, "neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz in "+dir)
}

func TestLoadDirChecksum(t *testing.T) {
	dir := t.TempDir()
	spec := writeTinyMNIST(t, dir, 8, true)
	if _, err := LoadDir(spec, dir, Train); err != nil {
		t.Fatalf("matching MD5s: %v", err)
	}
	right := spec.Train[1].MD5
	spec.Train[1].MD5 = "0123456789abcdef0123456789abcdef"
	_, err := LoadDir(spec, dir, Train)
	wantErr(t, err, "train-labels-idx1-ubyte.gz: MD5 of decompressed content is "+right+", want 0123456789abcdef0123456789abcdef")

	info, err := Resolver{DataDir: filepath.Dir(dir)}.Inspect(t.Context(), renamed(spec, filepath.Base(dir)))
	if err != nil {
		t.Fatalf("inspect reports mismatches without failing: %v", err)
	}
	got := []string{}
	for _, s := range info.Splits {
		for _, c := range s.Checks {
			got = append(got, c.Status())
		}
	}
	if want := []string{"ok", "mismatch", "ok", "ok"}; !slices.Equal(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	if info.Splits[0].Count != 8 || info.Splits[1].Count != 4 || info.Splits[0].ClassCounts[7] != 1 {
		t.Errorf("splits %+v", info.Splits)
	}
}

func TestLoadDirBadSpec(t *testing.T) {
	spec, _ := Lookup("cifar10")
	spec.Std = spec.Std[:2]
	_, err := LoadDir(spec, t.TempDir(), Train)
	wantErr(t, err, "3 channels but 3 means and 2 stds")
	spec, _ = Lookup("mnist")
	_, err = LoadDir(spec, t.TempDir(), "val")
	wantErr(t, err, `unknown split "val"`)
}

func renamed(s Spec, name string) Spec {
	s.Name = name
	return s
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		s, err := Lookup(name)
		if err != nil || s.validate() != nil {
			t.Errorf("%s: %v %v", name, err, s.validate())
		}
	}
	if _, err := Lookup("imagenet"); err == nil {
		t.Error("unknown dataset accepted")
	}
	a, _ := Lookup("MNIST")
	a.Train[0].MD5 = "changed"
	if b, _ := Lookup("mnist"); b.Train[0].MD5 == "changed" {
		t.Error("Lookup shares its table with callers")
	}
}
