// Package kernels holds Collegium's CUDA C kernels (*.cu, one file per
// concept) and the PTX generated from them by scripts/build-kernels.sh, which
// is committed and embedded here so that every build carries it. The package
// imports no CUDA code and builds everywhere; pkg/device/cuda loads the PTX.
package kernels

import "embed"

// PTX holds ptx/<module>.ptx for every kernels/<module>.cu.
//
//go:embed ptx/*.ptx
var PTX embed.FS

// Sources holds the CUDA C sources the PTX is built from. Packages that
// compile them for the CPU (pkg/device/cuda/internal/emu) import this one, so
// that Go's build cache, which does not follow #include, rebuilds them when a
// source changes.
//
//go:embed *.cu *.cuh
var Sources embed.FS
