package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/collegium/collegium/pkg/device"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Plan is a compiled graph bound to a device: run it, then read the kept
// nodes' values.
type Plan struct {
	dev   device.Device
	nodes map[*G.Node]*slot
	steps []step
	owned []device.Buffer // buffers this plan allocated and frees on Close
	// pooled is the number of distinct buffers shared by computed nodes.
	pooled int
}

// slot is where one node's value lives.
type slot struct {
	node *G.Node
	buf  device.Buffer
	leaf bool
	kept bool // a computed node whose buffer is never reused
	// uses lists the (step, input position) pairs that read this slot, so
	// that Bind can redirect them.
	uses [][2]int
}

// step runs one computed node.
type step struct {
	node *G.Node
	run  func(k device.Kernels, in []device.Buffer, out device.Buffer) error
	in   []device.Buffer
	out  device.Buffer
}

// Compile builds a plan for g on dev. Leaves and constants that hold a
// value in g are uploaded; keep lists the computed nodes whose values the
// caller reads after Run (their buffers are never reused). When keep is not
// empty, computed nodes that no kept node depends on are left out (after
// Grad, e.g. the gradient of the input images); with no keep, every node
// runs.
func Compile(g *G.ExprGraph, dev device.Device, keep ...*G.Node) (*Plan, error) {
	if g == nil || dev == nil {
		return nil, errors.New("engine: compile: nil graph or device")
	}
	sorted, err := G.Sort(g)
	if err != nil {
		return nil, fmt.Errorf("engine: sort graph: %w", err)
	}
	order := make([]*G.Node, len(sorted))
	for i, n := range sorted {
		order[len(sorted)-1-i] = n
	}
	p := &Plan{dev: dev, nodes: make(map[*G.Node]*slot, len(order))}
	kept := make(map[*G.Node]bool, len(keep))
	for _, n := range keep {
		if n == nil || n.Graph() != g {
			return nil, fmt.Errorf("engine: kept node %v is not in the graph", n)
		}
		kept[n] = true
	}
	if err := p.build(g, order, kept); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// build creates the slots and steps in topological order.
func (p *Plan) build(g *G.ExprGraph, order []*G.Node, kept map[*G.Node]bool) error {
	lastUse := make(map[*G.Node]int)
	children := make(map[*G.Node][]*G.Node, len(order))
	for _, n := range order {
		for it := g.From(n.ID()); it.Next(); {
			children[n] = append(children[n], it.Node().(*G.Node))
		}
	}
	needed := neededBy(order, children, kept)
	stepOf := make(map[*G.Node]int)
	for _, n := range order {
		if isLeaf(n) || !needed[n] {
			continue
		}
		stepOf[n] = len(stepOf)
		for _, c := range children[n] {
			lastUse[c] = stepOf[n]
		}
	}
	pool := newPool(p.dev)
	for _, n := range order {
		if isLeaf(n) {
			if err := p.addLeaf(n); err != nil {
				return err
			}
			continue
		}
		if !needed[n] {
			continue
		}
		run, err := kernelFor(n, children[n], p.dev.Name())
		if err != nil {
			return err
		}
		si := len(p.steps)
		st := step{node: n, run: run, in: make([]device.Buffer, len(children[n]))}
		for j, c := range children[n] {
			s, ok := p.nodes[c]
			if !ok {
				return fmt.Errorf("engine: input %v of %v has no value before it is used", c, n)
			}
			st.in[j] = s.buf
			s.uses = append(s.uses, [2]int{si, j})
		}
		out, err := pool.get(n.Dtype(), size(n))
		if err != nil {
			return fmt.Errorf("engine: allocate %v on %s: %w", n, p.dev.Name(), err)
		}
		st.out = out
		p.steps = append(p.steps, st)
		p.nodes[n] = &slot{node: n, buf: out, kept: kept[n]}
		if !kept[n] && !hasUse(lastUse, n) {
			pool.put(out)
		}
		for _, c := range children[n] {
			if lastUse[c] == si && !isLeaf(c) && !kept[c] {
				pool.put(p.nodes[c].buf)
				lastUse[c] = -1
			}
		}
	}
	p.owned = append(p.owned, pool.all...)
	p.pooled = len(pool.all)
	return nil
}

// neededBy marks the nodes that the kept ones depend on (themselves
// included), or every node when none is kept; order is topological, inputs
// first.
func neededBy(order []*G.Node, children map[*G.Node][]*G.Node, kept map[*G.Node]bool) map[*G.Node]bool {
	needed := make(map[*G.Node]bool, len(order))
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if len(kept) > 0 && !kept[n] && !needed[n] {
			continue
		}
		needed[n] = true
		for _, c := range children[n] {
			needed[c] = true
		}
	}
	return needed
}

func hasUse(lastUse map[*G.Node]int, n *G.Node) bool {
	_, ok := lastUse[n]
	return ok
}

// addLeaf gives an input or constant node a persistent buffer, uploading
// the value it holds, if any.
func (p *Plan) addLeaf(n *G.Node) error {
	buf, err := p.dev.Alloc(n.Dtype(), size(n))
	if err != nil {
		return fmt.Errorf("engine: allocate %v on %s: %w", n, p.dev.Name(), err)
	}
	p.owned = append(p.owned, buf)
	p.nodes[n] = &slot{node: n, buf: buf, leaf: true}
	if v := n.Value(); v != nil {
		if err := p.dev.Upload(buf, hostData(v)); err != nil {
			return fmt.Errorf("engine: upload %v: %w", n, err)
		}
	}
	return nil
}

// isLeaf reports whether n is an input or a constant (no computation).
func isLeaf(n *G.Node) bool { return n.Op() == nil || n.Op().Arity() == 0 }

// size is the number of elements of n's value (1 for scalars).
func size(n *G.Node) int {
	if n.IsScalar() {
		return 1
	}
	return n.Shape().TotalSize()
}

// hostData returns the backing slice of a gorgonia value.
func hostData(v G.Value) any {
	if s, ok := v.(G.Scalar); ok {
		switch x := s.Data().(type) {
		case float32:
			return []float32{x}
		case float64:
			return []float64{x}
		}
	}
	return v.Data()
}

// kernelFor returns how to run n on a device.
func kernelFor(n *G.Node, in []*G.Node, dev string) (func(device.Kernels, []device.Buffer, device.Buffer) error, error) {
	op := n.Op()
	if l, ok := op.(device.Launcher); ok {
		return l.Launch, nil
	}
	if strings.HasPrefix(op.String(), "+ ") && len(in) == 2 {
		if !sameShape(in[0], in[1]) || !sameShape(in[0], n) {
			return nil, fmt.Errorf("engine: %w for op %q with shapes %v + %v on device %s (only equal shapes are supported)",
				device.ErrNoKernel, op, in[0].Shape(), in[1].Shape(), dev)
		}
		return func(k device.Kernels, b []device.Buffer, out device.Buffer) error { return k.Add(b[0], b[1], out) }, nil
	}
	return nil, fmt.Errorf("engine: node %v: %w", n, device.NoKernel(op.String(), dev))
}

func sameShape(a, b *G.Node) bool {
	if a.IsScalar() || b.IsScalar() {
		return a.IsScalar() && b.IsScalar()
	}
	return a.Shape().Eq(b.Shape())
}

// Run enqueues every step on the device and waits for them to finish.
func (p *Plan) Run() error {
	if err := p.RunAsync(); err != nil {
		return err
	}
	if err := p.dev.Sync(); err != nil {
		return fmt.Errorf("engine: sync %s: %w", p.dev.Name(), err)
	}
	return nil
}

// RunAsync enqueues every step without waiting: the values are ready after
// Get or the device's Sync.
func (p *Plan) RunAsync() error {
	for i := range p.steps {
		s := &p.steps[i]
		if err := s.run(p.dev, s.in, s.out); err != nil {
			return fmt.Errorf("engine: run %v: %w", s.node, err)
		}
	}
	return nil
}

// Set uploads host ([]float32 or []float64) into the leaf n.
func (p *Plan) Set(n *G.Node, host any) error {
	s, err := p.slot(n)
	if err != nil {
		return err
	}
	if !s.leaf {
		return fmt.Errorf("engine: set %v: not an input", n)
	}
	if err := p.dev.Upload(s.buf, host); err != nil {
		return fmt.Errorf("engine: set %v: %w", n, err)
	}
	return nil
}

// Get downloads n's value into host ([]float32 or []float64). n must be a
// leaf or a kept node.
func (p *Plan) Get(n *G.Node, host any) error {
	b, err := p.Buffer(n)
	if err != nil {
		return err
	}
	if err := p.dev.Download(host, b); err != nil {
		return fmt.Errorf("engine: get %v: %w", n, err)
	}
	return nil
}

// Buffer returns the device buffer holding n's value. Only leaves and kept
// nodes have one: other computed nodes share buffers that later steps reuse.
func (p *Plan) Buffer(n *G.Node) (device.Buffer, error) {
	s, err := p.slot(n)
	if err != nil {
		return nil, err
	}
	if !s.leaf && !s.kept {
		return nil, fmt.Errorf("engine: node %v was not kept at Compile: its buffer is reused", n)
	}
	return s.buf, nil
}

// Bind makes the leaf n use buf (of the same dtype and length), e.g. the
// parameters of another plan on the same device.
func (p *Plan) Bind(n *G.Node, buf device.Buffer) error {
	s, err := p.slot(n)
	if err != nil {
		return err
	}
	if !s.leaf {
		return fmt.Errorf("engine: bind %v: not an input", n)
	}
	if buf.Dtype() != s.buf.Dtype() || buf.Len() != s.buf.Len() {
		return fmt.Errorf("engine: bind %v: buffer %v×%d does not match %v×%d", n, buf.Dtype(), buf.Len(), s.buf.Dtype(), s.buf.Len())
	}
	for _, u := range s.uses {
		p.steps[u[0]].in[u[1]] = buf
	}
	s.buf = buf
	return nil
}

// Device returns the device the plan runs on.
func (p *Plan) Device() device.Device { return p.dev }

// Steps is the number of computed nodes; Buffers is the number of pooled
// buffers they share (at most Steps).
func (p *Plan) Steps() int { return len(p.steps) }

// Buffers returns how many distinct buffers the computed nodes share.
func (p *Plan) Buffers() int { return p.pooled }

func (p *Plan) slot(n *G.Node) (*slot, error) {
	s, ok := p.nodes[n]
	if !ok {
		return nil, fmt.Errorf("engine: node %v is not in the plan", n)
	}
	return s, nil
}

// Close frees every buffer the plan allocated (not those given to Bind).
func (p *Plan) Close() error {
	var first error
	for _, b := range p.owned {
		if err := p.dev.Free(b); err != nil && first == nil {
			first = fmt.Errorf("engine: free: %w", err)
		}
	}
	p.owned = nil
	return first
}

// pool hands out buffers by (dtype, length) and takes them back for reuse.
type pool struct {
	dev  device.Device
	free map[poolKey][]device.Buffer
	all  []device.Buffer
}

type poolKey struct {
	dt tensor.Dtype
	n  int
}

func newPool(dev device.Device) *pool {
	return &pool{dev: dev, free: make(map[poolKey][]device.Buffer)}
}

func (q *pool) get(dt tensor.Dtype, n int) (device.Buffer, error) {
	k := poolKey{dt, n}
	if l := q.free[k]; len(l) > 0 {
		b := l[len(l)-1]
		q.free[k] = l[:len(l)-1]
		return b, nil
	}
	b, err := q.dev.Alloc(dt, n)
	if err != nil {
		return nil, err
	}
	q.all = append(q.all, b)
	return b, nil
}

func (q *pool) put(b device.Buffer) {
	k := poolKey{b.Dtype(), b.Len()}
	q.free[k] = append(q.free[k], b)
}
