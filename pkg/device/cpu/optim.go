package cpu

import (
	"fmt"
	"math"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu/gemm"
)

// SGDUpdate applies one SGD step with momentum (see device.SGDParams).
func (d *Device) SGDUpdate(p device.SGDParams, param, grad, velocity device.Buffer) error {
	s := [spanScalars]float64{p.LR, p.Momentum, p.WeightDecay, flag(p.Nesterov)}
	return d.vec("sgd update", s, sgdSpan[float32], sgdSpan[float64], param, grad, velocity)
}

// AdamUpdate applies one Adam step (see device.AdamParams). The bias
// corrections are folded into the step size and eps:
// θ −= lr·√bc2/bc1 · m/(√v + eps·√bc2).
func (d *Device) AdamUpdate(p device.AdamParams, param, grad, m, v device.Buffer) error {
	if p.Step < 1 {
		return fmt.Errorf("cpu: adam update: step %d must be at least 1", p.Step)
	}
	bc1 := 1 - math.Pow(p.Beta1, float64(p.Step))
	bc2 := 1 - math.Pow(p.Beta2, float64(p.Step))
	s := [spanScalars]float64{p.LR * math.Sqrt(bc2) / bc1, p.Beta1, p.Beta2, p.Eps * math.Sqrt(bc2), p.WeightDecay, p.LR, flag(p.Decoupled)}
	return d.vec("adam update", s, adamSpan[float32], adamSpan[float64], param, grad, m, v)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// sgdSpan: buf = param, grad, velocity; s = lr, momentum, weight decay,
// nesterov.
func sgdSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	lr, mom, wd, nesterov := T(a.s[0]), T(a.s[1]), T(a.s[2]), a.s[3] != 0
	theta, grad, vel := a.buf[0][lo:hi], a.buf[1][lo:hi], a.buf[2][lo:hi]
	if t32, ok := any(theta).([]float32); ok {
		sgd32(t32, any(grad).([]float32), any(vel).([]float32), float32(lr), float32(mom), float32(wd), nesterov)
		return
	}
	sgdLoop(theta, grad, vel, lr, mom, wd, nesterov)
}

// sgdGo is one SGD step over a float32 span in Go (the AVX-512 loop rounds
// every operation the same way).
func sgdGo(theta, grad, vel []float32, lr, mom, wd float32, nesterov bool) {
	sgdLoop(theta, grad, vel, lr, mom, wd, nesterov)
}

// sgdLoop: g = grad + wd·θ; v = mom·v + g; θ −= lr·v, or lr·(g + mom·v).
func sgdLoop[T gemm.Float](theta, grad, vel []T, lr, mom, wd T, nesterov bool) {
	grad, vel = grad[:len(theta)], vel[:len(theta)]
	for i := range theta {
		g := grad[i] + wd*theta[i]
		v := mom*vel[i] + g
		vel[i] = v
		if nesterov {
			theta[i] -= lr * (g + mom*v)
		} else {
			theta[i] -= lr * v
		}
	}
}

// adamSpan: buf = param, grad, moments m and v; s = step size, beta1, beta2,
// corrected eps, weight decay, lr, decoupled.
func adamSpan[T gemm.Float](a *spanArgs[T], lo, hi int) {
	step, b1, b2, eps, wd := T(a.s[0]), T(a.s[1]), T(a.s[2]), T(a.s[3]), T(a.s[4])
	decay, coupled := 1-T(a.s[5])*wd, wd
	if a.s[6] != 0 {
		coupled = 0
	} else {
		decay = 1
	}
	theta, grad, m, v := a.buf[0][lo:hi], a.buf[1][lo:hi], a.buf[2][lo:hi], a.buf[3][lo:hi]
	for i := range theta {
		g := grad[i] + coupled*theta[i]
		m[i] = b1*m[i] + (1-b1)*g
		v[i] = b2*v[i] + (1-b2)*g*g
		theta[i] = decay*theta[i] - step*m[i]/(T(math.Sqrt(float64(v[i])))+eps)
	}
}
