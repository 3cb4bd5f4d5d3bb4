// Package probe initialises the CUDA driver before gorgonia.org/cu does, so
// that a gpu-tagged binary on a machine without a usable GPU says so clearly.
// cu's own init calls os.Exit(1) with a terse message when cuInit fails; Go
// initialises packages in import-path order among those whose imports are
// ready, and this package (github.com/collegium/...) needs only packages cu
// also needs, so its init runs first (probe.go, build tag gpu).
//
// When cuInit fails, a test binary (name ending in ".test") prints that it
// skips its GPU tests and exits 0, unless COLLEGIUM_GPU_CHECK=1 (set by
// scripts/gpu-check.sh): then it fails, since a GPU check that runs nothing
// must not pass. Any other binary prints how to get a CPU-only build and
// exits 1. A missing libcuda.so.1 stops the process even earlier, in the
// dynamic loader ("error while loading shared libraries").
package probe
