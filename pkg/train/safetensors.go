package train

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/collegium/collegium/internal/strictdecode"
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

// parseSafetensors reads a file written by writeSafetensors (F32 and F64
// tensors) into tensors by name and the header's metadata. It is strict:
// one JSON header with no key twice, known fields only, and tensors whose
// data offsets tile the data section exactly, in order, with no gap,
// overlap or trailing byte.
func parseSafetensors(b []byte) (map[string]hostTensor, map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes, too short for the header length", len(b))
	}
	hlen := binary.LittleEndian.Uint64(b[:8])
	if hlen > uint64(len(b)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d past the end of the %d-byte file", hlen, len(b))
	}
	var raw map[string]json.RawMessage
	if err := strictdecode.JSON(b[8:8+hlen], &raw); err != nil {
		return nil, nil, fmt.Errorf("safetensors header: %w", err)
	}
	data := b[8+hlen:]
	var meta map[string]string
	headers := make(map[string]tensorHeader, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := strictdecode.JSON(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("safetensors metadata: %w", err)
			}
			continue
		}
		var h tensorHeader
		if err := strictdecode.JSON(msg, &h); err != nil {
			return nil, nil, fmt.Errorf("safetensors tensor %s: %w", name, err)
		}
		headers[name] = h
	}
	names := slices.SortedFunc(maps.Keys(headers), func(a, b string) int {
		oa, ob := headers[a].DataOffsets, headers[b].DataOffsets
		return cmp.Or(cmp.Compare(oa[0], ob[0]), cmp.Compare(oa[1], ob[1]))
	})
	end := 0
	out := make(map[string]hostTensor, len(headers))
	for _, name := range names {
		h := headers[name]
		if h.DataOffsets[0] != end {
			return nil, nil, fmt.Errorf("safetensors tensor %s: data starts at byte %d, the previous tensor ends at %d", name, h.DataOffsets[0], end)
		}
		t, err := decodeTensor(name, h, data)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors %w", err)
		}
		out[name], end = t, h.DataOffsets[1]
	}
	if end != len(data) {
		return nil, nil, fmt.Errorf("safetensors: tensors end at byte %d of a %d-byte data section", end, len(data))
	}
	return out, meta, nil
}

func decodeTensor(name string, h tensorHeader, data []byte) (hostTensor, error) {
	t := hostTensor{Name: name, Shape: h.Shape}
	size := map[string]int{"F32": 4, "F64": 8}[h.Dtype]
	if size == 0 {
		return t, fmt.Errorf("tensor %s: dtype %q: want F32 or F64", name, h.Dtype)
	}
	n := 1
	for _, d := range h.Shape {
		if d < 0 || d > 0 && n > len(data)/d {
			return t, fmt.Errorf("tensor %s: shape %v does not fit in %d bytes", name, h.Shape, len(data))
		}
		n *= d
	}
	lo, hi := h.DataOffsets[0], h.DataOffsets[1]
	if lo < 0 || hi < lo || hi > len(data) || hi-lo != n*size {
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
