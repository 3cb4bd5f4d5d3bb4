package ops

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/collegium/collegium/pkg/device"
)

// BlockDiagMatMul multiplies x (B, m·din) by the block-diagonal weight w
// (m, din, dout), giving (B, m·dout): member k maps x[:, k·din:(k+1)·din]
// through w[k] into y[:, k·dout:(k+1)·dout]. It is the hidden layer of m
// networks trained as one.
func BlockDiagMatMul(x, w *G.Node) (*G.Node, error) {
	const name = "BlockDiagMatMul"
	if err := checkArgs(name, in("x", x, 2), in("w", w, 3)); err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if xs[1] != ws[0]*ws[1] {
		return nil, fmt.Errorf("ops: %s: x %v, w %v: width %d is not members %d × in %d", name, xs, ws, xs[1], ws[0], ws[1])
	}
	k := blockDiagMatMul{members: ws[0], batch: xs[0], in: ws[1], out: ws[2]}
	return apply(k, tensor.Shape{xs[0], ws[0] * ws[2]}, x, w)
}

// MatMul multiplies x (B, din) by w (din, dout): the one-member case of
// BlockDiagMatMul, run by the same kernels.
func MatMul(x, w *G.Node) (*G.Node, error) {
	const name = "MatMul"
	if err := checkArgs(name, in("x", x, 2), in("w", w, 2)); err != nil {
		return nil, err
	}
	xs, ws := x.Shape(), w.Shape()
	if xs[1] != ws[0] {
		return nil, fmt.Errorf("ops: %s: x %v, w %v: inner dimensions differ", name, xs, ws)
	}
	k := blockDiagMatMul{members: 1, batch: xs[0], in: ws[0], out: ws[1]}
	return apply(k, tensor.Shape{xs[0], ws[1]}, x, w)
}

// blockDiagMatMul is y = x·blockdiag(w[0], …, w[members-1]); inputs x, w.
type blockDiagMatMul struct{ members, batch, in, out int }

// blockDiagGradData is dx = dy·blockdiag(w)ᵀ; inputs dy, w.
type blockDiagGradData blockDiagMatMul

// blockDiagGradWeight is dw[k] = x_kᵀ·dy_k; inputs x, dy.
type blockDiagGradWeight blockDiagMatMul

// Each product is one strided batched GEMM over the members: member k's
// columns start at k·width in a row of width members·width.
func (p blockDiagMatMul) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	m := p.members
	return k.Gemm(device.GemmParams{
		M: p.batch, N: p.out, K: p.in, Alpha: 1, Batch: m,
		A: in[0], LDA: m * p.in, StrideA: p.in,
		B: in[1], LDB: p.out, StrideB: p.in * p.out,
		C: out, LDC: m * p.out, StrideC: p.out,
	})
}

func (p blockDiagGradData) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	m := p.members
	return k.Gemm(device.GemmParams{
		TransB: true,
		M:      p.batch, N: p.in, K: p.out, Alpha: 1, Batch: m,
		A: in[0], LDA: m * p.out, StrideA: p.out,
		B: in[1], LDB: p.out, StrideB: p.in * p.out,
		C: out, LDC: m * p.in, StrideC: p.in,
	})
}

func (p blockDiagGradWeight) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	m := p.members
	return k.Gemm(device.GemmParams{
		TransA: true,
		M:      p.in, N: p.out, K: p.batch, Alpha: 1, Batch: m,
		A: in[0], LDA: m * p.in, StrideA: p.in,
		B: in[1], LDB: m * p.out, StrideB: p.out,
		C: out, LDC: p.out, StrideC: p.in * p.out,
	})
}

func (p blockDiagMatMul) diffWRT() []bool { return []bool{true, true} }

func (p blockDiagMatMul) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	x, w := in[0], in[1]
	return applyGradients(
		gradient{blockDiagGradData(p), x.Shape(), G.Nodes{dy, w}},
		gradient{blockDiagGradWeight(p), w.Shape(), G.Nodes{x, dy}})
}
