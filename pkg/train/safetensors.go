package train

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
)

// hostTensor is one named host tensor: F32 or F64 holds its values.
type hostTensor struct {
	Name  string
	Shape []int
	F32   []float32
	F64   []float64
}

func (t hostTensor) dtype() string {
	if t.F64 != nil {
		return "F64"
	}
	return "F32"
}

func (t hostTensor) bytes() int {
	if t.F64 != nil {
		return 8 * len(t.F64)
	}
	return 4 * len(t.F32)
}

// tensorHeader is one entry of a safetensors header.
type tensorHeader struct {
	Dtype       string `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// writeSafetensors writes tensors in the safetensors format (an 8-byte
// little-endian header length, a JSON header padded with spaces to a
// multiple of 8, then the raw little-endian data in header order), sorted
// by name, with meta as the header's __metadata__.
func writeSafetensors(w io.Writer, tensors []hostTensor, meta map[string]string) error {
	sorted := slices.Clone(tensors)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	header := make(map[string]any, len(sorted)+1)
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := 0
	for _, t := range sorted {
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("safetensors: tensor %q twice", t.Name)
		}
		header[t.Name] = tensorHeader{Dtype: t.dtype(), Shape: t.Shape, DataOffsets: [2]int{off, off + t.bytes()}}
		off += t.bytes()
	}
	h, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("safetensors: header: %w", err)
	}
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	bw.Write(n[:])
	bw.Write(h)
	for _, t := range sorted {
		for _, v := range t.F32 {
			binary.LittleEndian.PutUint32(n[:4], math.Float32bits(v))
			bw.Write(n[:4])
		}
		for _, v := range t.F64 {
			binary.LittleEndian.PutUint64(n[:], math.Float64bits(v))
			bw.Write(n[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: write: %w", err)
	}
	return nil
}

// readSafetensors reads a file written by writeSafetensors (F32 and F64
// tensors) into tensors by name and the header's metadata.
func readSafetensors(path string) (map[string]hostTensor, map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read checkpoint tensors: %w", err)
	}
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%s: too short for safetensors", path)
	}
	hlen := binary.LittleEndian.Uint64(b[:8])
	if hlen > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("%s: header length %d past the end of the file", path, hlen)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hlen], &raw); err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	data := b[8+hlen:]
	var meta map[string]string
	out := make(map[string]hostTensor, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("%s: metadata: %w", path, err)
			}
			continue
		}
		var h tensorHeader
		if err := json.Unmarshal(msg, &h); err != nil {
			return nil, nil, fmt.Errorf("%s: tensor %s: %w", path, name, err)
		}
		t, err := decodeTensor(name, h, data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		out[name] = t
	}
	return out, meta, nil
}

func decodeTensor(name string, h tensorHeader, data []byte) (hostTensor, error) {
	t := hostTensor{Name: name, Shape: h.Shape}
	n := 1
	for _, d := range h.Shape {
		n *= d
	}
	lo, hi := h.DataOffsets[0], h.DataOffsets[1]
	size := map[string]int{"F32": 4, "F64": 8}[h.Dtype]
	switch {
	case size == 0:
		return t, fmt.Errorf("tensor %s: dtype %s: want F32 or F64", name, h.Dtype)
	case lo < 0 || hi > len(data) || hi-lo != n*size:
		return t, fmt.Errorf("tensor %s: data offsets %v do not hold %d values of %s in %d bytes", name, h.DataOffsets, n, h.Dtype, len(data))
	}
	src := data[lo:hi]
	if size == 4 {
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	} else {
		t.F64 = make([]float64, n)
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
		}
	}
	return t, nil
}
