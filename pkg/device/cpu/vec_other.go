//go:build !amd64

package cpu

// Off amd64 the loops of vec.go run in Go.

func sum32(x []float32) float64                      { return sumGo(x) }
func sqdev32(x []float32, mean float64) float64      { return sqdevGo(x, mean) }
func dotdev32(dy, x []float32, mean float64) float64 { return dotdevGo(dy, x, mean) }
func centered32(y, x []float32, m, a, b float32)     { centeredGo(y, x, m, a, b) }
func bndx32(dx, dy, x []float32, m, a, b, c float32) { bndxGo(dx, dy, x, m, a, b, c) }
func relu32(y, x []float32)                          { reluGo(y, x) }
func reluGrad32(dx, y, dy []float32)                 { reluGradGo(dx, y, dy) }

func sgd32(theta, grad, vel []float32, lr, mom, wd float32, nesterov bool) {
	sgdGo(theta, grad, vel, lr, mom, wd, nesterov)
}

func add32(y, a, b []float32)            { addGo(y, a, b) }
func accum32(acc []float64, x []float32) { accumGo(acc, x) }
