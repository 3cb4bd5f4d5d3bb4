// Package cuda is Collegium's NVIDIA GPU device (build tag gpu): it runs the
// kernels of kernels/*.cu, embedded as PTX, through the CUDA driver API
// (gorgonia.org/cu), so a binary needs only libcuda.so.1 on the target.
// Kernels are enqueued on one non-blocking stream; Sync and Download wait.
// Without the gpu tag this package is empty; see pkg/device/registry.
package cuda
