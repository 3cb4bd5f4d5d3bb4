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
# whole run stays under 5 minutes on an H100/H200. It exits 1 if a step failed.
#
# Nothing may pass without running: COLLEGIUM_GPU_CHECK=1 makes a test binary
# that cannot open the GPU fail instead of skipping, a test step in which no
# test ran fails, and the summary counts, per step, the tests and subtests
# that ran, passed, failed and were skipped (from the binaries' -test.v
# output), and the benchmarks that reported. The first conformance pass runs
# with COLLEGIUM_CUDA_SYNC=1, which names a faulting kernel with its grid.
set -u
export COLLEGIUM_GPU_CHECK=1
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
skipped=()
steps=0
failed=0

# counts LOG: the go test -test.v outcomes in LOG as "tests subtests
# benchmarks unfinished", tests and subtests each "ran/passed/failed/skipped"
# (ran counts "=== RUN" lines; a test that started and never reported, in a
# crash or a timeout, is unfinished), benchmarks the result lines.
counts() {
	awk '
		function kind(name) { return index(name, "/") ? "sub" : "top" }
		/^=== RUN / { ran[kind($3)]++ }
		/^ *--- (PASS|FAIL|SKIP): / {
			name = $3; k = kind(name)
			if (name ~ /^Benchmark/) { if ($2 == "FAIL:") bfail++; next }
			n[k, $2]++
		}
		/^Benchmark[^ \t]+[ \t]+[0-9]+[ \t]+[0-9.]+ ns\/op/ { bench++ }
		END {
			for (i = 1; i <= 2; i++) {
				k = i == 1 ? "top" : "sub"
				done = n[k, "PASS:"] + n[k, "FAIL:"] + n[k, "SKIP:"]
				printf "%d/%d/%d/%d ", ran[k], n[k, "PASS:"], n[k, "FAIL:"], n[k, "SKIP:"]
				unfinished += ran[k] - done
			}
			printf "%d%s %d\n", bench, bfail ? "(" bfail " failed)" : "", unfinished
		}' "$1"
}

# skips LOG: each test that LOG reports skipped, with the last line it
# logged (the reason t.Skip gives is logged just before "--- SKIP").
skips() {
	awk '
		/^=== (RUN|CONT|NAME) / { cur = $3 }
		/^ +[^ ]+\.go:[0-9]+: / { said[cur] = $0 }
		/^ *--- SKIP: / {
			reason = ($3 in said) ? said[$3] : "(no reason logged)"
			sub(/^ +/, "", reason)
			print $3 ": " reason
		}' "$1"
}

# run_step NAME SECONDS KIND CMD...: run CMD with a timeout, its output also
# kept for counting, and record the outcome. KIND is "tests" for a go test
# binary that must run tests, "bench" for one that runs benchmarks, "-" for
# anything else.
run_step() {
	local name="$1" secs="$2" kind="$3"
	shift 3
	steps=$((steps + 1))
	local log="$work/step-$steps.log"
	echo
	echo "=== $name ($(date +%T), timeout ${secs}s)"
	local t0=$SECONDS rc
	{
		timeout --kill-after=10 "$secs" "$@" 2>&1
		echo $? >"$log.rc"
	} | tee "$log"
	rc="$(cat "$log.rc")"
	local status="ok" tests="-" subtests="-" benchmarks="-"
	[ "$rc" -ne 0 ] && status="FAILED (exit $rc)"
	[ "$rc" -eq 124 ] && status="TIMED OUT"
	if [ "$kind" != "-" ]; then
		local line unfinished
		read -r tests subtests benchmarks unfinished <<<"$(counts "$log")"
		if [ "$status" = ok ] && [ "$kind" = tests ] && [ "${tests%%/*}" -eq 0 ]; then
			status="FAILED (no test ran)"
		fi
		if [ "$status" = ok ] && [ "$kind" = bench ] && [ "${benchmarks%%(*}" -eq 0 ]; then
			status="FAILED (no benchmark ran)"
		fi
		[ "$unfinished" -gt 0 ] && status="$status, $unfinished unfinished"
		while IFS= read -r line; do
			skipped+=("$name: $line")
		done < <(skips "$log")
	fi
	[ "$status" = ok ] || failed=$((failed + 1))
	summary+=("$(printf '%-46s %-30s %5ds  %-13s %-13s %s' "$name" "$status" $((SECONDS - t0)) "$tests" "$subtests" "$benchmarks")")
	return 0
}

# step NAME SECONDS CMD...: a step that is not a go test binary.
step() {
	local name="$1" secs="$2"
	shift 2
	run_step "$name" "$secs" - "$@"
}

echo "gpu-check: $(date -u '+%F %T UTC'), bundle $bin, repository $root"
# The header: each GPU with its driver, the CUDA version the driver supports
# and its compute capability (older nvidia-smi lacks compute_cap; the
# conformance test also logs it).
cuda_version="$(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/\1/p' | head -1)"
gpus="$(nvidia-smi --query-gpu=index,name,driver_version,compute_cap,memory.total --format=csv,noheader 2>/dev/null ||
	nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^\([^,]*,[^,]*,[^,]*\),/\1, unknown,/')"
if [ -z "$gpus" ]; then
	echo "gpu-check: nvidia-smi lists no GPU"
fi
while IFS=, read -r index name driver cap memory; do
	[ -n "$index" ] || continue
	echo "gpu-check: GPU $index:$name, driver$driver (CUDA ${cuda_version:-unknown}), compute capability$cap,$memory"
done <<<"$gpus"
step "nvidia-smi" 30 nvidia-smi -L
step "driver" 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv

# The same suites as on CPU: the conformance suite of cuda.test, first with
# COLLEGIUM_CUDA_SYNC=1 (a wait after every launch names a faulting kernel),
# then as it runs in training; the engine's tests on the device named by
# COLLEGIUM_TEST_DEVICE (executor vs gorgonia's TapeMachine, float32).
if [ -x "$bin/cuda.test" ]; then
	run_step "test cuda.test, COLLEGIUM_CUDA_SYNC=1" 150 tests env COLLEGIUM_CUDA_SYNC=1 "$bin/cuda.test" -test.v -test.count=1
	run_step "test cuda.test" 120 tests "$bin/cuda.test" -test.v -test.count=1
else
	echo "gpu-check: no cuda.test in $bin (run scripts/build-gpu-bundle.sh)"
	summary+=("$(printf '%-46s %-30s' "test cuda.test" "FAILED (missing)")")
	failed=$((failed + 1))
fi
if [ -x "$bin/engine.test" ]; then
	run_step "test engine.test on cuda:0" 120 tests env COLLEGIUM_TEST_DEVICE=cuda:0 "$bin/engine.test" -test.v -test.count=1
else
	summary+=("$(printf '%-46s %-30s' "test engine.test" "FAILED (missing)")")
	failed=$((failed + 1))
fi

# One training step (forward, backward, SGD) of every family (the models of
# BenchmarkTrainStep and bench_torch_step.py, under the same names), Collegium
# on cuda:0 and PyTorch on the same card.
if [ -x "$bin/train.test" ]; then
	run_step "train step collegium (cuda:0)" 150 bench bash -c \
		"set -o pipefail; COLLEGIUM_TEST_DEVICE=cuda:0 '$bin/train.test' -test.run '^\$' -test.bench TrainStep -test.benchtime 20x -test.v | tee '$work/step.txt'"
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
	run_step "bench collegium (CUDA events)" 120 bench bash -c \
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
echo "=== summary (tests and subtests: ran/passed/failed/skipped; benchmarks: results reported)"
printf '%-46s %-30s %6s  %-13s %-13s %s\n' step status time tests subtests benchmarks
printf '%s\n' "${summary[@]}"
if [ ${#skipped[@]} -gt 0 ]; then
	echo
	echo "=== skipped on the device"
	printf '%s\n' "${skipped[@]}"
fi
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
echo
echo "gpu-check: $failed of $steps steps failed"
[ "$failed" -eq 0 ]
