package models

import (
	"math"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBuildMatchesParamCount builds every family and checks that the
// parameters the builder creates add up to ParamCount.
func TestBuildMatchesParamCount(t *testing.T) {
	for _, c := range []struct {
		spec     Spec
		training bool
	}{
		{Spec{Family: MLP, Members: 4, Width: 16, Depth: 3, Classes: 10, Input: Input{1, 28, 28}}, true},
		{Spec{Family: MLP, Members: 3, Width: 5, Depth: 1, Classes: 4, Input: Input{2, 3, 3}, Parameterization: NTK, Aggregation: AggregateSqrt}, true},
		{Spec{Family: ConvNet, Members: 4, Width: 8, Depth: 3, Classes: 10, Input: Input{3, 32, 32}}, true},
		{Spec{Family: ResNeXt29, Members: 2, Width: 4, Depth: 11, Classes: 10, Input: Input{3, 8, 8}, Widen: 1}, true},
		{cifar(8, 64, 10), false},
		{Spec{Family: ResNeXt50, Members: 32, Width: 4, Classes: 1000, Input: Input{3, 32, 32}}, false},
		{Spec{Family: ResNeXt50, Members: 1, Width: 64, Classes: 1000, Input: Input{3, 32, 32}}, false},
		{Spec{Family: ResNeXt101, Members: 2, Width: 4, Classes: 10, Input: Input{3, 32, 32}}, true},
	} {
		want, err := ParamCount(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Build(c.spec, 2, tensor.Float32, c.training)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		if got := m.ParamCount(); got != want {
			t.Errorf("%s: built %d parameters, ParamCount says %d", c.spec, got, want)
		}
		if !slices.Equal(m.Logits.Shape(), tensor.Shape{2, c.spec.Classes}) {
			t.Errorf("%s: logits shape %v", c.spec, m.Logits.Shape())
		}
		for _, p := range m.Params {
			if !slices.Equal([]int(p.Node.Shape()), p.Shape) {
				t.Errorf("%s: %s node shape %v, recorded %v", c.spec, p.Name, p.Node.Shape(), p.Shape)
			}
			if (p.Grad != nil) != c.training {
				t.Errorf("%s: %s has gradient %v in a model with training %v", c.spec, p.Name, p.Grad, c.training)
			}
		}
	}
}

// TestResNeXtImageNetStemPool checks that torchvision's stem pool is one 3×3
// stride-2 padding-1 max pool: 32×32 input, 16×16 after the stem, 8×8 after
// the pool.
func TestResNeXtImageNetStemPool(t *testing.T) {
	m, err := Build(Spec{Family: ResNeXt50, Members: 2, Width: 4, Classes: 10, Input: Input{3, 32, 32}}, 2, tensor.Float32, true)
	if err != nil {
		t.Fatal(err)
	}
	var pools []*G.Node
	for _, n := range m.Graph.AllNodes() {
		if n.Op() != nil && strings.HasPrefix(n.Op().String(), "maxPool2d{") {
			pools = append(pools, n)
		}
	}
	if len(pools) != 1 {
		t.Fatalf("%d max pools in the graph, want 1", len(pools))
	}
	if s := pools[0].Shape(); !slices.Equal(s, tensor.Shape{2, 64, 8, 8}) {
		t.Errorf("max pool output %v, want (2, 64, 8, 8)", s)
	}
}

// TestParamNamesStable checks that train and eval models of one spec list
// the same parameters and state in the same order, with unique names.
func TestParamNamesStable(t *testing.T) {
	s := Spec{Family: ResNeXt29, Members: 2, Width: 2, Depth: 11, Classes: 3, Input: Input{3, 8, 8}, Widen: 1}
	train, err := Build(s, 4, tensor.Float64, true)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := Build(s, 3, tensor.Float64, false)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, p := range train.Params {
		if eval.Params[i].Name != p.Name || seen[p.Name] {
			t.Fatalf("param %d: train %s, eval %s (or a duplicate name)", i, p.Name, eval.Params[i].Name)
		}
		seen[p.Name] = true
	}
	if len(train.State) != len(eval.State) || len(train.State) == 0 {
		t.Fatalf("state: train %d, eval %d", len(train.State), len(eval.State))
	}
}

// TestInitValues checks Kaiming's standard deviation, the constant inits,
// determinism and seed dependence.
func TestInitValues(t *testing.T) {
	p := Param{Name: "w", Shape: []int{200, 300}, Init: Kaiming, FanIn: 50}
	v := p.Values(7)
	var sum, sq float64
	for _, x := range v {
		sum += x
		sq += x * x
	}
	n := float64(len(v))
	std := math.Sqrt(sq/n - (sum/n)*(sum/n))
	if want := math.Sqrt(2.0 / 50); math.Abs(std-want) > 0.01*want {
		t.Errorf("Kaiming std %.4f, want %.4f", std, want)
	}
	if !slices.Equal(v, p.Values(7)) {
		t.Error("same seed gave different values")
	}
	if slices.Equal(v, p.Values(8)) {
		t.Error("different seeds gave equal values")
	}
	q := p
	q.Name = "other"
	if slices.Equal(v, q.Values(7)) {
		t.Error("different tensors share a stream")
	}
	ones := State{Name: "bn.running_var", Shape: []int{3}, Init: Ones}.Values()
	if !slices.Equal(ones, []float64{1, 1, 1}) {
		t.Errorf("running var init %v", ones)
	}
}

// TestNTKLRScale checks the per-tensor learning-rate scales.
func TestNTKLRScale(t *testing.T) {
	s := Spec{Family: MLP, Members: 2, Width: 8, Depth: 2, Classes: 3, Input: Input{1, 4, 4}, Parameterization: NTK}
	m, err := Build(s, 2, tensor.Float64, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params {
		want := 1.0
		if p.Init == Kaiming {
			want = 2 / float64(p.FanIn)
		}
		if p.LRScale != want {
			t.Errorf("%s: LRScale %v, want %v", p.Name, p.LRScale, want)
		}
	}
}
