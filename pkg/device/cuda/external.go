//go:build gpu

package cuda

import "unsafe"

// WithStream runs f with the device entered (its lock held, its context
// current on the locked OS thread) and the raw CUstream of its stream, for a
// library that enqueues work on the device's memory in the device's own
// stream order (NCCL's collectives).
func (d *Device) WithStream(f func(stream unsafe.Pointer) error) error {
	leave, err := d.enter()
	if err != nil {
		return err
	}
	defer leave()
	return f(unsafe.Pointer(d.drv.stream.C()))
}

// DevicePointer is the device address of b's first element.
func (b *Buffer) DevicePointer() uintptr { return uintptr(b.ptr) }
