#!/usr/bin/env bash
# test-build-kernels.sh: check that scripts/build-kernels.sh refuses what it
# must (run by .ci/gpu-build after scripts/fetch-cuda.sh):
#   1. a kernel bounded to 1024 threads that spills (real nvcc and ptxas);
#   2. a 1024-thread kernel reported with 80 registers, 80 × 1024 > 65536 (a
#      stand-in ptxas: the real one keeps a bounded kernel within its bound);
# and passes a kernel without bounds (256 threads) that uses 113 registers,
# which any GPU can launch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# kernel NAME BOUNDS: a source whose kernel NAME keeps 96 floats of each
# thread live at once.
kernel() {
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/$1.cu" <<-CU
		extern "C" __global__ void $2 $1(const float* x, float* y) {
		  float v[96];
		#pragma unroll
		  for (int i = 0; i < 96; i++) v[i] = x[threadIdx.x * 96 + i];
		  float s = 0.0f;
		#pragma unroll
		  for (int i = 0; i < 96; i++) s += v[i] * v[i];
		#pragma unroll
		  for (int i = 0; i < 96; i++) y[threadIdx.x * 96 + i] = v[i] / s;
		}
	CU
}

# expect WANT NAME PATTERN [VAR=VALUE...]: build-kernels on $tmp/NAME exits
# WANT and prints a line matching PATTERN (grep basic regular expression).
expect() {
	local want="$1" name="$2" pattern="$3" rc=0
	shift 3
	env "$@" KERNELS="$tmp/$name" "$root/scripts/build-kernels.sh" "$tmp/$name/ptx" >"$tmp/$name.log" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pattern" "$tmp/$name.log"; then
		echo "test-build-kernels: $name: exit $rc (want $want) and output:"
		cat "$tmp/$name.log"
		exit 1
	fi
	echo "test-build-kernels: $name: exit $rc, as it must: $(grep -- "$pattern" "$tmp/$name.log" | head -1)"
}

kernel spills "__launch_bounds__(1024)"
expect 1 spills "spills: bounded to 1024 threads, it spills"

kernel unbounded ""
expect 0 unbounded "unbounded  *<= 256 threads  Used 1[0-9][0-9] registers"

kernel registers "__launch_bounds__(1024)"
cat >"$tmp/ptxas" <<'SH'
#!/bin/sh
cat >&2 <<'REPORT'
ptxas info    : Compiling entry function 'registers' for 'sm_90'
ptxas info    : Function properties for registers
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 80 registers, 264 bytes smem
REPORT
SH
chmod +x "$tmp/ptxas"
expect 1 registers "registers: 80 registers × 1024 threads exceed" PTXAS="$tmp/ptxas"
