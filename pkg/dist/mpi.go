//go:build mpi

package dist

/*
#cgo pkg-config: ompi-c
#include <stdlib.h>
#include <mpi.h>

// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) are
// macros over addresses of its globals, which cgo cannot name: these
// wrappers take them on the C side.
static int collegium_init(int *provided) {
	int done = 0;
	MPI_Initialized(&done);
	if (done) {
		return MPI_Query_thread(provided);
	}
	return MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, provided);
}
static int collegium_rank(int *r) { return MPI_Comm_rank(MPI_COMM_WORLD, r); }
static int collegium_size(int *s) { return MPI_Comm_size(MPI_COMM_WORLD, s); }
static int collegium_allreduce_f32(float *x, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static int collegium_allreduce_f64(double *x, int n) {
	return MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static int collegium_bcast(void *b, int n, int root) {
	return MPI_Bcast(b, n, MPI_BYTE, root, MPI_COMM_WORLD);
}
static int collegium_error_string(int code, char *buf, int *len) {
	return MPI_Error_string(code, buf, len);
}
static int collegium_abort(int code) { return MPI_Abort(MPI_COMM_WORLD, code); }
static int collegium_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static int collegium_set_errors_return(void) {
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"unsafe"
)

// MPI is MPI_COMM_WORLD of OpenMPI. Calls are serialised by a mutex (MPI is
// initialised with MPI_THREAD_SERIALIZED), so any goroutine may use it.
type MPI struct {
	mu     sync.Mutex
	rank   int
	size   int
	closed bool
}

// OpenMPI initialises MPI (MPI_Init_thread) and returns MPI_COMM_WORLD. A
// process initialises MPI once: call it once and share the Comm.
func OpenMPI() (*MPI, error) {
	var provided C.int
	if rc := C.collegium_init(&provided); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Init_thread", rc)
	}
	if provided < C.collegium_thread_serialized() {
		return nil, fmt.Errorf("dist: MPI provides thread level %d, below MPI_THREAD_SERIALIZED", int(provided))
	}
	if rc := C.collegium_set_errors_return(); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_set_errhandler", rc)
	}
	var rank, size C.int
	if rc := C.collegium_rank(&rank); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_rank", rc)
	}
	if rc := C.collegium_size(&size); rc != C.MPI_SUCCESS {
		return nil, mpiError("MPI_Comm_size", rc)
	}
	return &MPI{rank: int(rank), size: int(size)}, nil
}

// Rank is this process's rank in MPI_COMM_WORLD.
func (m *MPI) Rank() int { return m.rank }

// Size is the number of ranks in MPI_COMM_WORLD.
func (m *MPI) Size() int { return m.size }

// AllReduceSum32 is MPI_Allreduce(MPI_IN_PLACE, x, MPI_FLOAT, MPI_SUM).
func (m *MPI) AllReduceSum32(x []float32) error {
	if len(x) == 0 {
		return m.call("MPI_Allreduce", func() C.int { return C.collegium_allreduce_f32(nil, 0) })
	}
	if err := fitsInt(len(x)); err != nil {
		return err
	}
	return m.call("MPI_Allreduce", func() C.int {
		return C.collegium_allreduce_f32((*C.float)(unsafe.Pointer(&x[0])), C.int(len(x)))
	})
}

// AllReduceSum64 is MPI_Allreduce(MPI_IN_PLACE, x, MPI_DOUBLE, MPI_SUM).
func (m *MPI) AllReduceSum64(x []float64) error {
	if len(x) == 0 {
		return m.call("MPI_Allreduce", func() C.int { return C.collegium_allreduce_f64(nil, 0) })
	}
	if err := fitsInt(len(x)); err != nil {
		return err
	}
	return m.call("MPI_Allreduce", func() C.int {
		return C.collegium_allreduce_f64((*C.double)(unsafe.Pointer(&x[0])), C.int(len(x)))
	})
}

// Broadcast is MPI_Bcast of b's bytes from root.
func (m *MPI) Broadcast(b []byte, root int) error {
	if root < 0 || root >= m.size {
		return fmt.Errorf("dist: broadcast from rank %d of %d", root, m.size)
	}
	if err := fitsInt(len(b)); err != nil {
		return err
	}
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	return m.call("MPI_Bcast", func() C.int { return C.collegium_bcast(p, C.int(len(b)), C.int(root)) })
}

// Close calls MPI_Finalize; later calls do nothing.
func (m *MPI) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if rc := C.MPI_Finalize(); rc != C.MPI_SUCCESS {
		return mpiError("MPI_Finalize", rc)
	}
	return nil
}

// Abort calls MPI_Abort on MPI_COMM_WORLD, which ends every rank with
// exit status code. It does not wait for the mutex: another goroutine may
// be blocked in a collective that will never complete.
func (m *MPI) Abort(code int) {
	C.collegium_abort(C.int(code))
	os.Exit(code)
}

// call runs one MPI call under the mutex and turns its code into an error.
func (m *MPI) call(name string, f func() C.int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errors.New("dist: " + name + " after MPI_Finalize")
	}
	if rc := f(); rc != C.MPI_SUCCESS {
		return mpiError(name, rc)
	}
	return nil
}

// fitsInt checks that a count fits MPI's int.
func fitsInt(n int) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("dist: %d elements exceed MPI's int count", n)
	}
	return nil
}

func mpiError(call string, rc C.int) error {
	buf := make([]byte, C.MPI_MAX_ERROR_STRING)
	var n C.int
	if C.collegium_error_string(rc, (*C.char)(unsafe.Pointer(&buf[0])), &n) != C.MPI_SUCCESS {
		return fmt.Errorf("dist: %s failed with code %d", call, int(rc))
	}
	return fmt.Errorf("dist: %s: %s", call, string(buf[:n]))
}
