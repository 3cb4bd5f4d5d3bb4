// Package cpu is Collegium's CPU device: host buffers and Go kernels that run
// in parallel on all cores and allocate nothing per call in steady state.
package cpu
