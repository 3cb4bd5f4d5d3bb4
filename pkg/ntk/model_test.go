package ntk

import (
	"math"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
	"github.com/collegium/collegium/pkg/models"
)

// oneThreadCPU is the device each worker of a test's Monte Carlo compiles
// on, as the CLI's.
func oneThreadCPU() device.Device { return cpu.New(1) }

// compiled builds and compiles a network, closed when the test ends.
func compiled(t *testing.T, build Builder) *Tangent {
	t.Helper()
	net, err := build()
	if err != nil {
		t.Fatal(err)
	}
	tg, err := Compile(net, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// kernelOf compiles build and returns its kernel at init seed on inputs.
func kernelOf(t *testing.T, build Builder, inputs [][]float64, out Output, seed uint64) []float64 {
	t.Helper()
	tg := compiled(t, build)
	if err := tg.Init(seed); err != nil {
		t.Fatal(err)
	}
	k, err := Empirical(tg, inputs, out)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// scaleClose: every entry within tol of the largest entry's magnitude.
func scaleClose(a, b []float64, tol float64) bool {
	var scale float64
	for _, x := range a {
		scale = math.Max(scale, math.Abs(x))
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*scale {
			return false
		}
	}
	return len(a) == len(b)
}

func relClose(a, b []float64, tol float64) bool {
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol*math.Max(math.Abs(a[i]), math.Abs(b[i])) {
			return false
		}
	}
	return len(a) == len(b)
}

// measuredSpecs are small networks of every family the search measures.
func measuredSpecs() []models.Spec {
	specs := []models.Spec{
		{Family: models.MLP, Members: 2, Width: 8, Depth: 2, Classes: 10, Input: models.Input{Channels: 1, Height: 6, Width: 6}},
		{Family: models.ConvNet, Members: 2, Width: 4, Depth: 2, Classes: 10, Input: models.Input{Channels: 1, Height: 8, Width: 8}},
		{Family: models.ResNeXt29, Members: 2, Width: 2, Depth: 29, Classes: 10, Input: models.Input{Channels: 3, Height: 8, Width: 8}},
		{Family: models.ResNeXt50, Members: 2, Width: 1, Classes: 10, Input: models.Input{Channels: 3, Height: 32, Width: 32}},
	}
	for i := range specs {
		specs[i].Aggregation = models.AggregateMean
	}
	return specs
}

// TestFloat32MatchesFloat64: the float32 graph (kernels accumulated in
// float64) gives the float64 kernel to float32 precision (relative to the
// largest entry), for every family the search measures, eval-mode BN and
// (but for the costly ResNeXt-50) train-mode BN.
func TestFloat32MatchesFloat64(t *testing.T) {
	for _, spec := range measuredSpecs() {
		inputs := RandomInputs(Inputs{Count: 3, Size: spec.Input.Size(), Seed: 2})
		for _, batch := range []bool{false, true} {
			if batch && spec.Family == models.ResNeXt50 {
				continue
			}
			k64 := kernelOf(t, FromModel(spec, tensor.Float64, batch, 3), inputs, Output{Sum: true}, 7)
			k32 := kernelOf(t, FromModel(spec, tensor.Float32, batch, 3), inputs, Output{Sum: true}, 7)
			if !scaleClose(k64, k32, 1e-4) {
				t.Errorf("%s batch stats %v: float32 kernel %v, float64 %v", spec, batch, k32, k64)
			}
		}
	}
}

// TestBatchGraphKernel: a graph that takes all inputs at once gives the
// per-example kernel exactly when nothing couples the examples (an MLP has
// no BN), and with train-mode BN the kernel of x_0 changes when another
// input of the batch changes, unlike the eval-mode kernel.
func TestBatchGraphKernel(t *testing.T) {
	mlp := models.Spec{Family: models.MLP, Members: 2, Width: 5, Depth: 2, Classes: 3, Input: models.Input{Channels: 1, Height: 2, Width: 3}, Aggregation: models.AggregateMean}
	inputs := RandomInputs(Inputs{Count: 4, Size: 6, Seed: 1})
	batchMLP := FromModel(mlp, tensor.Float64, true, 4)
	for _, out := range []Output{{Logit: 1}, {Trace: true}, {Sum: true}} {
		one := kernelOf(t, FromModel(mlp, tensor.Float64, false, 4), inputs, out, 3)
		all := kernelOf(t, batchMLP, inputs, out, 3)
		if !relClose(one, all, 1e-12) {
			t.Errorf("%+v: batch graph %v, per-example %v", out, all, one)
		}
	}
	conv := models.Spec{Family: models.ResNeXt29, Members: 1, Width: 2, Depth: 29, Classes: 10, Input: models.Input{Channels: 3, Height: 4, Width: 4}, Aggregation: models.AggregateMean}
	a := RandomInputs(Inputs{Count: 3, Size: conv.Input.Size(), Seed: 4})
	b := append([][]float64{a[0]}, RandomInputs(Inputs{Count: 2, Size: conv.Input.Size(), Seed: 5})...)
	for _, batch := range []bool{false, true} {
		ka := kernelOf(t, FromModel(conv, tensor.Float64, batch, 3), a, Output{}, 2)
		kb := kernelOf(t, FromModel(conv, tensor.Float64, batch, 3), b, Output{}, 2)
		same := math.Abs(ka[0]-kb[0]) <= 1e-12*math.Abs(ka[0])
		if same == batch {
			t.Errorf("batch stats %v: K(x0, x0) = %g with batch a, %g with batch b", batch, ka[0], kb[0])
		}
	}
	tg := compiled(t, FromModel(conv, tensor.Float64, true, 3))
	if _, err := Empirical(tg, a[:2], Output{}); err == nil {
		t.Error("2 inputs to a batch-3 graph accepted")
	}
	if err := tg.Gradient(a[0], 0, make([]float64, tg.NumParams())); err == nil {
		t.Error("one-example gradient of a batch graph accepted")
	}
}

// TestInitIsTrainingInit: the parameters a kernel is measured at for a seed
// are bit for bit the initial weights training draws for that seed
// (models.Param.Values of the training graph, the values pkg/train
// uploads), read back from the compiled NTK graph, for every family the
// search measures.
func TestInitIsTrainingInit(t *testing.T) {
	const seed = 11
	for _, spec := range measuredSpecs() {
		trained, err := models.Build(spec, 2, tensor.Float64, true)
		if err != nil {
			t.Fatal(err)
		}
		tg := compiled(t, FromModel(spec, tensor.Float64, false, 1))
		if err := tg.Init(seed); err != nil {
			t.Fatal(err)
		}
		if len(tg.net.Params) != len(trained.Params) {
			t.Fatalf("%s: %d NTK parameters, %d trained", spec, len(tg.net.Params), len(trained.Params))
		}
		for i, p := range tg.net.Params {
			want := trained.Params[i]
			got := make([]float64, want.Size())
			if err := tg.get(p.Node, got); err != nil {
				t.Fatal(err)
			}
			if p.Node.Name() != want.Node.Name() || !slices.Equal(got, want.Values(seed)) {
				t.Errorf("%s: NTK parameter %s differs from the training initialisation of %s", spec, p.Node.Name(), want.Name)
			}
		}
	}
}
