package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
	"github.com/collegium/collegium/pkg/device/cpu"
)

// kernel is what sets one op apart from another: its parameters, which are
// the fields of the implementing struct (all of them printed and hashed),
// and how it runs on a device's kernels.
type kernel interface {
	launch(k device.Kernels, in []device.Buffer, out device.Buffer) error
}

// differentiable is a kernel whose op has a gradient: diffWRT says which
// inputs are differentiated, grads returns one gradient node per input (nil
// where not differentiated) given the op's output node and its gradient dy.
type differentiable interface {
	kernel
	diffWRT() []bool
	grads(in G.Nodes, out, dy *G.Node) (G.Nodes, error)
}

// op is every Collegium op, forward or gradient: a kernel plus the dtype and
// shapes of the node it was applied to, which are static for the graph.
type op struct {
	k    kernel
	dt   tensor.Dtype
	in   []tensor.Shape
	out  tensor.Shape
	desc string
}

// apply makes the op of kernel k over the inputs, with output shape out.
// The dtype is that of the first input (callers check that all agree).
func apply(k kernel, out tensor.Shape, ins ...*G.Node) (*G.Node, error) {
	o := &op{k: k, dt: ins[0].Dtype(), out: out.Clone(), in: make([]tensor.Shape, len(ins))}
	for i, n := range ins {
		o.in[i] = n.Shape()
	}
	o.desc = fmt.Sprintf("%s%+v", strings.TrimPrefix(fmt.Sprintf("%T", k), "ops."), k)
	n, err := G.ApplyOp(o, ins...)
	if err != nil {
		return nil, fmt.Errorf("ops: applying %v: %w", o, err)
	}
	return n, nil
}

// Arity is the number of inputs.
func (o *op) Arity() int { return len(o.in) }

// Type is a → … → a over tensors of the input and output ranks (rank 0 is
// the scalar type a itself).
func (o *op) Type() hm.Type {
	a := hm.TypeVariable('a')
	ts := make(hm.Types, 0, len(o.in)+1)
	for _, s := range o.in {
		ts = append(ts, tensorType(len(s), a))
	}
	ts = append(ts, tensorType(len(o.out), a))
	return hm.NewFnType(ts...)
}

func tensorType(dims int, a hm.TypeVariable) hm.Type {
	if dims == 0 {
		return a
	}
	return G.TensorType{Dims: dims, Of: a}
}

// InferShape checks the input shapes against those the op was built for and
// returns the output shape.
func (o *op) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != len(o.in) {
		return nil, fmt.Errorf("ops: %v: %d inputs, want %d", o, len(ds), len(o.in))
	}
	for i, d := range ds {
		if s, ok := d.(tensor.Shape); !ok || !slices.Equal(s, o.in[i]) {
			return nil, fmt.Errorf("ops: %v: input %d has shape %v, want %v", o, i, d, o.in[i])
		}
	}
	return o.out.Clone(), nil
}

// Do runs the op on the host through Launch, for gorgonia's machines.
func (o *op) Do(vals ...G.Value) (G.Value, error) {
	if len(vals) != len(o.in) {
		return nil, fmt.Errorf("ops: %v: %d inputs, want %d", o, len(vals), len(o.in))
	}
	in := make([]device.Buffer, len(vals))
	for i, v := range vals {
		b, err := wrapValue(v)
		if err != nil {
			return nil, fmt.Errorf("ops: %v: input %d: %w", o, i, err)
		}
		in[i] = b
	}
	if len(o.out) == 0 {
		return o.doScalar(in)
	}
	t := tensor.New(tensor.WithShape(o.out...), tensor.Of(o.dt))
	out, err := cpu.Wrap(t.Data())
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", o, err)
	}
	if err := o.Launch(hostKernels(), in, out); err != nil {
		return nil, err
	}
	return t, nil
}

// doScalar runs an op with a scalar output, which gorgonia holds as F32/F64.
func (o *op) doScalar(in []device.Buffer) (G.Value, error) {
	var s any = make([]float64, 1)
	if o.dt == tensor.Float32 {
		s = make([]float32, 1)
	}
	out, err := cpu.Wrap(s)
	if err != nil {
		return nil, fmt.Errorf("ops: %v: %w", o, err)
	}
	if err := o.Launch(hostKernels(), in, out); err != nil {
		return nil, err
	}
	if o.dt == tensor.Float32 {
		return G.NewF32(out.F32[0]), nil
	}
	return G.NewF64(out.F64[0]), nil
}

// wrapValue views a gorgonia value as a host buffer, without copying tensors.
func wrapValue(v G.Value) (*cpu.Buffer, error) {
	switch d := v.Data().(type) {
	case float32:
		return cpu.Wrap([]float32{d})
	case float64:
		return cpu.Wrap([]float64{d})
	case []float32:
		return cpu.Wrap(d[:v.Size()])
	case []float64:
		return cpu.Wrap(d[:v.Size()])
	}
	return nil, fmt.Errorf("cannot run on a value holding %T", v.Data())
}

// hostKernels is the CPU device that Do runs on, made on first use.
var hostKernels = sync.OnceValue(func() device.Kernels { return cpu.New(0) })

// Launch checks the buffers against the op's dtype and shapes, then runs the
// op on k. It implements device.Launcher.
func (o *op) Launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	if len(in) != len(o.in) {
		return fmt.Errorf("ops: %v: launched with %d inputs, want %d", o, len(in), len(o.in))
	}
	for i, b := range in {
		if err := o.checkBuffer(i, b, o.in[i]); err != nil {
			return err
		}
	}
	if err := o.checkBuffer(-1, out, o.out); err != nil {
		return err
	}
	if err := o.k.launch(k, in, out); err != nil {
		return fmt.Errorf("ops: %v: %w", o, err)
	}
	return nil
}

// checkBuffer checks input i's buffer (the output's when i < 0) against
// shape s; it allocates only for an error, as Launch runs every step.
func (o *op) checkBuffer(i int, b device.Buffer, s tensor.Shape) error {
	if b != nil && b.Dtype() == o.dt && b.Len() == size(s) {
		return nil
	}
	what := "output"
	if i >= 0 {
		what = fmt.Sprintf("input %d", i)
	}
	if b == nil {
		return fmt.Errorf("ops: %v: %s buffer is nil", o, what)
	}
	return fmt.Errorf("ops: %v: %s buffer holds %d %v, want %v %v", o, what, b.Len(), b.Dtype(), s, o.dt)
}

// size is the number of elements of shape s (1 for a scalar).
func size(s tensor.Shape) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// ReturnsPtr is false: every op writes a fresh output.
func (o *op) ReturnsPtr() bool { return false }

// CallsExtern is false: Do runs Go kernels.
func (o *op) CallsExtern() bool { return false }

// OverwritesInput is -1: no op writes its output over an input.
func (o *op) OverwritesInput() int { return -1 }

// WriteHash writes the kernel's type and every parameter, the dtype and the
// shapes, so that ops differing in anything never merge in a graph.
func (o *op) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "collegium.%s %v %v→%v", o.desc, o.dt, o.in, o.out)
}

// Hashcode is the FNV-1a hash of WriteHash.
func (o *op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// String names the kernel and its parameters.
func (o *op) String() string { return o.desc }

// DiffWRT says which of the n inputs the op is differentiable with respect
// to; gradient ops are differentiable with respect to none.
func (o *op) DiffWRT(n int) []bool {
	d := make([]bool, n)
	if dk, ok := o.k.(differentiable); ok {
		copy(d, dk.diffWRT())
	}
	return d
}

// SymDiff returns the gradient nodes of the inputs, built from Collegium ops.
func (o *op) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dk, ok := o.k.(differentiable)
	if !ok {
		return nil, fmt.Errorf("ops: %v is not differentiable", o)
	}
	gs, err := dk.grads(in, out, grad)
	if err != nil {
		return nil, fmt.Errorf("ops: gradient of %v: %w", o, err)
	}
	return gs, nil
}

// arg is an op's input as checked at graph construction: its name in
// messages, its node and the ranks it may have (any rank when none).
type arg struct {
	name  string
	n     *G.Node
	ranks []int
}

// in makes an arg.
func in(name string, n *G.Node, ranks ...int) arg { return arg{name, n, ranks} }

// checkArgs checks that the inputs of op exist, share float32 or float64 and
// have allowed ranks.
func checkArgs(op string, args ...arg) error {
	for _, a := range args {
		if a.n == nil {
			return fmt.Errorf("ops: %s: %s is nil", op, a.name)
		}
	}
	first := args[0]
	dt := first.n.Dtype()
	if dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("ops: %s: %s %v is %v, want float32 or float64", op, first.name, first.n.Shape(), dt)
	}
	for _, a := range args {
		if a.n.Dtype() != dt {
			return fmt.Errorf("ops: %s: dtypes differ: %s %v is %v, %s %v is %v", op, first.name, first.n.Shape(), dt, a.name, a.n.Shape(), a.n.Dtype())
		}
		if len(a.ranks) > 0 && !slices.Contains(a.ranks, a.n.Dims()) {
			return fmt.Errorf("ops: %s: %s has shape %v, want rank %v", op, a.name, a.n.Shape(), a.ranks)
		}
	}
	return nil
}

// gradient is one input's gradient node to build: kernel k applied to ins,
// with the input's shape. The zero gradient stands for an input that is not
// differentiated.
type gradient struct {
	k     kernel
	shape tensor.Shape
	ins   G.Nodes
}

// applyGradients builds the gradient nodes, nil for zero gradients.
func applyGradients(gs ...gradient) (G.Nodes, error) {
	out := make(G.Nodes, len(gs))
	for i, g := range gs {
		if g.k == nil {
			continue
		}
		n, err := apply(g.k, g.shape, g.ins...)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// channelLayout views shape (N, C, ...) as (Outer=N, C, Inner=rest).
func channelLayout(s tensor.Shape) device.ChannelLayout {
	return device.ChannelLayout{Outer: s[0], C: s[1], Inner: size(s[2:])}
}
