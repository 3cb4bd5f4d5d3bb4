#!/usr/bin/env bash
# Runs `collegium bench` and the PyTorch peer (scripts/bench_torch.py) on the
# same cases and prints, per case and pass, both timings and the ratio
# Collegium/PyTorch of GFLOP/s (> 1: Collegium is faster).
#
#   scripts/compare.sh                        # ce-cpu preset on the CPU, a text table
#   scripts/compare.sh --markdown             # the table for docs/BENCHMARKS.md
#   scripts/compare.sh --preset resnext50 --device cuda:0 -- --pass all --target 1s
#   scripts/compare.sh --steps [--rounds 3] [--models 'mlp-4x128-L2 convnet-4x16-L3'] [--threads 1] [--markdown]
#
# --steps times whole training steps instead (BenchmarkTrainStep in
# pkg/train against scripts/bench_torch_step.py), model by model, the two
# sides in turn (Collegium, PyTorch, Collegium, PyTorch ... --rounds pairs),
# so that each ratio PyTorch ms / Collegium ms (> 1: Collegium is faster)
# comes from neighbouring runs on a noisy machine. It checks that both sides
# count the same parameters, and prints per model the median and range of
# the pair ratios, each side's median step time, its GFLOP/s (the products'
# and convolutions' multiply-adds Collegium counts, 2 FLOPs each) and that
# as a fraction of the SGEMM 2048³ peak measured at the start (on as many
# threads), then the
# same ratio of the process CPU time per step. --threads N runs both sides
# on N threads (Collegium: GOMAXPROCS, so N workers; PyTorch:
# set_num_threads); with --threads 1 the CPU time of a step follows the
# work it does even while other processes load the machine.
#
# Options: --preset NAME (default ce-cpu; "" for none), --device cpu|cuda:N (default cpu),
# --markdown, --keep DIR (keep the JSON lines there). Arguments after -- go to
# both benchmarks (flags they share: --case, --pass, --target, --warmup,
# --min-reps, --max-reps, --samples, --tol, --seed).
# Environment: COLLEGIUM (a built collegium binary; default: go build),
# PYTHON (an interpreter with torch; default /usr/bin/python3 when present).
set -euo pipefail

preset=ce-cpu device=cpu markdown=0 keep="" steps=0 rounds=3 models="" threads=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--steps) steps=1; shift ;;
	--rounds) rounds=$2; shift 2 ;;
	--models) models=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--preset) preset=$2; shift 2 ;;
	--device) device=$2; shift 2 ;;
	--markdown) markdown=1; shift ;;
	--keep) keep=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "compare.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
work=$tmp
if [[ -n "$keep" ]]; then
	mkdir -p "$keep"
	work=$keep
fi

collegium=${COLLEGIUM:-}
if [[ -z "$collegium" ]]; then
	collegium=$tmp/collegium
	(cd "$root" && go build -o "$collegium" ./cmd/collegium)
fi
python=${PYTHON:-}
if [[ -z "$python" ]]; then
	python=python3
	[[ -x /usr/bin/python3 ]] && python=/usr/bin/python3
fi
# compare_steps runs the --steps comparison (see the header).
compare_steps() {
	[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --rounds must be a positive integer" >&2; exit 2; }
	[[ -z "$threads" || "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --threads must be a positive integer" >&2; exit 2; }
	local go_threads=() py_threads=() py_env=()
	if [[ -n "$threads" ]]; then
		go_threads=(-test.cpu "$threads")
		py_threads=(--threads "$threads")
		# set_num_threads governs PyTorch's own pool; BLAS and OpenMP pools
		# started by the libraries follow these.
		py_env=(OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads")
	fi
	local tdev=cpu
	[[ "$device" == cuda:* ]] && tdev=cuda
	local test_bin=$tmp/train.test
	(cd "$root" && go test -c -o "$test_bin" ./pkg/train)
	if [[ -z "$models" ]]; then
		models=$("$python" "$root/scripts/bench_torch_step.py" --list)
	fi
	echo "peak: collegium bench --peak --device $device" >&2
	if [[ -n "$threads" ]]; then
		GOMAXPROCS=$threads "$collegium" bench --peak --device "$device" --format json >"$work/peak.jsonl"
	else
		"$collegium" bench --peak --device "$device" --format json >"$work/peak.jsonl"
	fi
	: >"$work/steps.txt"
	for m in $models; do
		local reps=3
		case "$m" in
		mlp-*) reps=50 ;;
		convnet-4x16-*) reps=20 ;;
		convnet-*) reps=5 ;;
		esac
		for r in $(seq "$rounds"); do
			echo "$m: round $r/$rounds (Collegium, then PyTorch; $reps steps each)" >&2
			COLLEGIUM_TEST_DEVICE=$device "$test_bin" -test.run '^$' -test.bench "^BenchmarkTrainStep/$m/" \
				-test.benchtime "${reps}x" "${go_threads[@]}" | sed -n "s|^BenchmarkTrainStep/|collegium $r |p" >>"$work/steps.txt"
			env "${py_env[@]}" "$python" "$root/scripts/bench_torch_step.py" --device "$tdev" --model "$m" --reps "$reps" "${py_threads[@]}" |
				sed "s|^|torch $r |" >>"$work/steps.txt"
		done
	done
	local command="scripts/compare.sh --steps --rounds $rounds --device $device"
	[[ -n "$threads" ]] && command+=" --threads $threads"
	[[ -n "$models" ]] && command+=" --models '$models'"
	[[ $markdown == 1 ]] && command+=" --markdown"
	"$python" - "$work/steps.txt" "$work/peak.jsonl" "$markdown" "$command" "$root/scripts" <<'PY'
import json, os, re, statistics, sys, time

steps_path, peak_path, markdown, command = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
sys.path.insert(0, sys.argv[5])
from report_table import cpu_model, print_table

peak = next((r["gflops"] for r in map(json.loads, open(peak_path)) if r.get("op") == "sgemm" and r.get("verified")), None)
ours, theirs = {}, {}
for line in open(steps_path):
    side, rnd, rest = line.split(" ", 2)
    if side == "torch":
        r = json.loads(rest)
        theirs.setdefault((r["model"], r["batch"]), {})[int(rnd)] = r
        continue
    # "<model>/b<batch>-<procs>  <n>  <ns/op> ns/op  <v> median-ms  <v> images/s  <v> params  <v> step-GFLOP"
    name, *fields = rest.split()
    m = re.match(r"(.+)/b(\d+)(?:-\d+)?$", name)
    metrics = {unit: float(v) for v, unit in zip(fields[1::2], fields[2::2])}
    ours.setdefault((m.group(1), int(m.group(2))), {})[int(rnd)] = metrics
rows, failed = [], False
for (model, batch), rounds in ours.items():
    peer = theirs.get((model, batch), {})
    pairs = [(rounds[k], peer[k]) for k in sorted(rounds) if k in peer]
    if not pairs:
        print(f"compare.sh: {model}: no PyTorch result", file=sys.stderr)
        failed = True
        continue
    a, b = pairs[0]
    if int(a["params"]) != b["params"]:
        print(f"compare.sh: {model}: Collegium has {int(a['params']):,} parameters, PyTorch {b['params']:,}", file=sys.stderr)
        failed = True
        continue
    ratios = sorted(q["median_ms"] / p["median-ms"] for p, q in pairs)
    cpu_ratios = sorted(q["cpu_ms"] / p["cpu-ms/op"] for p, q in pairs if "cpu_ms" in q and p.get("cpu-ms/op"))
    ms_ours = statistics.median(p["median-ms"] for p, _ in pairs)
    ms_theirs = statistics.median(q["median_ms"] for _, q in pairs)
    gflop = a["step-GFLOP"]
    gf_ours, gf_theirs = gflop / ms_ours * 1e3, gflop / ms_theirs * 1e3
    frac = lambda g: f"{100 * g / peak:.0f} %" if peak else "-"
    rows.append([model, str(batch), f"{int(a['params']):,}", f"{gflop:.2f}", f"{ms_ours:.1f}", f"{gf_ours:.1f}", frac(gf_ours),
                 f"{ms_theirs:.1f}", f"{gf_theirs:.1f}", frac(gf_theirs),
                 f"{statistics.median(ratios):.2f}", f"{ratios[0]:.2f}–{ratios[-1]:.2f}",
                 f"{statistics.median(p['cpu-ms/op'] for p, _ in pairs):.1f}" if cpu_ratios else "-",
                 f"{statistics.median(q['cpu_ms'] for _, q in pairs):.1f}" if cpu_ratios else "-",
                 f"{statistics.median(cpu_ratios):.2f} ({cpu_ratios[0]:.2f}–{cpu_ratios[-1]:.2f})" if cpu_ratios else "-"])
head = ["model", "batch", "params", "step GFLOP", "Collegium ms", "GFLOP/s", "% peak", "PyTorch ms", "GFLOP/s", "% peak",
        "Collegium/PyTorch", "pair range", "Collegium CPU ms", "PyTorch CPU ms", "CPU ratio (range)"]
if markdown:
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}; command `{command}`; "
          + (f"SGEMM 2048³ peak at the start: {peak:.1f} GFLOP/s." if peak else "SGEMM peak not measured."))
    print()
print_table(head, rows, markdown)
if peak and not markdown:
    print(f"SGEMM 2048³ peak: {peak:.1f} GFLOP/s")
sys.exit(1 if failed else 0)
PY
}

[[ "$device" == cuda:* || "$device" == cpu ]] || { echo "compare.sh: --device cpu or cuda:N" >&2; exit 2; }
if [[ $steps == 1 ]]; then
	compare_steps
	exit
fi
args=(--device "$device")
[[ -n "$preset" ]] && args+=(--preset "$preset")
args+=("$@")

status=0
echo "collegium bench ${args[*]}" >&2
"$collegium" bench --format json "${args[@]}" >"$work/collegium.jsonl" || status=$?
echo "bench_torch.py ${args[*]}" >&2
"$python" "$root/scripts/bench_torch.py" "${args[@]}" >"$work/torch.jsonl" || status=$?

command="scripts/compare.sh --preset '$preset' --device $device"
[[ $markdown == 1 ]] && command+=" --markdown"
[[ $# -gt 0 ]] && command+=" -- $*"
"$python" - "$work/collegium.jsonl" "$work/torch.jsonl" "$markdown" "$command" "$root/scripts" <<'PY'
import json, os, sys, time

ours_path, peer_path, markdown, command = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
sys.path.insert(0, sys.argv[5])
from report_table import cpu_model, print_table
read = lambda p: [json.loads(l) for l in open(p) if l.strip()]
ours, peer = read(ours_path), read(peer_path)
peer_by = {(r["case"], r["pass"]): r for r in peer}

def fmt(r, key, spec):
    return format(r[key], spec) if r and r.get("verified") and key in r else "-"

rows = []
for r in ours:
    if r["op"] in ("sgemm", "copy"):
        continue
    p = peer_by.get((r["case"], r["pass"]))
    ratio = "-"
    if r.get("verified") and p and p.get("verified"):
        ratio = f"{r['gflops'] / p['gflops']:.2f}"
    rows.append([r["case"], r["pass"], fmt(r, "median_ms", ".2f"), fmt(r, "gflops", ".1f"),
                 fmt(p, "median_ms", ".2f"), fmt(p, "gflops", ".1f"), ratio])
head = ["case", "pass", "Collegium ms", "Collegium GFLOP/s", "PyTorch ms", "PyTorch GFLOP/s", "Collegium/PyTorch"]
peaks = [f"{r['case']}: " + (f"{r['gflops']:.1f} GFLOP/s" if r["op"] == "sgemm" else f"{r['gbps']:.1f} GB/s")
         for r in ours if r["op"] in ("sgemm", "copy") and r.get("verified")]
device = ours[0]["device"] if ours else "?"
if markdown:
    print(f"Machine: {cpu_model()}, {os.cpu_count()} cores; device {device}; "
          f"{time.strftime('%Y-%m-%d')}; command `{command}`.")
    if peaks:
        print(f"Collegium peaks on this device: {'; '.join(peaks)}.")
    print()
print_table(head, rows, markdown, text_columns=2)
if peaks and not markdown:
    print("peaks: " + "; ".join(peaks))
PY
exit $status
