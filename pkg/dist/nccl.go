//go:build mpi && gpu

package dist

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// NCCL's C API as nccl.h (NCCL 2.x) declares it. No registry here ships
// nccl.h or libnccl (Debian has neither in bookworm, main or non-free), so
// the few declarations are written out and libnccl.so.2 is opened at run
// time: the binary builds without NCCL and needs it only on the GPU
// machines that use it (CUDA runtime images and PyTorch ship it).
#define COLLEGIUM_NCCL_ID_BYTES 128
typedef struct { char internal[COLLEGIUM_NCCL_ID_BYTES]; } collegium_nccl_id;
typedef void *collegium_nccl_comm;
typedef int (*nccl_get_unique_id_fn)(collegium_nccl_id *);
typedef int (*nccl_comm_init_rank_fn)(collegium_nccl_comm *, int, collegium_nccl_id, int);
typedef int (*nccl_all_reduce_fn)(const void *, void *, size_t, int, int, collegium_nccl_comm, void *);
typedef int (*nccl_group_fn)(void);
typedef int (*nccl_comm_destroy_fn)(collegium_nccl_comm);
typedef const char *(*nccl_error_string_fn)(int);

enum { collegium_nccl_float32 = 7, collegium_nccl_float64 = 8, collegium_nccl_op_sum = 0 };

static nccl_get_unique_id_fn nccl_get_unique_id;
static nccl_comm_init_rank_fn nccl_comm_init_rank;
static nccl_all_reduce_fn nccl_all_reduce;
static nccl_group_fn nccl_group_start, nccl_group_end;
static nccl_comm_destroy_fn nccl_comm_destroy;
static nccl_error_string_fn nccl_error_string;

static const char *collegium_nccl_open(void) {
	if (nccl_all_reduce) return NULL;
	void *lib = dlopen("libnccl.so.2", RTLD_NOW | RTLD_GLOBAL);
	if (!lib) return dlerror();
	nccl_get_unique_id = (nccl_get_unique_id_fn)dlsym(lib, "ncclGetUniqueId");
	nccl_comm_init_rank = (nccl_comm_init_rank_fn)dlsym(lib, "ncclCommInitRank");
	nccl_group_start = (nccl_group_fn)dlsym(lib, "ncclGroupStart");
	nccl_group_end = (nccl_group_fn)dlsym(lib, "ncclGroupEnd");
	nccl_comm_destroy = (nccl_comm_destroy_fn)dlsym(lib, "ncclCommDestroy");
	nccl_error_string = (nccl_error_string_fn)dlsym(lib, "ncclGetErrorString");
	nccl_all_reduce = (nccl_all_reduce_fn)dlsym(lib, "ncclAllReduce");
	if (!nccl_get_unique_id || !nccl_comm_init_rank || !nccl_group_start || !nccl_group_end ||
	    !nccl_comm_destroy || !nccl_error_string || !nccl_all_reduce) {
		nccl_all_reduce = NULL;
		return "libnccl.so.2 lacks an NCCL 2 function";
	}
	return NULL;
}
static int collegium_nccl_unique_id(void *id) { return nccl_get_unique_id((collegium_nccl_id *)id); }
static int collegium_nccl_init(collegium_nccl_comm *c, int n, const void *id, int rank) {
	collegium_nccl_id u;
	memcpy(&u, id, sizeof u);
	return nccl_comm_init_rank(c, n, u, rank);
}
// buf is a device address, passed as an integer: Go never dereferences it.
static int collegium_nccl_sum(uintptr_t buf, size_t n, int dtype, collegium_nccl_comm c, void *stream) {
	return nccl_all_reduce((void *)buf, (void *)buf, n, dtype, collegium_nccl_op_sum, c, stream);
}
static int collegium_nccl_group_start(void) { return nccl_group_start(); }
static int collegium_nccl_group_end(void) { return nccl_group_end(); }
static int collegium_nccl_destroy(collegium_nccl_comm c) { return nccl_comm_destroy(c); }
static const char *collegium_nccl_error(int r) { return nccl_error_string(r); }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cuda"
)

func init() {
	deviceAveragers = append(deviceAveragers, newNCCLAverager)
}

// ncclAverager averages CUDA buffers with ncclAllReduce in the device's
// stream (one NCCL group per step), and host values over the MPI Comm.
type ncclAverager struct {
	comm Comm
	dev  *cuda.Device
	nccl C.collegium_nccl_comm
}

// newNCCLAverager opens an NCCL communicator over c's ranks for a CUDA
// device: rank 0 makes the unique id and MPI broadcasts it.
func newNCCLAverager(c Comm, dev device.Device) (Averager, error) {
	d, ok := dev.(*cuda.Device)
	if !ok {
		return nil, nil
	}
	if msg := C.collegium_nccl_open(); msg != nil {
		return nil, fmt.Errorf("dist: NCCL: %s (gradients of CUDA buffers are averaged by NCCL: install libnccl2)", C.GoString(msg))
	}
	id := make([]byte, C.COLLEGIUM_NCCL_ID_BYTES)
	if c.Rank() == 0 {
		if err := ncclCheck("ncclGetUniqueId", C.collegium_nccl_unique_id(unsafe.Pointer(&id[0]))); err != nil {
			return nil, err
		}
	}
	if err := c.Broadcast(id, 0); err != nil {
		return nil, fmt.Errorf("dist: broadcast NCCL id: %w", err)
	}
	a := &ncclAverager{comm: c, dev: d}
	err := d.WithStream(func(unsafe.Pointer) error {
		return ncclCheck("ncclCommInitRank", C.collegium_nccl_init(&a.nccl, C.int(c.Size()), unsafe.Pointer(&id[0]), C.int(c.Rank())))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (a *ncclAverager) Average(bufs []device.Buffer, host []float64) error {
	err := a.dev.WithStream(func(stream unsafe.Pointer) error {
		if err := ncclCheck("ncclGroupStart", C.collegium_nccl_group_start()); err != nil {
			return err
		}
		var errs []error
		for i, b := range bufs {
			cb, ok := b.(*cuda.Buffer)
			if !ok {
				errs = append(errs, fmt.Errorf("dist: NCCL: buffer %d is %T, not a CUDA buffer", i, b))
				continue
			}
			dt := C.int(C.collegium_nccl_float32)
			if cb.Dtype() == tensor.Float64 {
				dt = C.collegium_nccl_float64
			}
			ptr := C.uintptr_t(cb.DevicePointer())
			errs = append(errs, ncclCheck("ncclAllReduce", C.collegium_nccl_sum(ptr, C.size_t(cb.Len()), dt, a.nccl, stream)))
		}
		errs = append(errs, ncclCheck("ncclGroupEnd", C.collegium_nccl_group_end()))
		return errors.Join(errs...)
	})
	if err != nil {
		return err
	}
	inv := 1 / float64(a.comm.Size())
	for i, b := range bufs {
		if err := a.dev.Scale(inv, b, b); err != nil {
			return fmt.Errorf("dist: average buffer %d: %w", i, err)
		}
	}
	if err := a.comm.AllReduceSum64(host); err != nil {
		return fmt.Errorf("dist: average: %w", err)
	}
	for i := range host {
		host[i] *= inv
	}
	return nil
}

func ncclCheck(call string, r C.int) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("dist: %s: %s (NCCL result %d)", call, C.GoString(C.collegium_nccl_error(r)), int(r))
}
