package cpu

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Buffer is host memory holding either float32 or float64 elements.
type Buffer struct {
	F32 []float32 // the elements when the dtype is Float32
	F64 []float64 // the elements when the dtype is Float64
	dt  tensor.Dtype
}

// Wrap returns a Buffer over s ([]float32 or []float64) without copying, so
// that kernels can run on memory owned by someone else (a gorgonia tensor).
func Wrap(s any) (*Buffer, error) {
	switch v := s.(type) {
	case []float32:
		return &Buffer{F32: v, dt: tensor.Float32}, nil
	case []float64:
		return &Buffer{F64: v, dt: tensor.Float64}, nil
	}
	return nil, fmt.Errorf("cpu: cannot wrap %T: want []float32 or []float64", s)
}

// Dtype is Float32 or Float64.
func (b *Buffer) Dtype() tensor.Dtype { return b.dt }

// Len is the number of elements.
func (b *Buffer) Len() int {
	if b.dt == tensor.Float64 {
		return len(b.F64)
	}
	return len(b.F32)
}
