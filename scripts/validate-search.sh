#!/usr/bin/env bash
# Trains the MLP-CE MNIST baseline, the primal optimum and the dual optimum
# found by `collegium search` with the same step budget (same epochs and
# batch size) over several seeds, and writes a Markdown table of final test
# accuracy and loss plus links to each run's loss-vs-step curves.
#
# Usage: scripts/validate-search.sh [OUT_DIR]   (env: EPOCHS, SEEDS, BASELINE, DEPTH)
set -euo pipefail

OUT=${1:-runs/validate-search}
EPOCHS=${EPOCHS:-5}
SEEDS=${SEEDS:-"1 2 3"}
BASELINE=${BASELINE:-1x256d}
DEPTH=${DEPTH:-2}
BIN=${BIN:-$OUT/collegium}

mkdir -p "$OUT"
go build -o "$BIN" ./cmd/collegium

# first m and n of the best row of a JSON-lines search result
optimum() {
	"$BIN" search --family mlp --dataset mnist --depth "$DEPTH" --baseline "$BASELINE" \
		--objective "$1" --format json --top 1 --out "$OUT/search-$1" |
		sed -E 's/.*"m":([0-9]+),"n":([0-9]+).*/\1 \2/'
}

base_m=${BASELINE%%x*}
base_n=${BASELINE#*x}
base_n=${base_n%d}
read -r primal_m primal_n < <(optimum primal)
read -r dual_m dual_n < <(optimum dual)

table="$OUT/results.md"
{
	echo "| config | role | m | n | seed | final test acc | final test loss | final train loss | steps | curves |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$table"

for cfg in "baseline $base_m $base_n" "primal $primal_m $primal_n" "dual $dual_m $dual_n"; do
	read -r role m n <<<"$cfg"
	for seed in $SEEDS; do
		dir="$OUT/$role-${m}x${n}d-seed$seed"
		"$BIN" train --family mlp --dataset mnist --members "$m" --width "$n" --depth "$DEPTH" \
			--epochs "$EPOCHS" --seed "$seed" --out "$dir" >"$dir.log" 2>&1
		last=$(tail -n 1 "$dir/metrics.jsonl")
		field() { sed -E "s/.*\"$1\":([-0-9.eE+]+).*/\1/" <<<"$last"; }
		echo "| ${m}x${n}d | $role | $m | $n | $seed | $(field test_acc) | $(field test_loss) | $(field train_loss) | $(field step) | [curves]($dir/curves.svg) |" >>"$table"
	done
done
cat "$table"
