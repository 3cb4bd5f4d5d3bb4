//go:build !amd64

package cpu

// winoPlan is empty off amd64: planWinograd reports false.
type winoPlan struct{}

func (t *convTask[T]) planWinograd() bool { return false }

func (t *convTask[T]) runWinograd(int, int) {}

func (t *convTask[T]) prepareWinograd() int { return 0 }
