#!/usr/bin/env bash
# Runs `collegium bench` and the PyTorch peer (scripts/bench_torch.py) on the
# same cases and prints, per case and pass, both timings and the ratio
# Collegium/PyTorch of GFLOP/s (> 1: Collegium is faster).
#
#   scripts/compare.sh                        # ce-cpu preset on the CPU, a text table
#   scripts/compare.sh --markdown             # the table for docs/BENCHMARKS.md
#   scripts/compare.sh --preset resnext50 --device cuda:0 -- --pass all --target 1s
#
# Options: --preset NAME (default ce-cpu; "" for none), --device cpu|cuda:N (default cpu),
# --markdown, --keep DIR (keep the JSON lines there). Arguments after -- go to
# both benchmarks (flags they share: --case, --pass, --target, --warmup,
# --min-reps, --max-reps, --samples, --tol, --seed).
# Environment: COLLEGIUM (a built collegium binary; default: go build),
# PYTHON (an interpreter with torch; default /usr/bin/python3 when present).
set -euo pipefail

preset=ce-cpu device=cpu markdown=0 keep=""
while [[ $# -gt 0 ]]; do
	case "$1" in
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
[[ "$device" == cuda:* || "$device" == cpu ]] || { echo "compare.sh: --device cpu or cuda:N" >&2; exit 2; }
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
"$python" - "$work/collegium.jsonl" "$work/torch.jsonl" "$markdown" "$command" <<'PY'
import json, os, platform, subprocess, sys, time

ours_path, peer_path, markdown, command = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
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
    try:
        model = next(l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
                     if l.startswith("Model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    print(f"Machine: {model}, {os.cpu_count()} cores; device {device}; "
          f"{time.strftime('%Y-%m-%d')}; command `{command}`.")
    if peaks:
        print(f"Collegium peaks on this device: {'; '.join(peaks)}.")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] * 2 + ["---:"] * 5) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
else:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths)))
    if peaks:
        print("peaks: " + "; ".join(peaks))
PY
exit $status
