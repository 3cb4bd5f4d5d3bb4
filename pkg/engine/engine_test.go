package engine_test

import (
	"errors"
	"math"
	"os"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/engine"
	"github.com/collegium/collegium/pkg/ops/opstest"
)

// network builds one of the opstest networks in a fresh graph.
type network func(g *G.ExprGraph, dt tensor.Dtype, seed uint64) (*opstest.Net, error)

var networks = map[string]network{
	"mlp-ce": func(g *G.ExprGraph, dt tensor.Dtype, seed uint64) (*opstest.Net, error) {
		return opstest.MLPCE(g, dt, 5, 4, 6, 3, seed)
	},
	"conv-ce": func(g *G.ExprGraph, dt tensor.Dtype, seed uint64) (*opstest.Net, error) {
		return opstest.ConvCE(g, dt, 3, 3, 2, 5, 4, seed)
	},
}

// tolerance is the relative error allowed between the executor and the
// TapeMachine: both compute in dt, possibly in another order.
func tolerance(dt tensor.Dtype) float64 {
	if dt == tensor.Float32 {
		return 1e-5
	}
	return 1e-11
}

// TestMatchesTapeMachine runs the same graph through gorgonia's TapeMachine
// and through the executor on the test device and compares the cost, every
// gradient and the BN running statistics the forward pass updates.
func TestMatchesTapeMachine(t *testing.T) {
	dev := testDevice(t)
	for name, build := range networks {
		for _, dt := range testDtypes(dev) {
			t.Run(name+"/"+dt.String(), func(t *testing.T) {
				gRef := G.NewGraph()
				ref, err := build(gRef, dt, 7)
				if err != nil {
					t.Fatal(err)
				}
				vm := G.NewTapeMachine(gRef)
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatalf("tape machine: %v", err)
				}

				g := G.NewGraph()
				net, err := build(g, dt, 7)
				if err != nil {
					t.Fatal(err)
				}
				plan, err := engine.Compile(g, dev, append(G.Nodes{net.Cost}, net.Grads...)...)
				if err != nil {
					t.Fatal(err)
				}
				defer plan.Close()
				if err := plan.Run(); err != nil {
					t.Fatal(err)
				}
				tol := tolerance(dt)
				compare(t, plan, "cost", net.Cost, ref.Cost.Value(), tol)
				for i := range net.Grads {
					compare(t, plan, "grad of "+net.Params[i].Name(), net.Grads[i], ref.Grads[i].Value(), tol)
				}
				for i := range net.State {
					compare(t, plan, "state "+net.State[i].Name(), net.State[i], ref.State[i].Value(), tol)
				}
				if plan.Buffers() >= plan.Steps() {
					t.Errorf("%d pooled buffers for %d steps: liveness reuse did not happen", plan.Buffers(), plan.Steps())
				}
			})
		}
	}
}

// TestRunIsRepeatable checks that buffer reuse does not leak values between
// runs: a second run over the same inputs gives the same cost and gradients.
func TestRunIsRepeatable(t *testing.T) {
	dev := testDevice(t)
	g := G.NewGraph()
	net, err := opstest.ConvCE(g, tensor.Float32, 2, 2, 3, 6, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := engine.Compile(g, dev, append(G.Nodes{net.Cost}, net.Grads...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	first := runAndRead(t, plan, net)
	second := runAndRead(t, plan, net)
	for i := range first {
		if relErr(first[i], second[i]) != 0 {
			t.Errorf("output %d differs between two runs: rel err %g", i, relErr(first[i], second[i]))
		}
	}
}

// TestBindSharesParameters binds a second plan's parameters to the first
// plan's buffers: changing them through the first plan changes the second
// plan's cost to what the first computes.
func TestBindSharesParameters(t *testing.T) {
	dev := testDevice(t)
	for _, dt := range testDtypes(dev) {
		t.Run(dt.String(), func(t *testing.T) { testBindSharesParameters(t, dev, dt) })
	}
}

func testBindSharesParameters(t *testing.T, dev device.Device, dt tensor.Dtype) {
	ga, gb := G.NewGraph(), G.NewGraph()
	a, err := opstest.MLPCE(ga, dt, 4, 2, 3, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := opstest.MLPCE(gb, dt, 4, 2, 3, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := engine.Compile(ga, dev, a.Cost)
	if err != nil {
		t.Fatal(err)
	}
	defer pa.Close()
	pb, err := engine.Compile(gb, dev, b.Cost)
	if err != nil {
		t.Fatal(err)
	}
	defer pb.Close()
	for _, leaf := range []struct{ from, to *G.Node }{{a.Input, b.Input}, {a.Labels, b.Labels}} {
		if err := pb.Set(leaf.to, leaf.from.Value().Data()); err != nil {
			t.Fatal(err)
		}
	}
	for i := range a.Params {
		buf, err := pa.Buffer(a.Params[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := pb.Bind(b.Params[i], buf); err != nil {
			t.Fatal(err)
		}
	}
	// New values for a's first weight, seen by b through the binding.
	w := a.Params[0]
	changed := make([]float64, w.Shape().TotalSize())
	for i := range changed {
		changed[i] = math.Sin(float64(i))
	}
	if err := pa.Set(w, hostData(dt, changed)); err != nil {
		t.Fatal(err)
	}
	if err := pa.Run(); err != nil {
		t.Fatal(err)
	}
	if err := pb.Run(); err != nil {
		t.Fatal(err)
	}
	if ca, cb := read(t, pa, a.Cost), read(t, pb, b.Cost); ca[0] != cb[0] {
		t.Errorf("bound plan cost %v, owner plan cost %v", cb[0], ca[0])
	}
	if err := pb.Bind(b.Params[1], mustBuffer(t, pa, a.Params[0])); err == nil {
		t.Error("binding a buffer of another length succeeded")
	}
}

// hostData is v as a []float64 or []float32 for dtype dt.
func hostData(dt tensor.Dtype, v []float64) any {
	if dt == tensor.Float64 {
		return v
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestRefusesUnsupportedOps: a gorgonia op with no Collegium kernel is an
// error at Compile naming the op and the device, not a failure at Run.
func TestRefusesUnsupportedOps(t *testing.T) {
	dev := testDevice(t)
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(2, 3), G.WithName("x"))
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 2), G.WithName("w"))
	if _, err := G.Mul(x, w); err != nil {
		t.Fatal(err)
	}
	_, err := engine.Compile(g, dev)
	if !errors.Is(err, device.ErrNoKernel) {
		t.Fatalf("Compile of a graph with gorgonia's Mul: got %v, want an error wrapping ErrNoKernel", err)
	}
	t.Log(err)
}

// TestAccessErrors covers the misuse of a plan: values of nodes that were
// not kept, nodes of another graph, Set on a computed node, wrong lengths.
func TestAccessErrors(t *testing.T) {
	dev := testDevice(t)
	g := G.NewGraph()
	net, err := opstest.MLPCE(g, tensor.Float64, 2, 2, 2, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := engine.Compile(g, dev, net.Cost)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	if err := plan.Get(net.Grads[0], make([]float64, net.Grads[0].Shape().TotalSize())); err == nil {
		t.Error("Get of a node that was not kept succeeded")
	}
	if err := plan.Set(net.Cost, []float64{1}); err == nil {
		t.Error("Set of a computed node succeeded")
	}
	if err := plan.Set(net.Input, []float64{1}); err == nil {
		t.Error("Set with a wrong length succeeded")
	}
	other := G.NewGraph()
	stranger := G.NewScalar(other, tensor.Float64, G.WithName("s"))
	if _, err := plan.Buffer(stranger); err == nil {
		t.Error("Buffer of a node of another graph succeeded")
	}
	if _, err := engine.Compile(g, dev, stranger); err == nil {
		t.Error("Compile keeping a node of another graph succeeded")
	}
}

func runAndRead(t *testing.T, plan *engine.Plan, net *opstest.Net) [][]float64 {
	t.Helper()
	if err := plan.Run(); err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	for _, n := range append(G.Nodes{net.Cost}, net.Grads...) {
		out = append(out, read(t, plan, n))
	}
	return out
}

// read downloads n's value as float64 whatever its dtype.
func read(t *testing.T, plan *engine.Plan, n *G.Node) []float64 {
	t.Helper()
	size := 1
	if !n.IsScalar() {
		size = n.Shape().TotalSize()
	}
	if n.Dtype() == tensor.Float32 {
		v := make([]float32, size)
		if err := plan.Get(n, v); err != nil {
			t.Fatal(err)
		}
		out := make([]float64, size)
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	v := make([]float64, size)
	if err := plan.Get(n, v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustBuffer(t *testing.T, plan *engine.Plan, n *G.Node) device.Buffer {
	t.Helper()
	b, err := plan.Buffer(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compare checks the plan's value of n against the TapeMachine's value want.
func compare(t *testing.T, plan *engine.Plan, what string, n *G.Node, want G.Value, tol float64) {
	t.Helper()
	got := read(t, plan, n)
	ref := opstest.Float64s(want)
	if len(got) != len(ref) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(ref))
	}
	for i, v := range got {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s[%d] = %v", what, i, v)
		}
	}
	if e := relErr(got, ref); e > tol {
		t.Errorf("%s: rel err %.3g > %.0g", what, e, tol)
	}
}

// relErr is ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero).
func relErr(a, b []float64) float64 {
	var num, den float64
	for i := range a {
		d := a[i] - b[i]
		num += d * d
		den += b[i] * b[i]
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// testDtypes lists the dtypes the device supports in these tests.
func testDtypes(dev device.Device) []tensor.Dtype {
	if dev.Name() == "cpu" {
		return []tensor.Dtype{tensor.Float64, tensor.Float32}
	}
	return []tensor.Dtype{tensor.Float32}
}

// deviceEnv names the device the suite runs on (default cpu), so that the
// same tests run on a GPU: COLLEGIUM_TEST_DEVICE=cuda:0.
const deviceEnv = "COLLEGIUM_TEST_DEVICE"

func deviceName() string {
	if s := os.Getenv(deviceEnv); s != "" {
		return s
	}
	return "cpu"
}

// TestPrunesUnneededNodes: with kept nodes, steps that nothing kept depends
// on do not run: the input gradient of the first convolution, which Grad
// creates, runs only in a plan that keeps nothing. (The other tests read
// kept values from pruned plans and compare them with gorgonia's.)
func TestPrunesUnneededNodes(t *testing.T) {
	dev := &dataGradCounter{Device: testDevice(t)}
	g := G.NewGraph()
	net, err := opstest.ConvCE(g, tensor.Float32, 2, 2, 3, 6, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		keep  G.Nodes
		calls int
	}{{nil, 2}, {append(G.Nodes{net.Cost}, net.Grads...), 1}} {
		plan, err := engine.Compile(g, dev, c.keep...)
		if err != nil {
			t.Fatal(err)
		}
		dev.calls = 0
		err = plan.Run()
		plan.Close()
		if err != nil {
			t.Fatal(err)
		}
		if dev.calls != c.calls {
			t.Errorf("keeping %d nodes: %d conv backward-data calls, want %d", len(c.keep), dev.calls, c.calls)
		}
	}
}

// dataGradCounter counts the convolution backward-data calls it passes on.
type dataGradCounter struct {
	device.Device
	calls int
}

func (d *dataGradCounter) Conv2dBackwardData(p device.ConvParams, dy, w, dx device.Buffer) error {
	d.calls++
	return d.Device.Conv2dBackwardData(p, dy, w, dx)
}
