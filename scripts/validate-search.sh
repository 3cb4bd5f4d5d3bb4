#!/usr/bin/env bash
# Trains the MLP-CE MNIST baseline, the primal optimum and the dual optimum
# found by `collegium search` with the same step budget (same epochs and
# batch size) over several seeds, and writes a Markdown table of final test
# accuracy and loss (per run and mean ± sd per configuration) and one plot
# overlaying the loss and accuracy curves of each configuration's first-seed
# run (all seeds in one plot are unreadable; the table has their spread).
#
# The default compares against a single 4-hidden-layer MLP 1×256d: at depth 2
# the dense first layer dominates the parameter count and the search keeps
# (nearly) the baseline, so there is nothing to validate; at depth 4 the
# block-diagonal hidden layers make splitting pay and the optima differ.
# Members are aggregated by 1/√m so that E[K] of every configuration is that
# of one member at init: with 1/m the CE's kernel is m times smaller and the
# same learning rate would train it m times slower.
#
# Usage: scripts/validate-search.sh [OUT_DIR]
#   env: EPOCHS (6), SEEDS ("1 2 3"), BASELINE (1x256d), DEPTH (4),
#        SAMPLES (400, NTK initialisations per width), AGGREGATION (sqrt),
#        CONTROL (a "CxWd" trained as a fourth, "control" configuration,
#        e.g. a CE of the baseline's size but higher V; default none),
#        CACHE (NTK cache directory), DOCS (1: also copy the plot to
#        docs/img/validate-search.svg and the table into docs/THEORY.md
#        between its validate-search markers)
set -euo pipefail

OUT=${1:-runs/validate-search}
EPOCHS=${EPOCHS:-6}
SEEDS=${SEEDS:-"1 2 3"}
BASELINE=${BASELINE:-1x256d}
DEPTH=${DEPTH:-4}
SAMPLES=${SAMPLES:-400}
AGGREGATION=${AGGREGATION:-sqrt}
CONTROL=${CONTROL:-}
CACHE=${CACHE:-}
DOCS=${DOCS:-0}
BIN=${BIN:-$OUT/collegium}

mkdir -p "$OUT"
go build -o "$BIN" ./cmd/collegium
cache_flag=()
if [[ -n $CACHE ]]; then cache_flag=(--cache "$CACHE"); fi

# first m and n of the best row of a JSON-lines search result
optimum() {
	"$BIN" search --family mlp --dataset mnist --depth "$DEPTH" --baseline "$BASELINE" \
		--objective "$1" --samples "$SAMPLES" "${cache_flag[@]}" --format json --top 1 --out "$OUT/search-$1" |
		sed -E 's/.*"m":([0-9]+),"n":([0-9]+).*/\1 \2/'
}

base_m=${BASELINE%%x*}
base_n=${BASELINE#*x}
base_n=${base_n%d}
read -r primal_m primal_n < <(optimum primal)
read -r dual_m dual_n < <(optimum dual)
configs=("baseline $base_m $base_n" "primal $primal_m $primal_n" "dual $dual_m $dual_n")
if [[ -n $CONTROL ]]; then
	control_n=${CONTROL#*x}
	configs+=("control ${CONTROL%%x*} ${control_n%d}")
fi

# field NAME JSON: the number NAME of a metrics.jsonl line
field() { sed -E "s/.*\"$1\":([-0-9.eE+]+).*/\1/" <<<"$2"; }

runs="$OUT/runs.tsv"
: >"$runs"
first_seed=${SEEDS%% *}
dirs=()
for cfg in "${configs[@]}"; do
	read -r role m n <<<"$cfg"
	for seed in $SEEDS; do
		dir="$OUT/$role-${m}x${n}d-seed$seed"
		"$BIN" train --family mlp --dataset mnist --members "$m" --width "$n" --depth "$DEPTH" \
			--aggregation "$AGGREGATION" --epochs "$EPOCHS" --seed "$seed" --out "$dir" >"$dir.log" 2>&1
		first=$(head -n 1 "$dir/metrics.jsonl")
		last=$(tail -n 1 "$dir/metrics.jsonl")
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$role" "${m}x${n}d" "$seed" "$(field step "$last")" \
			"$(field test_acc "$first")" "$(field test_acc "$last")" "$(field test_loss "$last")" \
			"$(field train_loss "$last")" "$(field wall_s "$last")" "$dir" >>"$runs"
		if [[ $seed == "$first_seed" ]]; then dirs+=("$dir"); fi
	done
done
"$BIN" plot "${dirs[@]}" --out "$OUT/curves.svg"

table="$OUT/results.md"
awk -F'\t' -v depth="$DEPTH" -v epochs="$EPOCHS" -v agg="$AGGREGATION" '
function sd(s, q, k) { return k > 1 ? sqrt((q - s * s / k) / (k - 1)) : 0 }
{
	key = $1 " " $2; if (!(key in n)) order[++keys] = key
	n[key]++; a1[key] += $5; acc[key] += $6; acc2[key] += $6 * $6; loss[key] += $7; loss2[key] += $7 * $7
	tr[key] += $8; wall[key] += $9; steps[key] = $4
	rows = rows sprintf("| %s | %s | %s | %.2f%% | %.2f%% | %.4f | %.4f | %.0f |\n", $2, $1, $3, 100 * $5, 100 * $6, $7, $8, $9)
}
END {
	printf "MLP depth %d on MNIST, %d epochs, 1/%s aggregation; mean ± sd over seeds.\n\n", depth, epochs, agg == "sqrt" ? "√m" : "m"
	print "| config | role | seeds | steps | test acc after epoch 1 | final test acc | final test loss | final train loss | wall s |"
	print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= keys; i++) {
		k = order[i]; c = n[k]; split(k, p, " ")
		printf "| %s | %s | %d | %d | %.2f%% | %.2f ± %.2f%% | %.4f ± %.4f | %.4f | %.0f |\n", p[2], p[1], c, steps[k],
			100 * a1[k] / c, 100 * acc[k] / c, 100 * sd(acc[k], acc2[k], c), loss[k] / c, sd(loss[k], loss2[k], c), tr[k] / c, wall[k] / c
	}
	print "\nPer run:\n"
	print "| config | role | seed | test acc after epoch 1 | final test acc | final test loss | final train loss | wall s |"
	print "|---|---|---:|---:|---:|---:|---:|---:|"
	printf "%s", rows
}' "$runs" >"$table"
cat "$table"

if [[ $DOCS == 1 ]]; then
	mkdir -p docs/img
	cp "$OUT/curves.svg" docs/img/validate-search.svg
	awk -v table="$table" '
		/<!-- validate-search:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
		/<!-- validate-search:end -->/ { skip = 0 }
		!skip' docs/THEORY.md >"$OUT/THEORY.md"
	mv "$OUT/THEORY.md" docs/THEORY.md
fi
