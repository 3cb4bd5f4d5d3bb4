#!/usr/bin/env bash
# build-kernels.sh: regenerate kernels/ptx/*.ptx from kernels/*.cu with nvcc 11.8
# (-arch=compute_70: PTX that any driver >= 520 JITs for its GPU, H100/H200
# included; a source with a line "// nvcc-arch: compute_80" builds for that
# instead and loads only on such GPUs), then run ptxas -arch=sm_90 -v on each
# to print registers, shared memory and spills.
#
# Usage: scripts/build-kernels.sh [OUTDIR]   (default kernels/ptx; CI writes to a
#        temporary dir and diffs it with the committed PTX)
# Needs the CUDA tree of scripts/fetch-cuda.sh (run first; it is idempotent),
# or NVCC/PTXAS pointing at other binaries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/kernels/ptx}"
cuda="$root/.cache/cuda"
nvcc="${NVCC:-$cuda/usr/lib/nvidia-cuda-toolkit/bin/nvcc}"
ptxas="${PTXAS:-$cuda/usr/bin/ptxas}"
if [ ! -x "$nvcc" ]; then
	echo "build-kernels: $nvcc not found: run scripts/fetch-cuda.sh first" >&2
	exit 1
fi
mkdir -p "$out"
for src in "$root"/kernels/*.cu; do
	name="$(basename "$src" .cu)"
	# A source that needs newer instructions names its virtual architecture
	# in a line "// nvcc-arch: compute_NN"; the rest build for compute_70.
	arch="$(sed -n 's|^// nvcc-arch: \(compute_[0-9]*\)$|\1|p' "$src")"
	"$nvcc" -ptx -arch="${arch:-compute_70}" -O3 -allow-unsupported-compiler -ccbin "${CC:-gcc}" \
		-I "$root/kernels" -o "$out/$name.ptx" "$src"
	echo "== $name.ptx (ptxas -arch=sm_90 -v)"
	"$ptxas" -arch=sm_90 -v -o /dev/null "$out/$name.ptx" 2>&1 |
		awk '/Compiling entry function/ {fn=$0; sub(/.*entry function \047/, "", fn); sub(/\047.*/, "", fn)}
		     /spill stores/ {spill=$0; sub(/^[[:space:]]+/, "", spill)}
		     /Used [0-9]+ registers/ {match($0, /Used [0-9]+ registers.*/); printf "  %-24s %s; %s\n", fn, substr($0, RSTART, RLENGTH), spill}
		     /error/ {print}'
done
