//go:build cudaemu

package emu

import (
	"errors"
	"slices"
	"sync"
	"time"
	"unsafe"
)

// Stream is an emulated CUDA stream: work enqueued on it runs, in order,
// when the host waits for it (Synchronize), not when it is enqueued. So, as
// on a GPU, host memory that a download fills is stale until the wait, and
// a kernel's fault surfaces at the next wait instead of at its launch.
type Stream struct {
	pending []func() error
}

var (
	// streamsMu guards the queues of all streams and the list of streams.
	streamsMu sync.Mutex
	streams   []*Stream

	// Legacy is the legacy default stream, on which CUDA's calls without a
	// stream argument run (cuMemsetD32, say: asynchronous with respect to
	// the host for device memory). Streams of NewStream are non-blocking,
	// so nothing orders them with it: the emulator runs its work only when
	// the context is synchronised (CtxSynchronize, Free), as late as CUDA
	// allows, so that code relying on it being done before the next work of
	// a non-blocking stream sees memory it has not written yet.
	Legacy = &Stream{}
)

// NewStream creates a non-blocking stream (cuStreamCreate with
// CU_STREAM_NON_BLOCKING), the only kind Collegium makes.
func NewStream() *Stream {
	s := &Stream{}
	streamsMu.Lock()
	defer streamsMu.Unlock()
	streams = append(streams, s)
	return s
}

// enqueue appends work to the stream.
func (s *Stream) enqueue(work func() error) {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	s.pending = append(s.pending, work)
}

// Launch checks a launch of kernel name as cuLaunchKernel does when it is
// called (the kernel exists and takes len(slots) parameters, grid and block
// are within CUDA's limits) and enqueues the kernel.
func (s *Stream) Launch(name string, grid [3]int, threads, shared int, slots []uint64) error {
	if err := checkLaunch(name, grid, threads, shared, len(slots)); err != nil {
		return err
	}
	args := slices.Clone(slots)
	s.enqueue(func() error { return launch(name, grid, threads, shared, args) })
	return nil
}

// MemsetD32 enqueues setting n 32-bit words at p to v (cuMemsetD32Async).
func (s *Stream) MemsetD32(p uintptr, v uint32, n int) {
	s.enqueue(func() error { memset32(p, v, n); return nil })
}

// Upload enqueues a copy of bytes from host memory at src to emulated device
// memory at dst (cuMemcpyHtoDAsync); src must stay valid until the wait.
func (s *Stream) Upload(dst uintptr, src unsafe.Pointer, bytes int64) {
	s.enqueue(func() error { upload(dst, src, bytes); return nil })
}

// Download enqueues a copy of bytes from emulated device memory at src to
// host memory at dst (cuMemcpyDtoHAsync); dst holds them after the wait.
func (s *Stream) Download(dst unsafe.Pointer, src uintptr, bytes int64) {
	s.enqueue(func() error { download(dst, src, bytes); return nil })
}

// Record enqueues storing the wall-clock time in *t (cuEventRecord: the
// emulator's events hold the time the stream reached them).
func (s *Stream) Record(t *time.Time) {
	s.enqueue(func() error { *t = time.Now(); return nil })
}

// Synchronize runs the stream's work in order (cuStreamSynchronize) and
// returns the first error; work after a failed one is dropped, as a GPU
// context is unusable after a kernel's fault.
func (s *Stream) Synchronize() error {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	return s.drain()
}

// drain runs the pending work; streamsMu is held.
func (s *Stream) drain() error {
	for len(s.pending) > 0 {
		work := s.pending[0]
		s.pending = s.pending[1:]
		if err := work(); err != nil {
			s.pending = nil
			return err
		}
	}
	return nil
}

// Destroy runs the stream's remaining work (cuStreamDestroy lets it
// complete) and forgets the stream.
func (s *Stream) Destroy() error {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	err := s.drain()
	streams = slices.DeleteFunc(streams, func(t *Stream) bool { return t == s })
	return err
}

// CtxSynchronize runs the work of every stream, the legacy default stream
// last (cuCtxSynchronize), and returns their errors.
func CtxSynchronize() error {
	streamsMu.Lock()
	defer streamsMu.Unlock()
	var errs []error
	for _, s := range streams {
		errs = append(errs, s.drain())
	}
	return errors.Join(append(errs, Legacy.drain())...)
}
