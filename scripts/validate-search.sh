#!/usr/bin/env bash
# Trains the MLP-CE MNIST baseline, the primal optimum and the dual optimum
# found by `collegium search` with the same step budget (same epochs and
# batch size) over several seeds, as one `collegium sweep`, and writes its
# `collegium report`: final test accuracy and loss per configuration, mean ±
# sd over seeds, beside the search's predicted V, as Markdown and CSV, and
# the configurations' mean curves overlaid in one plot.
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
#        CONTROL (a "CxWd" trained as a further, "control" configuration,
#        e.g. a CE of the baseline's size but higher V; default none),
#        CACHE (NTK cache directory), PARALLEL (1: points trained at once),
#        DOCS (1: also copy the plot to docs/img/validate-search.svg and the
#        report into docs/THEORY.md between its validate-search markers)
# Outputs: OUT_DIR/sweep.yaml (the sweep spec), OUT_DIR/search-*.jsonl,
# OUT_DIR/sweep/ (runs, report.md, report.csv, report-curves.svg).
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
PARALLEL=${PARALLEL:-1}
DOCS=${DOCS:-0}
BIN=${BIN:-$OUT/collegium}

mkdir -p "$OUT"
go build -o "$BIN" ./cmd/collegium
cache_flag=()
if [[ -n $CACHE ]]; then cache_flag=(--cache "$CACHE"); fi

for objective in primal dual; do
	"$BIN" search --family mlp --dataset mnist --depth "$DEPTH" --baseline "$BASELINE" \
		--objective "$objective" --samples "$SAMPLES" "${cache_flag[@]}" --format json --top 1 \
		--out "$OUT/search-$objective" >"$OUT/search-$objective.jsonl"
done

control=""
if [[ -n $CONTROL ]]; then
	control_n=${CONTROL#*x}
	control="configs:
  - name: control-$CONTROL
    set: {model.members: ${CONTROL%%x*}, model.width: ${control_n%d}}"
fi
cat >"$OUT/sweep.yaml" <<-SPEC
	# Written by scripts/validate-search.sh: the search's baseline and optima,
	# trained for the same number of steps over several seeds.
	set:
	  model: {family: mlp, depth: $DEPTH, aggregation: $AGGREGATION}
	  data.dataset: mnist
	  epochs: $EPOCHS
	search:
	  - {file: search-primal.jsonl, top: 1, baseline: true}
	  - {file: search-dual.jsonl, top: 1}
	$control
	grid:
	  seed: [${SEEDS// /, }]
SPEC

"$BIN" sweep "$OUT/sweep.yaml" --out "$OUT/sweep" --parallel "$PARALLEL"
"$BIN" report "$OUT/sweep"

if [[ $DOCS == 1 ]]; then
	mkdir -p docs/img
	cp "$OUT/sweep/report-curves.svg" docs/img/validate-search.svg
	awk -v table="$OUT/sweep/report.md" '
		/<!-- validate-search:begin -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
		/<!-- validate-search:end -->/ { skip = 0 }
		!skip' docs/THEORY.md >"$OUT/THEORY.md"
	mv "$OUT/THEORY.md" docs/THEORY.md
fi
