package cpu

import (
	"fmt"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
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

// elems is the typed element slice of b, which operands has checked to be a
// *Buffer of dtype T.
func elems[T gemm.Float](b device.Buffer) []T {
	cb := b.(*Buffer)
	if s, ok := any(cb.F32).([]T); ok {
		return s
	}
	s, _ := any(cb.F64).([]T)
	return s
}

// operands checks that every buffer is a non-nil CPU buffer and that all
// share one dtype that the CPU device supports, which it returns.
func operands(op string, bs ...device.Buffer) (tensor.Dtype, error) {
	var dt tensor.Dtype
	for i, b := range bs {
		cb, ok := b.(*Buffer)
		if !ok || cb == nil {
			return dt, fmt.Errorf("cpu: %s: operand %d is %T, want a non-nil *cpu.Buffer", op, i, b)
		}
		if cb.dt != tensor.Float32 && cb.dt != tensor.Float64 {
			return dt, fmt.Errorf("cpu: %s: dtype %v: %w", op, cb.dt, device.NoKernel(op, "cpu"))
		}
		if i == 0 {
			dt = cb.dt
		} else if cb.dt != dt {
			return dt, fmt.Errorf("cpu: %s: operand %d has dtype %v, operand 0 has %v", op, i, cb.dt, dt)
		}
	}
	return dt, nil
}

// length checks that buffer b, called name in op, holds exactly n elements.
func length(op, name string, b device.Buffer, n int) error {
	if b.Len() != n {
		return fmt.Errorf("cpu: %s: %s has %d elements, want %d", op, name, b.Len(), n)
	}
	return nil
}
