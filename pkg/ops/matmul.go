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
	k := blockDiagMatMul{Members: ws[0], Batch: xs[0], In: ws[1], Out: ws[2]}
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
	k := blockDiagMatMul{Members: 1, Batch: xs[0], In: ws[0], Out: ws[1]}
	return apply(k, tensor.Shape{xs[0], ws[1]}, x, w)
}

// blockDiagMatMul is y = x·blockdiag(w[0], …, w[members-1]); inputs x, w.
type blockDiagMatMul device.BlockDiag

// blockDiagGradData is dx = dy·blockdiag(w)ᵀ; inputs dy, w.
type blockDiagGradData blockDiagMatMul

// blockDiagGradWeight is dw[k] = x_kᵀ·dy_k; inputs x, dy.
type blockDiagGradWeight blockDiagMatMul

// Each product is one strided batched GEMM over the members (device.BlockDiag).
func (p blockDiagMatMul) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Gemm(device.BlockDiag(p).Forward(in[0], in[1], out))
}

func (p blockDiagGradData) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Gemm(device.BlockDiag(p).GradData(in[0], in[1], out))
}

func (p blockDiagGradWeight) launch(k device.Kernels, in []device.Buffer, out device.Buffer) error {
	return k.Gemm(device.BlockDiag(p).GradWeight(in[0], in[1], out))
}

func (p blockDiagMatMul) diffWRT() []bool { return []bool{true, true} }

func (p blockDiagMatMul) grads(in G.Nodes, _, dy *G.Node) (G.Nodes, error) {
	x, w := in[0], in[1]
	return applyGradients(
		gradient{blockDiagGradData(p), x.Shape(), G.Nodes{dy, w}},
		gradient{blockDiagGradWeight(p), w.Shape(), G.Nodes{x, dy}})
}
