//go:build !amd64

package cpu

// directPlan is empty off amd64: there are no direct kernels, so planDirect
// reports false and every convolution takes the im2col path.
type directPlan struct{}

func (t *convTask[T]) planDirect() bool { return false }

func (t *convTask[T]) runDirect(int, int) {}

func (t *convTask[T]) directFilter(int, int, int, int) {}

func (t *convTask[T]) packDirect() {}
