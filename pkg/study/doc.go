// Package study runs the training experiments of the reproduction
// (docs/REPRODUCTION.md) that pkg/ntk's measurements at initialisation
// cannot answer alone: how far the NTK moves during training as the
// number of members m (or a single network's width) grows, and whether the
// measured NTK variance V ranks trained networks of one parameter budget.
//
// Every network of a study is trained by the same Recipe (equal step
// budgets) through pkg/train; kernels are measured with pkg/ntk. Functions
// take plain values and return plain results, written as Markdown tables,
// JSON and figures by the callers.
package study
