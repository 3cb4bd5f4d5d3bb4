// Package ops holds Collegium's layer ops as gorgonia ops: the block-diagonal
// matmul and grouped convolution that make m networks one model, and the few
// other ops (bias, ReLU, batch norm, pooling, member mean, loss) that CE
// models need.
//
// Every op, forward and gradient, is one type that implements gorgonia's Op
// and SDOp (so G.Grad and G.NewTapeMachine work) and device.Launcher (so
// Collegium's executor runs it on any device). An op's numerics live in the
// device kernels; Do runs Launch on a package-level CPU device. Gradients
// are built from Collegium ops only, so a differentiated graph holds nothing
// of gorgonia's but "+" (gradient accumulation) and constants.
//
// Shapes and dtypes are checked when an op is applied: a bad shape is an
// error naming the shapes, never a panic.
package ops
