#!/usr/bin/env bash
# rehearse-gpu-check.sh: run the whole of scripts/gpu-check.sh on this
# machine, without a GPU, on a bundle built for the CPU emulator of the CUDA
# kernels (build tag cudaemu; scripts/build-gpu-bundle.sh with TAGS=cudaemu)
# and a stand-in nvidia-smi that describes the emulator. It checks the script
# (every step starts, the counts and the summary), the conformance and engine
# suites on the emulated cuda:0, and nothing about a GPU: the emulator is
# thousands of times slower, so the timed steps run out of time, and the
# PyTorch steps fail without CUDA.
#
# Usage: scripts/rehearse-gpu-check.sh [OUTDIR]   (default bin/rehearsal; the
#        bundle goes to OUTDIR/bundle, the log to OUTDIR/gpu-check.log)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$root/bin/rehearsal}" && cd "${1:-$root/bin/rehearsal}" && pwd)"
TAGS=cudaemu "$root/scripts/build-gpu-bundle.sh" "$out/bundle" || exit 1

tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
# The emulated device claims an H100's compute capability 9.0 (driver_emu.go).
cat >"$tools/nvidia-smi" <<'SH'
#!/bin/sh
case "$*" in
*--query-gpu=index*) echo "0, CUDA emulator on the CPU (rehearsal: no GPU), none, 9.0, host memory" ;;
*--query-gpu*) printf 'name, driver_version, memory.total [MiB], compute_cap\nCUDA emulator on the CPU (rehearsal: no GPU), none, host memory, 9.0\n' ;;
-L) echo "GPU 0: CUDA emulator on the CPU (rehearsal: no GPU)" ;;
*) echo "| stand-in nvidia-smi of scripts/rehearse-gpu-check.sh    CUDA Version: none |" ;;
esac
SH
chmod +x "$tools/nvidia-smi"
# A python3 with PyTorch (Debian's, if the one on PATH lacks it), so that
# the PyTorch steps fail for the reason a GPU machine would not have: no CUDA.
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import torch' 2>/dev/null; then
		ln -s "$(command -v "$py")" "$tools/python3"
		break
	fi
done
PATH="$tools:$PATH" OUT="$out" "$root/scripts/gpu-check.sh" "$out/bundle"
