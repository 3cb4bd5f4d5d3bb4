// Package cuda is Collegium's NVIDIA GPU device (build tag gpu): it runs the
// kernels of kernels/*.cu, embedded as PTX, through the CUDA driver API
// (gorgonia.org/cu), so a binary needs only libcuda.so.1 on the target.
// Kernels are enqueued on one non-blocking stream; Sync and Download wait.
//
// Under the build tag cudaemu the same package runs on the CPU instead: the
// driver layer (driver_emu.go) hands every launch to internal/emu, which runs
// kernels/*.cu compiled as C++ with CUDA's thread, barrier and shuffle
// semantics, so that this package's launches and kernels are tested by the
// conformance suite on machines without a GPU (slowly; it times nothing real).
// Without either tag this package is empty; see pkg/device/registry.
package cuda
