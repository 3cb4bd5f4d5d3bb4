#!/usr/bin/env bash
# Runs the reproduction study of "Collegial Ensembles" (Littwin et al.,
# NeurIPS 2020) and writes docs/REPRODUCTION.md: each claim of the paper,
# the command that tests it, our numbers with their errors, a figure and a
# verdict. Every number in that file comes from this script.
#
# Usage:
#   scripts/reproduce.sh            reduced budget on the CPU (writes
#                                   docs/REPRODUCTION.md, its figures, and
#                                   the sections of docs/THEORY.md between
#                                   "<!-- reproduce:STEP -->" markers)
#   scripts/reproduce.sh --quick    a few minutes, smoke-test sizes (writes
#                                   OUT/REPRODUCTION.md only; CI runs it)
#   scripts/reproduce.sh --full --device cuda:0 --data-dir D
#                                   the ResNeXt-29 CIFAR study of configs/
#                                   (baselines against the search's optima,
#                                   3 seeds each) on a GPU; CIFAR-10/100 in D
#   options: --out DIR (default runs/reproduce), --only REGEX (run only the
#            steps whose name matches; the document is assembled from every
#            step's latest output in OUT), --resume (skip the steps whose
#            section OUT/sections/STEP.md an earlier run finished), --dry-run
#            (print the commands of --full without running them)
#   env: CACHE (NTK cache, default OUT/ntk-cache), SEEDS (--full, "1 2 3")
#
# The NTK measurements are cached by seed stream: a rerun reuses every draw
# and a stricter rule continues where a looser one stopped.
#
# The whole script is one { … } block, so bash reads all of it before it
# runs a step: editing this file during a long run does not change the run.
{
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=reduced
OUT=runs/reproduce
DEVICE=cpu
DATA_DIR=
DRY=0
ONLY=.
RESUME=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--device) DEVICE=$2; shift ;;
	--data-dir) DATA_DIR=$2; shift ;;
	--out) OUT=$2; shift ;;
	--dry-run) DRY=1 ;;
	--only) ONLY=$2; shift ;;
	--resume) RESUME=1 ;;
	*) echo "reproduce.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
	esac
	shift
done
if [[ $MODE == full && -z $DATA_DIR && $DRY == 0 ]]; then
	echo "reproduce.sh: --full needs --data-dir D with cifar10/ and cifar100/ in it" >&2
	exit 2
fi

mkdir -p "$OUT/sections" "$OUT/img"
BIN=$OUT/collegium
# Built aside and renamed, so that a step still running from an earlier
# invocation keeps its binary.
go build -o "$BIN.new" ./cmd/collegium
mv "$BIN.new" "$BIN"
CACHE=${CACHE:-$OUT/ntk-cache}
C=("$BIN")

# --full: train the ResNeXt configurations of configs/ from several seeds
# and tabulate final test accuracy. Nothing here runs on the CPU budget.
if [[ $MODE == full ]]; then
	SEEDS=${SEEDS:-"1 2 3"}
	table=$OUT/cifar.tsv
	: >"$table"
	for cfg in configs/study-resnext29-*.yaml; do
		for seed in $SEEDS; do
			name=$(basename "$cfg" .yaml)-seed$seed
			cmd=("$BIN" train --config "$cfg" --device "$DEVICE" --data-dir "$DATA_DIR" --seed "$seed" --out "$OUT/cifar/$name")
			if [[ $DRY == 1 ]]; then echo "${cmd[*]}"; continue; fi
			"${cmd[@]}" >"$OUT/cifar-$name.log" 2>&1
			last=$(tail -n 1 "$OUT/cifar/$name/metrics.jsonl")
			printf '%s\t%s\t%s\n' "$(basename "$cfg" .yaml)" "$seed" "$(jq -r .test_acc <<<"$last")" >>"$table"
		done
	done
	if [[ $DRY == 0 ]]; then
		awk -F'\t' '{ n[$1]++; s[$1] += $3; q[$1] += $3 * $3 } END {
			print "| configuration | seeds | final test accuracy (mean ± sd) |"; print "|---|---:|---:|"
			for (k in n) { m = s[k] / n[k]; sd = n[k] > 1 ? sqrt((q[k] - n[k] * m * m) / (n[k] - 1)) : 0
				printf "| %s | %d | %.2f ± %.2f%% |\n", k, n[k], 100 * m, 100 * sd } }' "$table" | tee "$OUT/CIFAR.md"
	fi
	exit 0
fi

# Sizes of each mode. The reduced budget keeps every experiment the issue
# asks for; --quick shrinks them to a smoke test.
if [[ $MODE == quick ]]; then
	COVERAGE_REPS=20
	MLP_RULE=(--min-samples 16 --max-samples 64 --rel-se 0.3)
	X29_RULE=(--measure-size 8 --samples 6)
	X50=0
	GRID_X29=(--members 1,2,4 --widths 2,4 --measure-size 8 --samples 6)
	DYN=(--datasets mnist --seeds 1 --epochs 1 --train-images 2560 --test-images 500 --members 1,4 --probe 8)
	DYN_CNN=0
	ACC=(--datasets mnist --seeds 1 --epochs 1 --train-images 2560 --test-images 500 --members 1,4,16 --samples 16)
	ACC_CNN=()
	CHOICES=0
	FRONTIER_X29=(--measure-size 8 --samples 6 --members 8,64)
	FRONTIER_X29_BASES="3x64d"
	FRONTIER_PLATEAU=()
	FRONTIER_X50=()
	DUAL_X29=(--measure-size 8 --samples 6 --members 8,16 --budgets 0.2,0.4)
	DUAL_X29_BASES="3x64d"
	DUAL_X50=()
else
	COVERAGE_REPS=200
	MLP_RULE=()
	X29_RULE=()
	X50=1
	X50_RULE=()
	GRID_X29=(--members 1,2,4,8,16,32 --widths 2,4,8,16 --rel-se 0.15 --max-samples 256)
	GRID_X50=(--members 1,2,4,8,16,32 --widths 1,2,4,8 --rel-se 0.15 --max-samples 256)
	DYN=(--seeds 1,2,3 --epochs 2 --train-images 12800 --test-images 2000 --members 1,2,4,8,16 --probe 16)
	DYN_CNN=1
	ACC=(--seeds 1,2,3 --epochs 2 --train-images 12800 --test-images 2000)
	# The ConvNet at the MLP's budget (2 datasets, 3 seeds, 19 choices of m)
	# would take hours on 2 cores: it trains on MNIST only, from 2 seeds,
	# with 6 choices of m (the same 2 epochs over 12800 images).
	ACC_CNN=(--datasets mnist --seeds 1,2 --epochs 2 --train-images 12800 --test-images 2000 --members 1,2,4,8,16,32)
	CHOICES=1
	# Along the frontier m takes about two values per doubling up to n = 1;
	# 192 initialisations per configuration and seed (about 10 % relative SE).
	FRONTIER_X29=(--members 4,8,16,24,32,48,64,96,128,192,384 --samples 192)
	FRONTIER_X29_BASES="3x64d 1x128d"
	# 1×128d's frontier is 3×64d's from m = 16 on (m = 64 aside: 6 wide,
	# not 5); its m = 4 and 8 are 54 and 33 wide.
	FRONTIER_X29_1x128d=(--members 4,8,16,24,32,48,64,96,128,192,384 --samples 192)
	# 3×64d's frontier from m = 16 on (its plateau and what leads to it)
	# again, with twice the draws.
	FRONTIER_PLATEAU=(--members 16,24,32,48,64,96,128,192,384 --samples 384)
	# ResNeXt-50 takes m = 1 to 138 (n = 1; 135 within 32×4d's budget);
	# 32×4d's frontier is 1×64d's from m = 6 on.
	FRONTIER_X50=(--members 2,3,4,6,8,12,16,24,32,48,64,96,128,138 --samples 192)
	FRONTIER_X50_32x4d=(--members 6,8,12,16,24,32,48,64,96,128,135 --samples 192)
	# The dual along the frontiers of smaller budgets, from m = 8 (at P0,
	# m ≤ 4 is at or above the baseline's V). 1×128d's fractions are
	# 3×64d's budgets (13346378/13775178 of them), so that the two share
	# their measurements.
	DUAL_X29=(--members 8,12,16,24,32,48,64,96 --samples 192 --budgets 0.1,0.15,0.2,0.3,0.5)
	DUAL_X29_BASES="3x64d 1x128d"
	DUAL_X29_1x128d=(--members 8,12,16,24,32,48,64,96 --samples 192 --budgets 0.0969,0.1453,0.1938,0.2907,0.4844)
	# ResNeXt-50 from m = 4, one m per doubling; 32×4d's fractions are
	# 1×64d's budgets (25557032/25028904 of them).
	DUAL_X50=(--members 4,8,16,32,64 --samples 192 --budgets 0.3,0.4,0.5,0.6,0.7,0.8,0.9)
	DUAL_X50_32x4d=(--members 4,8,16,32,64 --samples 192 --budgets 0.3063,0.4084,0.5106,0.6127,0.7148,0.8169,0.919)
fi

# run NAME CMD...: runs a step (when NAME matches --only), keeping its
# stdout as a section, its log, its command and its wall and CPU time. A
# step writes into a temporary file first, so an interrupted step leaves
# its previous section in place.
STEPS=()
KEPT=()
run() {
	local name=$1; shift
	STEPS+=("$name")
	[[ $name =~ $ONLY ]] || return 0
	if [[ $RESUME == 1 && -f $OUT/sections/$name.md ]]; then
		echo "== $name: finished earlier, kept" >&2
		KEPT+=("$name")
		return 0
	fi
	echo "== $name: $*" >&2
	local TIMEFORMAT='%R %U %S' sec=$OUT/sections/$name
	{ time "$@" >"$sec.md.tmp" 2>"$sec.log"; } 2>"$sec.time"
	mv "$sec.md.tmp" "$sec.md"
	printf '%s\n' "$*" | sed "s#$BIN#collegium#; s#$CACHE#CACHE#g; s#$OUT/#OUT/#g" >"$sec.cmd"
}
cache=(--cache "$CACHE")

run coverage "${C[@]}" study coverage --reps "$COVERAGE_REPS" --json "$OUT/coverage.json"
run ntk "${C[@]}" ntk --quick "${cache[@]}"

run seeds-mlp "${C[@]}" study seeds --family mlp --dataset mnist --depth 4 --baselines 1x256d "${MLP_RULE[@]}" "${cache[@]}" --json "$OUT/seeds-mlp.json"
run seeds-resnext29 "${C[@]}" study seeds --family resnext29 --dataset cifar10 --baselines 1x128d,3x64d "${X29_RULE[@]}" "${cache[@]}" --json "$OUT/seeds-resnext29.json"
if [[ $X50 == 1 ]]; then
	run seeds-resnext50 "${C[@]}" study seeds --family resnext50 --dataset imagenet --baselines 1x64d,32x4d "${X50_RULE[@]}" "${cache[@]}" --json "$OUT/seeds-resnext50.json"
fi

# laws FAMILY DATASET "BASELINES" FLAGS...: the optimum under every law,
# for every baseline and objective.
laws() {
	local fam=$1 ds=$2 bases=$3
	shift 3
	for base in $bases; do
		for obj in primal dual; do
			run "laws-$fam-$base-$obj" "${C[@]}" search --family "$fam" --dataset "$ds" --baseline "$base" --objective "$obj" --all-laws "$@" "${cache[@]}"
		done
	done
}
laws mlp mnist "1x256d" --depth 4 "${MLP_RULE[@]}"
laws resnext29 cifar10 "1x128d 3x64d" "${X29_RULE[@]}"
if [[ $X50 == 1 ]]; then laws resnext50 imagenet "1x64d 32x4d" "${X50_RULE[@]}"; fi

# The top configurations measured directly: a check of the members law at
# the optimum itself.
for obj in primal dual; do
	run "rerank-resnext29-$obj" "${C[@]}" search --family resnext29 --dataset cifar10 --baseline 3x64d --objective "$obj" --rerank 3 --top 3 "${X29_RULE[@]}" "${cache[@]}"
done
if [[ $X50 == 1 ]]; then
	run rerank-resnext50-primal "${C[@]}" search --family resnext50 --dataset imagenet --baseline 32x4d --objective primal --rerank 2 --top 2 "${X50_RULE[@]}" "${cache[@]}"
fi

# The primal answered from V measured along the budget frontier, with no
# law: a check of the law-based answers above.
for base in $FRONTIER_X29_BASES; do
	args=("${FRONTIER_X29[@]}")
	[[ $base == 1x128d ]] && args=("${FRONTIER_X29_1x128d[@]}")
	run "frontier-resnext29-$base" "${C[@]}" study frontier --family resnext29 --dataset cifar10 --baseline "$base" "${args[@]}" "${cache[@]}" \
		--json "$OUT/frontier-resnext29-$base.json" --plot "$OUT/img/frontier-resnext29-$base.svg"
done
if [[ ${#FRONTIER_PLATEAU[@]} -gt 0 ]]; then
	run frontier-resnext29-3x64d-plateau "${C[@]}" study frontier --family resnext29 --dataset cifar10 --baseline 3x64d "${FRONTIER_PLATEAU[@]}" "${cache[@]}" \
		--json "$OUT/frontier-resnext29-3x64d-plateau.json" --plot "$OUT/img/frontier-resnext29-3x64d-plateau.svg"
fi
# The dual answered the same way: V along the frontiers of a ladder of
# smaller budgets.
for base in $DUAL_X29_BASES; do
	args=("${DUAL_X29[@]}")
	[[ $base == 1x128d ]] && args=("${DUAL_X29_1x128d[@]}")
	run "dual-resnext29-$base" "${C[@]}" study frontier --objective dual --family resnext29 --dataset cifar10 --baseline "$base" "${args[@]}" "${cache[@]}" \
		--json "$OUT/dual-resnext29-$base.json"
done
if [[ ${#FRONTIER_X50[@]} -gt 0 ]]; then
	for base in 1x64d 32x4d; do
		args=("${FRONTIER_X50[@]}")
		[[ $base == 32x4d ]] && args=("${FRONTIER_X50_32x4d[@]}")
		run "frontier-resnext50-$base" "${C[@]}" study frontier --family resnext50 --dataset imagenet --baseline "$base" "${args[@]}" "${cache[@]}" \
			--json "$OUT/frontier-resnext50-$base.json" --plot "$OUT/img/frontier-resnext50-$base.svg"
	done
fi
if [[ ${#DUAL_X50[@]} -gt 0 ]]; then
	for base in 1x64d 32x4d; do
		args=("${DUAL_X50[@]}")
		[[ $base == 32x4d ]] && args=("${DUAL_X50_32x4d[@]}")
		run "dual-resnext50-$base" "${C[@]}" study frontier --objective dual --family resnext50 --dataset imagenet --baseline "$base" "${args[@]}" "${cache[@]}" \
			--json "$OUT/dual-resnext50-$base.json"
	done
fi

run budget-tolerance "${C[@]}" search --family resnext29 --dataset cifar10 --baseline 3x64d --budget-tolerance 0.02 --top 3 "${X29_RULE[@]}" "${cache[@]}"

run members-mlp "${C[@]}" members --family mlp --dataset mnist --depth 4 --members 1,2,4,8,16,32 --widths 8,32 "${MLP_RULE[@]}" "${cache[@]}"
run members-resnext29 "${C[@]}" members --family resnext29 --dataset cifar10 "${GRID_X29[@]}" "${cache[@]}" --json "$OUT/members-resnext29.json"
if [[ $X50 == 1 ]]; then
	run members-resnext50 "${C[@]}" members --family resnext50 --dataset imagenet "${GRID_X50[@]}" "${cache[@]}" --json "$OUT/members-resnext50.json"
fi

if [[ $CHOICES == 1 ]]; then
	run choices-resnext29 "${C[@]}" study choices --family resnext29 --dataset cifar10 --baseline 3x64d --sizes 8,32 --max-samples 256 --rel-se 0.15 --members-law ce "${cache[@]}"
	run choices-resnext50 "${C[@]}" study choices --family resnext50 --dataset imagenet --baseline 32x4d --sizes 32,64 --modes train --max-samples 256 --rel-se 0.15 --members-law ce "${cache[@]}"
fi

run dynamics-mlp "${C[@]}" study dynamics --family mlp --depth 2 --width 16 "${DYN[@]}" --out "$OUT/study"
if [[ $DYN_CNN == 1 ]]; then
	run dynamics-convnet "${C[@]}" study dynamics --family convnet --depth 3 --width 8 --lr 0.1 "${DYN[@]}" --out "$OUT/study"
fi
run accuracy-mlp "${C[@]}" study accuracy --family mlp --depth 4 --baseline 1x256d "${ACC[@]}" "${cache[@]}" --out "$OUT/study"
if [[ ${#ACC_CNN[@]} -gt 0 ]]; then
	run accuracy-convnet "${C[@]}" study accuracy --family convnet --depth 3 --baseline 1x32d --lr 0.1 "${ACC_CNN[@]}" "${cache[@]}" --out "$OUT/study"
fi
cp "$OUT"/study/*.svg "$OUT/img/" 2>/dev/null || true

# section NAME: a step's command and output, if it ran.
section() {
	[[ -f $OUT/sections/$1.md ]] || return 0
	printf '\n    %s\n\n' "$(cat "$OUT/sections/$1.cmd")"
	cat "$OUT/sections/$1.md"
	echo
}
# verdicts NAME...: the steps' verdict lines, one bullet each, named by
# the step and by the heading ("#### mlp on mnist") they fall under.
verdicts() {
	for n in "$@"; do
		[[ -f $OUT/sections/$n.md ]] && awk -v n="$n" '
			/^#### / { h = substr($0, 6); sub(/ \(.*/, "", h) }
			/^Verdict/ { printf "- (%s%s) %s\n", n, (h == "" ? "" : ", " h), $0 }' "$OUT/sections/$n.md"
	done
	return 0
}
figure() {
	[[ -f $OUT/img/$1 ]] && printf '\n![%s](img/%s)\n' "$2" "$1"
	return 0
}
doc() {
	cat <<HEAD
# Reproduction of "Collegial Ensembles" (Littwin et al., NeurIPS 2020)

Written by \`scripts/reproduce.sh\` (mode: **$MODE**) on $(date -u +%Y-%m-%d), commit
$(git rev-parse --short HEAD), on $(nproc) CPU cores ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), no GPU.
Every number below is printed by the command above it (\`collegium\` is the binary built from
this commit, CACHE the NTK measurement cache, OUT the script's output directory); the
time each step took is at the end.$([[ ${#KEPT[@]} -gt 0 ]] && printf ' Resumed (`--resume`): the sections of %s were kept from an earlier run of this script; their times are those of that run.' "${KEPT[*]}") Rerun with \`scripts/reproduce.sh\`; \`--quick\` runs the
same steps at smoke-test sizes in a few minutes.

Verdicts are **reproduced**, **not reproduced**, or **not testable here** (and why). How V
is measured (sequential sampling, jackknife errors, held-out law choice) is in
[THEORY.md](THEORY.md).

## Summary

| claim of the paper | verdict |
|---|---|
| 1. A CE of m members has V_CE = V_1/m | $(verdicts ntk members-mlp members-resnext29 members-resnext50 | grep -v Hanin | sed 's/^- //' | tr '\n' ' ') |
| 2. The NTK variance of a width-n network grows as n shrinks, as Hanin & Nica's exp(β·L/n) − 1 | $(verdicts ntk | grep Hanin | sed 's/^- //' | tr '\n' ' ') For the whole networks the law is chosen by held-out prediction (section 3): $(for f in mlp resnext29 resnext50; do [[ -f $OUT/sections/seeds-$f.md ]] && grep -h '^Law chosen' "$OUT/sections/seeds-$f.md" | sed "s/^Law chosen: /$f: /; s/ Every law.*//"; done | tr '\n' ' ') |
| 3. The primal/dual searches find CEs with lower V at the baseline's size, or its V with fewer parameters, and (ours) two disjoint seed ranges give the same answer | $(verdicts seeds-mlp seeds-resnext29 seeds-resnext50 $(cd "$OUT/sections" && ls frontier-*.md dual-*.md 2>/dev/null | sed 's/\.md$//') | sed 's/^- //' | tr '\n' ' ') |
| 4. A CE's training dynamics simplify as m grows, as a wide network's do | $(verdicts dynamics-mlp dynamics-convnet | sed 's/^- //' | tr '\n' ' ') |
| 5. Lower V goes with better training at a fixed budget | $(verdicts accuracy-mlp accuracy-convnet | sed 's/^- //' | tr '\n' ' ') |
| 6. The searched ResNeXts match or beat the baselines on CIFAR-10/100 and ImageNet | **not testable here**: no GPU and no CIFAR or ImageNet files on this machine; \`scripts/reproduce.sh --full --device cuda:0 --data-dir D\` trains configs/ (3 seeds) |

## 1. V_CE(m, n) = V_1(n)/m

The members of an MLP-CE share no parameter, so their kernels are i.i.d. and V falls as
1/m exactly; a ResNeXt's paths share the stem, the residual stream and the classifier,
so there it is an assumption. V(m, n) measured directly against V(1, n)/m:

#### MLP-CE, depth 4, MNIST inputs
$(section members-mlp)
#### ResNeXt-29
$(section members-resnext29)
#### ResNeXt-50
$(section members-resnext50)
A "fails" at a width whose V(1, n) stopped at the sampling cap with a heavy tail
(kurtosis far above 3) is weaker evidence than one at a light-tailed width: there the
jackknife SE understates the error (section 2's coverage table). The ResNeXt failures
are at light-tailed cells and grow with m·n, the bottleneck's total width
(docs/THEORY.md, "Does V_CE = V_1/m hold for ResNeXt?").

## 2. V_1(n) and its law

**Are the error bars right?** Replicate experiments on draws of known V (the rule of each
row, the sequential one included):
$(section coverage)
**V_1 from two disjoint seed ranges** (the first tables of each block in section 3), and
the finite-width study of \`collegium ntk\` at quick size (MLP depth/width against Hanin & Nica):
$(section ntk)

## 3. The searches, from two disjoint seed ranges

#### MLP-CE depth 4 on MNIST, baseline 1×256d
$(section seeds-mlp)
#### ResNeXt-29 on CIFAR-10, baselines 1×128d and 3×64d
$(section seeds-resnext29)
#### ResNeXt-50 on ImageNet, baselines 1×64d (ResNet-50) and 32×4d
$(section seeds-resnext50)
#### The optimum under every law
$(for f in "$OUT"/sections/laws-*.md; do n=$(basename "$f" .md); echo "##### ${n#laws-}"; section "$n"; done)
#### The top configurations measured directly (\`--rerank\`: V predicted by the members law, then measured)
$(section rerank-resnext29-primal)
$(section rerank-resnext29-dual)
$(section rerank-resnext50-primal)
#### The primal measured along the budget frontier (\`study frontier\`: no V_1 or members law)
For each m the widest n within the baseline's budget (for a fixed m, V falls as n grows, so
these are the primal's only candidates), V measured directly from two seed ranges:
$(for f in "$OUT"/sections/frontier-*.md; do [[ -f $f ]] || continue; n=$(basename "$f" .md); section "$n"; figure "$n.svg" "V along the budget frontier, ${n#frontier-}"; done)
#### The dual measured along the frontiers of smaller budgets (\`study frontier --objective dual\`: no law)
At each budget of a ladder below P0, every m's widest n; the dual's answer is the configuration
with the fewest parameters whose V is at most the baseline's V0 (a narrower configuration of the
same m has a higher V, so a budget whose frontier has none at V0 has none at all among these m),
and its bracket the range of parameter counts the measurements cannot exclude (THEORY.md):
$(for f in "$OUT"/sections/dual-*.md; do [[ -f $f ]] || continue; section "$(basename "$f" .md)"; done)
#### The primal with a 2% budget tolerance (ResNeXt-29 against 3×64d)
$(section budget-tolerance)
#### How the measurement choices move V_1 and the optimum
$(section choices-resnext29)
$(section choices-resnext50)

## 4. Training dynamics: how far the NTK moves

Relative change of the trace NTK on a fixed probe set of test images between
initialisation and the end of training, ‖K_T − K_0‖_F/‖K_0‖_F, for CEs of growing m at
fixed width and for single networks of the same parameter counts (equal step budgets,
1/√m aggregation):
$(section dynamics-mlp)
$(figure dynamics-mlp.svg "Relative NTK change against parameters, MLP")
$(section dynamics-convnet)
$(figure dynamics-convnet.svg "Relative NTK change against parameters, ConvNet")

## 5. V against trained accuracy at one parameter budget
$([[ -f $OUT/sections/accuracy-convnet.md ]] && printf '\n%s\n' "The ConvNet trains at a smaller budget than the MLP (MNIST only, fewer seeds and choices
of m: see its command); at the MLP's budget it would take hours on these cores.")$(section accuracy-mlp)
$(figure accuracy-mlp.svg "Final test error and training loss against V, MLP")
$(section accuracy-convnet)
$(figure accuracy-convnet.svg "Final test error and training loss against V, ConvNet")

## 6. ResNeXt accuracy on CIFAR and ImageNet

Not testable here (no GPU, no CIFAR or ImageNet files). configs/ holds ResNeXt-29
CIFAR-10/100 configurations for the baselines and the searches' optima with the
reference recipe, and ResNeXt-50 ImageNet ones (\`configs/study-resnext50-*-imagenet.yaml\`,
each checked for the reference recipe and torchvision's parameter count);
\`scripts/reproduce.sh --full --device cuda:0 --data-dir D\` trains the CIFAR ones from 3
seeds and tabulates test accuracy, and \`collegium train --config FILE --data-dir D\`
trains an ImageNet one from a folder tree (docs/TRAINING.md).

## Cost of this run

Wall and CPU seconds of each step as it last ran (on 2 cores shared with other jobs). A
step that found its draws in the NTK cache took seconds: the cache keeps the draws, not
what they cost, so the cold cost of the ResNeXt measurements is not in this table.

| step | wall s | CPU s |
|---|---:|---:|
$(for n in "${STEPS[@]}"; do [[ -f $OUT/sections/$n.time ]] && awk -v n="$n" '{ printf "%s\t%.0f\t%.0f\n", n, $1, $2 + $3 }' "$OUT/sections/$n.time"; done |
	awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3; w += $2; c += $3 } END { printf "| **total** | **%d** | **%d** |\n", w, c }')
HEAD
}
doc >"$OUT/REPRODUCTION.md"
# splice DOC: replaces the text between each "<!-- reproduce:NAME -->" and
# the next "<!-- /reproduce -->" in DOC by step NAME's command and output.
splice() {
	local doc=$1 tmp
	tmp=$(mktemp)
	awk -v dir="$OUT/sections" '
		/^<!-- reproduce:[a-z0-9-]+ -->$/ {
			print; name = $0; sub(/^<!-- reproduce:/, "", name); sub(/ -->$/, "", name)
			cmd = dir "/" name ".cmd"; md = dir "/" name ".md"
			if ((getline line < cmd) > 0) { print ""; print "    " line; print "" }
			close(cmd)
			while ((getline line < md) > 0) print line
			close(md); skip = 1; next
		}
		/^<!-- \/reproduce -->$/ { skip = 0 }
		!skip' "$doc" >"$tmp"
	mv "$tmp" "$doc"
}
if [[ $MODE == reduced && $ONLY == . ]]; then
	mkdir -p docs/img
	cp "$OUT"/img/*.svg docs/img/
	cp "$OUT/REPRODUCTION.md" docs/REPRODUCTION.md
	splice docs/THEORY.md
	echo "wrote docs/REPRODUCTION.md and the marked sections of docs/THEORY.md" >&2
else
	echo "wrote $OUT/REPRODUCTION.md" >&2
fi
exit
}
