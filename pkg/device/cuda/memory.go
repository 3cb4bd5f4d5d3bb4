//go:build gpu || cudaemu

package cuda

import (
	"errors"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/collegium/collegium/pkg/device"
	"gorgonia.org/tensor"
)

// Buffer is device memory holding Len elements of float32 or float64.
type Buffer struct {
	ptr   devPtr
	n     int
	dt    tensor.Dtype
	class int // pool size class: the allocation holds 1<<class bytes
	dev   *Device
}

// Dtype is Float32 or Float64.
func (b *Buffer) Dtype() tensor.Dtype { return b.dt }

// Len is the number of elements.
func (b *Buffer) Len() int { return b.n }

// bytes is the size of the elements in bytes.
func (b *Buffer) bytes() int64 { return int64(b.n) * int64(b.dt.Size()) }

// minClass is the smallest pool size class (256 bytes, the driver's alignment).
const minClass = 8

// pool keeps freed allocations by power-of-two size class so that the
// executor's per-step buffers are reused instead of cuMemAlloc'd again.
type pool struct {
	free map[int][]devPtr
}

// get returns an allocation of 1<<class bytes, from the pool if it has one.
// On an out-of-memory error it drains the pool and tries once more.
func (p *pool) get(drv *driver, class int) (devPtr, error) {
	if l := p.free[class]; len(l) > 0 {
		ptr := l[len(l)-1]
		p.free[class] = l[:len(l)-1]
		return ptr, nil
	}
	ptr, err := drv.alloc(int64(1) << class)
	if err == nil {
		return ptr, nil
	}
	if derr := p.drain(drv); derr != nil {
		return 0, errors.Join(err, derr)
	}
	return drv.alloc(int64(1) << class)
}

// put returns an allocation to the pool.
func (p *pool) put(class int, ptr devPtr) {
	if p.free == nil {
		p.free = map[int][]devPtr{}
	}
	p.free[class] = append(p.free[class], ptr)
}

// drain frees every pooled allocation.
func (p *pool) drain(drv *driver) error {
	var errs []error
	for class, l := range p.free {
		for _, ptr := range l {
			if err := drv.free(ptr); err != nil {
				errs = append(errs, fmt.Errorf("cuda: free %d bytes: %w", int64(1)<<class, err))
			}
		}
		delete(p.free, class)
	}
	return errors.Join(errs...)
}

// sizeClass is the smallest class whose allocation holds n bytes.
func sizeClass(n int64) int {
	if n <= 1<<minClass {
		return minClass
	}
	return bits.Len64(uint64(n - 1))
}

// Alloc returns a buffer of n elements of dt (Float32 or Float64) from the
// pool. Its contents are undefined.
func (d *Device) Alloc(dt tensor.Dtype, n int) (device.Buffer, error) {
	if n < 0 {
		return nil, fmt.Errorf("%s: alloc: negative length %d", d.Name(), n)
	}
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return nil, fmt.Errorf("%s: alloc %v: %w", d.Name(), dt, device.NoKernel("alloc", d.Name()))
	}
	leave, err := d.enter()
	if err != nil {
		return nil, err
	}
	defer leave()
	class := sizeClass(int64(n) * int64(dt.Size()))
	ptr, err := d.pool.get(d.drv, class)
	if err != nil {
		return nil, fmt.Errorf("%s: alloc %d × %v: %w", d.Name(), n, dt, err)
	}
	return &Buffer{ptr: ptr, n: n, dt: dt, class: class, dev: d}, nil
}

// Free returns b's memory to the device's pool. Work already enqueued on the
// stream that uses b still completes first: the pool hands memory out only to
// later work on the same stream.
func (d *Device) Free(b device.Buffer) error {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil || cb.dev != d {
		return fmt.Errorf("%s: free: %T is not a buffer of this device", d.Name(), b)
	}
	if cb.ptr == 0 {
		return fmt.Errorf("%s: free: buffer already freed", d.Name())
	}
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	d.pool.put(cb.class, cb.ptr)
	cb.ptr = 0
	return nil
}

// hostSlice checks that host data s matches b and returns its address.
func hostSlice(op string, b *Buffer, s any) (unsafe.Pointer, error) {
	switch v := s.(type) {
	case []float32:
		if b.dt != tensor.Float32 {
			return nil, fmt.Errorf("%s: host []float32 with a %v buffer", op, b.dt)
		}
		if len(v) != b.n {
			return nil, fmt.Errorf("%s: host slice has %d elements, buffer %d", op, len(v), b.n)
		}
		return ptrOf(v), nil
	case []float64:
		if b.dt != tensor.Float64 {
			return nil, fmt.Errorf("%s: host []float64 with a %v buffer", op, b.dt)
		}
		if len(v) != b.n {
			return nil, fmt.Errorf("%s: host slice has %d elements, buffer %d", op, len(v), b.n)
		}
		return ptrOf(v), nil
	}
	return nil, fmt.Errorf("%s: host data is %T, want []float32 or []float64", op, s)
}

// ptrOf is the address of the first element of s, or nil when s is empty.
func ptrOf[T any](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

// Upload copies src into dst in stream order and waits for the copy, so src
// may be reused as soon as Upload returns.
func (d *Device) Upload(dst device.Buffer, src any) error {
	b, host, leave, err := d.transfer("upload", dst, src)
	if err != nil {
		return err
	}
	defer leave()
	if b.n == 0 {
		return nil
	}
	if err := d.drv.upload(b.ptr, host, b.bytes()); err != nil {
		return fmt.Errorf("%s: upload %d bytes: %w%s", d.Name(), b.bytes(), err, d.faultHint())
	}
	return nil
}

// Download waits for pending work, then copies src into dst. It reports an
// error that a kernel recorded in the device error flag.
func (d *Device) Download(dst any, src device.Buffer) error {
	b, host, leave, err := d.transfer("download", src, dst)
	if err != nil {
		return err
	}
	defer leave()
	if b.n > 0 {
		if err := d.drv.download(host, b.ptr, b.bytes()); err != nil {
			return fmt.Errorf("%s: download %d bytes: %w", d.Name(), b.bytes(), err)
		}
	}
	return d.syncLocked()
}

// buffer checks that b is a live buffer of this device.
func (d *Device) buffer(op string, b device.Buffer) (*Buffer, error) {
	cb, ok := b.(*Buffer)
	if !ok || cb == nil || cb.dev != d {
		return nil, fmt.Errorf("%s: %s: operand is %T, want a non-nil buffer of this device", d.Name(), op, b)
	}
	if cb.ptr == 0 && cb.n > 0 {
		return nil, fmt.Errorf("%s: %s: buffer was freed", d.Name(), op)
	}
	return cb, nil
}

// transfer checks the operands of an upload or download and enters the
// device; the caller must call leave.
func (d *Device) transfer(op string, buf device.Buffer, hostData any) (b *Buffer, host unsafe.Pointer, leave func(), err error) {
	if b, err = d.buffer(op, buf); err != nil {
		return nil, nil, nil, err
	}
	if host, err = hostSlice(d.Name()+": "+op, b, hostData); err != nil {
		return nil, nil, nil, err
	}
	if leave, err = d.enter(); err != nil {
		return nil, nil, nil, err
	}
	return b, host, leave, nil
}
