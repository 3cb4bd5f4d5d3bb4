#!/usr/bin/env bash
# gpu-check.sh: the one prepared run on a GPU machine (NVIDIA driver, python3
# with PyTorch; no Go, no network). Runs the prebuilt -tags gpu test binaries
# (the same conformance suite as on CPU), training steps of the MLP-CE and
# ResNeXt-29 against PyTorch's, the CE-shape benchmarks timed with CUDA events,
# the same shapes with PyTorch (cuDNN/cuBLAS, TF32 off), and prints tables:
# case, collegium GFLOP/s, torch GFLOP/s, ratio; model, step times, ratio.
#
# Build the bundle first on a development machine: scripts/build-gpu-bundle.sh
# Usage: scripts/gpu-check.sh [BINDIR]     (default bin/gpu)
# Everything printed is also written to $OUT/gpu-check.log when OUT is set.
# Each step has a timeout and a failing step does not stop the others; the
# whole run stays under 5 minutes on an H100/H200.
set -u
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd "${1:-$root/bin/gpu}" 2>/dev/null && pwd || echo "${1:-$root/bin/gpu}")"
work="$(mktemp -d)"

# The bundle carries gzipped binaries: unpack them beside a link to its data.
if ls "$bin"/*.gz >/dev/null 2>&1; then
	mkdir -p "$work/bin"
	for f in "$bin"/*.gz; do
		gunzip -c "$f" >"$work/bin/$(basename "$f" .gz)" && chmod +x "$work/bin/$(basename "$f" .gz)"
	done
	[ -d "$bin/data" ] && ln -s "$bin/data" "$work/bin/data"
	bin="$work/bin"
fi
if [ -n "${OUT:-}" ]; then
	mkdir -p "$OUT"
	exec > >(tee "$OUT/gpu-check.log") 2>&1
fi

cases=(
	blockdiag-B128-m16-n64 blockdiag-B128-m64-n16 dense-B128-1024
	gconv-N32-C370-H32-g37 gconv-N32-C192-H32-g3 conv-N32-C128-H32-g1
	gconv-N32-C120-H56-g12 gconv-N32-C128-H56-g32
)
summary=()

# step NAME SECONDS CMD...: run CMD with a timeout, record pass/fail.
step() {
	local name="$1" secs="$2"
	shift 2
	echo
	echo "=== $name ($(date +%T), timeout ${secs}s)"
	local t0=$SECONDS rc
	timeout --kill-after=10 "$secs" "$@"
	rc=$?
	local status="ok"
	[ "$rc" -ne 0 ] && status="FAILED (exit $rc)"
	[ "$rc" -eq 124 ] && status="TIMED OUT"
	summary+=("$(printf '%-34s %-18s %4ds' "$name" "$status" $((SECONDS - t0)))")
	return 0
}

echo "gpu-check: bundle $bin, repository $root"
step "nvidia-smi" 30 nvidia-smi -L
step "driver" 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv

tests=()
for t in "$bin"/cuda.test "$bin"/engine.test; do
	[ -x "$t" ] && tests+=("$t")
done
[ ${#tests[@]} -eq 0 ] && echo "gpu-check: no test binaries in $bin (run scripts/build-gpu-bundle.sh)"
# The same suites as on CPU: the engine's tests run on the device named by
# COLLEGIUM_TEST_DEVICE (executor vs gorgonia's TapeMachine, float32).
for t in "${tests[@]}"; do
	step "test $(basename "$t")" 120 env COLLEGIUM_TEST_DEVICE=cuda:0 "$t" -test.v -test.count=1
done

# One training step (forward, backward, SGD) of every family (the models of
# BenchmarkTrainStep and bench_torch_step.py, under the same names), Collegium
# on cuda:0 and PyTorch on the same card.
if [ -x "$bin/train.test" ]; then
	step "train step collegium (cuda:0)" 150 bash -c \
		"set -o pipefail; COLLEGIUM_TEST_DEVICE=cuda:0 '$bin/train.test' -test.run '^\$' -test.bench TrainStep -test.benchtime 20x | tee '$work/step.txt'"
fi
step "train step torch (scripts/bench_torch_step.py)" 120 bash -c \
	"set -o pipefail; python3 '$root/scripts/bench_torch_step.py' --device cuda --reps 20 | tee '$work/torch-step.jsonl'"

# A short MNIST training run on the GPU and on the CPU with the same seed:
# float32 rounding differs (other summation orders), so the trajectories drift
# apart slowly: losses must agree within 5 %, accuracies within 0.5 points.
if [ -x "$bin/collegium" ] && [ -d "$bin/data/mnist" ]; then
	for d in cuda:0 cpu; do
		step "train 2 epochs on $d" 120 "$bin/collegium" train --device "$d" --data-dir "$bin/data" \
			--epochs 2 --out "$work/train-${d%%:*}"
	done
	step "train: cuda matches cpu" 30 python3 - "$work/train-cuda/metrics.jsonl" "$work/train-cpu/metrics.jsonl" <<'PY'
import json, sys
gpu, cpu = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
assert len(gpu) == len(cpu) > 0, f"{len(gpu)} GPU epochs, {len(cpu)} CPU epochs"
bad = 0
for g, c in zip(gpu, cpu):
    for k in ("train_loss", "test_loss", "test_acc"):
        rel = abs(g[k] - c[k]) / max(abs(c[k]), 1e-12)
        ok = abs(g[k] - c[k]) < 0.005 if k == "test_acc" else rel < 0.05
        bad += not ok
        print(f"epoch {c['epoch']} {k:10} cuda {g[k]:.5f} cpu {c[k]:.5f} rel {rel:.2e} {'ok' if ok else 'DIFFERS'}")
    print(f"epoch {c['epoch']} images/s   cuda {g['images_per_s']:.0f} cpu {c['images_per_s']:.0f}")
sys.exit(1 if bad else 0)
PY
fi

if [ -x "$bin/cuda.test" ]; then
	step "bench collegium (CUDA events)" 120 bash -c \
		"set -o pipefail; '$bin/cuda.test' -test.run '^\$' -test.bench . -test.benchtime 1x -test.v | tee '$work/bench.txt'"
fi

torch_args=()
for c in "${cases[@]}"; do
	torch_args+=(--case "$c")
done
step "bench torch (scripts/bench_torch.py)" 150 bash -c \
	"set -o pipefail; python3 '$root/scripts/bench_torch.py' --device cuda --no-equivalents --pass fwd+bwd --target 0.2 --warmup 5 ${torch_args[*]} | tee '$work/torch.jsonl'"

if [ -x "$bin/collegium" ]; then
	step "collegium binary starts" 30 "$bin/collegium" --help
	step "collegium bench --device cuda:0 (verified)" 120 "$bin/collegium" bench --device cuda:0 --preset ce-cpu
	step "collegium bench --tf32 (GEMMs on tensor cores)" 60 "$bin/collegium" bench --device cuda:0 --tf32 \
		--case blockdiag:B=128,m=16,n=64 --case blockdiag:B=128,m=64,n=16 --case dense:B=128,n=1024 --equivalents=false
fi

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo
echo "=== GFLOP/s, fwd + bwd-data + bwd-filter (useful: 3·2·MACs / time)"
python3 - "$work/bench.txt" "$work/torch.jsonl" "${cases[@]}" <<'PY'
import json, re, sys
bench, torch, cases = sys.argv[1], sys.argv[2], sys.argv[3:]
ours, theirs = {}, {}
try:
    for line in open(bench):
        m = re.match(r"Benchmark\w+/(\S+)\s+\d+\s+.*?([\d.]+) GFLOP/s", line)
        if m:
            name = m.group(1)
            if name not in cases:
                name = re.sub(r"-\d+$", "", name)  # the GOMAXPROCS suffix
            ours[name] = float(m.group(2))
except OSError:
    pass
try:
    for line in open(torch):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("gflops"):
            theirs[r["case"]] = float(r["gflops"])
except OSError:
    pass
fmt = lambda v: f"{v:10.1f}" if v else f"{'-':>10}"
print(f"{'case':28} {'collegium':>10} {'torch':>10} {'ratio':>7}")
for c in cases:
    a, b = ours.get(c), theirs.get(c)
    ratio = f"{a / b:7.2f}" if a and b else f"{'-':>7}"
    print(f"{c:28} {fmt(a)} {fmt(b)} {ratio}")
PY
echo
echo "=== training step, ms (median; Collegium: mean of 20)"
python3 - "$work/step.txt" "$work/torch-step.jsonl" <<'PY'
import json, re, sys
ours, theirs = {}, {}
try:
    for line in open(sys.argv[1]):
        m = re.match(r"BenchmarkTrainStep/(\S+)/b(\d+)(?:-\d+)?\s+\d+\s+(\d+) ns/op", line)
        if m:
            ours[(m.group(1).replace("_", " "), int(m.group(2)))] = int(m.group(3)) / 1e6
except OSError:
    pass
try:
    for line in open(sys.argv[2]):
        r = json.loads(line)
        theirs[(r["model"], r["batch"])] = r["median_ms"]
except (OSError, ValueError):
    pass
print(f"{'model':24} {'batch':>5} {'collegium':>10} {'torch':>10} {'torch/collegium':>16}")
for k in sorted(set(ours) | set(theirs)):
    a, b = ours.get(k), theirs.get(k)
    fmt = lambda v: f"{v:10.2f}" if v else f"{'-':>10}"
    ratio = f"{b / a:16.2f}" if a and b else f"{'-':>16}"
    print(f"{k[0]:24} {k[1]:5} {fmt(a)} {fmt(b)} {ratio}")
PY
rm -rf "$work"
