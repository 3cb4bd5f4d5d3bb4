#!/usr/bin/env bash
# build-kernels.sh: regenerate kernels/ptx/*.ptx from kernels/*.cu with nvcc 11.8
# (-arch=compute_70: PTX that any driver >= 520 JITs for its GPU, H100/H200
# included; a source with a line "// nvcc-arch: compute_80" builds for that
# instead and loads only on such GPUs), then run ptxas -arch=sm_90 -v on each
# to print, per kernel, its block limit, registers, shared memory and spills.
#
# It fails when a kernel could not be launched with the block it may be given
# (registers per thread × threads > 65536, the registers of a multiprocessor)
# or when a kernel bounded to more than 256 threads spills: the block limit is
# the kernel's __launch_bounds__ (.maxntid in the PTX), or 256 for a kernel
# without them (pkg/device/cuda refuses larger launches of it).
#
# Usage: scripts/build-kernels.sh [OUTDIR]   (default kernels/ptx; CI writes to a
#        temporary dir and diffs it with the committed PTX)
#        KERNELS=DIR builds DIR/*.cu instead of kernels/*.cu.
# Needs the CUDA tree of scripts/fetch-cuda.sh (run first; it is idempotent),
# or NVCC/PTXAS pointing at other binaries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/kernels/ptx}"
src_dir="${KERNELS:-$root/kernels}"
cuda="$root/.cache/cuda"
nvcc="${NVCC:-$cuda/usr/lib/nvidia-cuda-toolkit/bin/nvcc}"
ptxas="${PTXAS:-$cuda/usr/bin/ptxas}"
if [ ! -x "$nvcc" ]; then
	echo "build-kernels: $nvcc not found: run scripts/fetch-cuda.sh first" >&2
	exit 1
fi
mkdir -p "$out"
bad=0
for src in "$src_dir"/*.cu; do
	name="$(basename "$src" .cu)"
	# A source that needs newer instructions names its virtual architecture
	# in a line "// nvcc-arch: compute_NN"; the rest build for compute_70.
	arch="$(sed -n 's|^// nvcc-arch: \(compute_[0-9]*\)$|\1|p' "$src")"
	"$nvcc" -ptx -arch="${arch:-compute_70}" -O3 -allow-unsupported-compiler -ccbin "${CC:-gcc}" \
		-I "$root/kernels" -o "$out/$name.ptx" "$src"
	echo "== $name.ptx (ptxas -arch=sm_90 -v)"
	# Each entry's block limit: the product of its .maxntid, else 256.
	awk '/\.visible[[:space:]]+\.entry/ {fn=$0; sub(/.*\.entry[[:space:]]+/, "", fn); sub(/\(.*/, "", fn); limit[fn]=256}
	     /^\.maxntid/ {line=$0; sub(/^\.maxntid[[:space:]]+/, "", line); n=split(line, d, /[[:space:]]*,[[:space:]]*/); t=1; for (i=1; i<=n; i++) t*=d[i]; limit[fn]=t}
	     END {for (f in limit) print f, limit[f]}' "$out/$name.ptx" >"$out/$name.limits"
	if ! "$ptxas" -arch=sm_90 -v -o /dev/null "$out/$name.ptx" >"$out/$name.ptxas" 2>&1; then
		echo "build-kernels: ptxas failed on $name.ptx"
		bad=1
	fi
	awk 'FNR == NR {limit[$1] = $2; next}
	     /Compiling entry function/ {fn=$0; sub(/.*entry function \047/, "", fn); sub(/\047.*/, "", fn); spilled=0}
	     /spill stores/ {spill=$0; sub(/^[[:space:]]+/, "", spill); split(spill, w, /[[:space:]]+/); spilled = w[5] + w[9]}
	     /Used [0-9]+ registers/ {
		match($0, /Used [0-9]+ registers.*/); used=substr($0, RSTART, RLENGTH); split(used, w, " "); regs=w[2]
		threads = (fn in limit) ? limit[fn] : 256
		printf "  %-24s <=%4d threads  %s; %s\n", fn, threads, used, spill
		if (regs * threads > 65536) { printf "build-kernels: %s: %d registers × %d threads exceed the 65536 registers of a multiprocessor\n", fn, regs, threads; bad=1 }
		if (threads > 256 && spilled > 0) { printf "build-kernels: %s: bounded to %d threads, it spills (%s)\n", fn, threads, spill; bad=1 }
	     }
	     /error/ {print; bad=1}
	     END {exit bad}' "$out/$name.limits" "$out/$name.ptxas" || bad=1
	rm -f "$out/$name.limits" "$out/$name.ptxas"
done
if [ "$bad" -ne 0 ]; then
	echo "build-kernels: register or spill check failed (see above)" >&2
	exit 1
fi
