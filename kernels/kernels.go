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
