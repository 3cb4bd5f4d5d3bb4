package datasets

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseIDXRawAndGzip(t *testing.T) {
	raw := idxBytes([]int{2, 3, 2}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	for name, b := range map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)} {
		a, err := ParseIDX(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(a.Dims, []int{2, 3, 2}) || len(a.Data) != 12 || a.Data[11] != 12 {
			t.Errorf("%s: dims %v, data %v", name, a.Dims, a.Data)
		}
		if a.MD5 != md5Hex(raw) {
			t.Errorf("%s: MD5 %s, want that of the decompressed bytes %s", name, a.MD5, md5Hex(raw))
		}
	}
}

func TestReadIDXFileErrors(t *testing.T) {
	good := idxBytes([]int{3, 2}, []byte{1, 2, 3, 4, 5, 6})
	gz := gzipBytes(t, good)
	badCRC := slices.Clone(gz)
	badCRC[len(badCRC)-8] ^= 0xff
	// A stream that decodes to the file plus extra bytes but fails its CRC,
	// as a corruption mid-stream can: the corrupt stream is the news, not
	// the trailing bytes it decodes to.
	longer := gzipBytes(t, append(slices.Clone(good), 7, 7))
	longer[len(longer)-8] ^= 0xff
	// A flipped bit in the deflate data of a stream of 64 KiB of data.
	big := idxBytes([]int{1 << 16}, make([]byte, 1<<16))
	for i := range big[8:] {
		big[8+i] = byte(i * i >> 3)
	}
	flipped := gzipBytes(t, big)
	flipped[len(flipped)/2] ^= 0x10
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "magic number"},
		{"wrong magic", append([]byte{0x12, 0x34}, good[2:]...), "bad magic"},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), "element type 0x0d"},
		{"zero dims", []byte{0, 0, 8, 0}, "zero dimensions"},
		{"truncated header", good[:9], "header of 2 dimensions truncated"},
		{"truncated data", good[:len(good)-1], "truncated: dimensions [3 2] need 6 data bytes, found 5"},
		{"trailing bytes", append(slices.Clone(good), 0), "trailing bytes"},
		{"huge dims", idxBytes([]int{1 << 20, 1 << 20, 1 << 20}, nil), "exceed"},
		{"truncated gzip", gz[:len(gz)-6], "the gzip stream is corrupt: unexpected EOF"},
		{"gzip checksum", badCRC, "the gzip stream is corrupt: gzip: invalid checksum"},
		{"gzip checksum after extra bytes", longer, "the gzip stream is corrupt: gzip: invalid checksum"},
		{"gzip corrupt mid-stream", flipped, "the gzip stream is corrupt"},
		{"bad gzip header", []byte{0x1f, 0x8b, 0}, "gzip header"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			writeFile(t, path, c.data)
			_, err := ReadIDXFile(path)
			wantErr(t, err, path, c.want)
		})
	}
}

func TestReadIDXFileCorruptGzipIsIDXError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.gz")
	writeFile(t, path, gzipBytes(t, idxBytes([]int{2}, []byte{1})))
	_, err := ReadIDXFile(path)
	if !errors.Is(err, ErrIDX) {
		t.Fatalf("error %v does not wrap ErrIDX", err)
	}
}
