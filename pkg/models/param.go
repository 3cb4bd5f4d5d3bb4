package models

import (
	"hash/fnv"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
)

// Init says how a tensor's initial values are drawn.
type Init int

// The initialisations of the reference code.
const (
	// Kaiming draws N(0, 2/fan_in) (He et al., fan_in mode, ReLU gain).
	Kaiming Init = iota
	// Zeros sets every value to 0 (biases, BN bias, BN running mean).
	Zeros
	// Ones sets every value to 1 (BN weight, BN running variance).
	Ones
)

// Param is one trainable tensor of a Model.
type Param struct {
	Name  string
	Node  *G.Node
	Grad  *G.Node // ∂Loss/∂Node; nil in an eval model
	Shape []int
	Init  Init
	FanIn int // inputs per output unit: din, or (C/groups)·kh·kw
	// LRScale is the factor s on this tensor's learning rate: 1 in the
	// standard parameterisation; in the NTK one, s = 2/FanIn for weights
	// (θ = √s·ω with ω ~ N(0, 1): gradient descent on ω with rate η is
	// gradient descent on θ with rate η·s) and 1 for biases. The NTK in ω
	// coordinates is Σ_p s_p·J_p·J_pᵀ with J_p = ∂f/∂θ_p.
	LRScale float64
}

// Size is the number of values.
func (p Param) Size() int { return shapeSize(p.Shape) }

// Values draws p's initial values for a run seeded with seed. Each tensor
// has its own PCG stream keyed by (seed, name), so a tensor's values do not
// depend on which other tensors the model has or on any iteration order.
func (p Param) Values(seed uint64) []float64 {
	return initValues(p.Init, p.Shape, p.FanIn, seed, p.Name)
}

// State is a non-trainable tensor updated by the forward pass (BN running
// mean and variance).
type State struct {
	Name  string
	Node  *G.Node
	Shape []int
	Init  Init
}

// Size is the number of values.
func (s State) Size() int { return shapeSize(s.Shape) }

// Values returns the initial values (running mean 0, running variance 1).
func (s State) Values() []float64 {
	return initValues(s.Init, s.Shape, 1, 0, s.Name)
}

func initValues(how Init, shape []int, fanIn int, seed uint64, name string) []float64 {
	v := make([]float64, shapeSize(shape))
	switch how {
	case Ones:
		for i := range v {
			v[i] = 1
		}
	case Kaiming:
		h := fnv.New64a()
		h.Write([]byte(name))
		return Gaussian(len(v), KaimingStd(fanIn), seed, h.Sum64())
	}
	return v
}

// KaimingStd is the standard deviation of Kaiming's fan-in initialisation
// with ReLU gain, √(2/fanIn).
func KaimingStd(fanIn int) float64 { return math.Sqrt(2 / float64(fanIn)) }

// Gaussian draws size values N(0, std²) from the PCG stream (seed, stream):
// the draw behind Kaiming (a model's stream is keyed by the tensor's name)
// and behind the networks pkg/ntk builds outside a model.
func Gaussian(size int, std float64, seed, stream uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, stream))
	v := make([]float64, size)
	for i := range v {
		v[i] = std * r.NormFloat64()
	}
	return v
}

func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
