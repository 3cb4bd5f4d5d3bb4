#!/usr/bin/env bash
# slurm-check.sh: checks Collegium on a real Slurm. Installs Debian's
# slurm-wlm, munge and OpenMPI when missing (needs root), brings up a
# one-node cluster on this machine (munged with a fresh key, slurmctld -D,
# slurmd -D; no systemd needed), submits through `collegium sweep
# --executor slurm`
#   1. a 2-task MPI training job: a one-point sweep with slurm.ntasks 2,
#      trained data-parallel by `srun --mpi=pmix collegium train`, and
#   2. a 4-point sweep array (2 learning rates × 2 seeds, one task each),
# waits for both, and checks both with `collegium report` (every point
# finished, the MPI run trained on 2 ranks). The daemons it started are
# stopped on exit. Everything lives in WORK (default: a new temporary
# directory, removed after a successful check); nothing outside it is
# configured.
#
# Usage: scripts/slurm-check.sh [WORK]      (about 1 minute on 2 cores once
#        the packages are installed; docs/SCALE.md)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
keep=${1:-}
work=${1:-$(mktemp -d /tmp/collegium-slurm.XXXXXX)}
mkdir -p "$work"
work="$(cd "$work" && pwd)"
log() { echo "slurm-check: $*" >&2; }
start=$(date +%s)

if [ "$(id -u)" != 0 ]; then
	log "needs root (slurmd runs jobs as their users; munged and the packages too)"
	exit 2
fi
need=()
for c in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge mpirun:openmpi-bin; do
	command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
pkg-config --exists ompi-c || need+=(libopenmpi-dev)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]} slurm-wlm"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge openmpi-bin libopenmpi-dev >/dev/null
fi

log "building collegium with -tags mpi into $work"
(cd "$root" && go build -tags mpi -o "$work/collegium" ./cmd/collegium)

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# munge: a fresh key and a socket of our own.
mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log"
chmod 755 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
munged -F --force -S "$work/munge/socket" --key-file="$work/munge/munge.key" --pid-file="$work/munge/munged.pid" \
	--log-file="$work/log/munged.log" --seed-file="$work/munge/seed" &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/socket" ] && break; sleep 0.1; done

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
ctl_port=$((20000 + RANDOM % 20000))
cat >"$work/slurm.conf" <<-CONF
	ClusterName=collegium-check
	SlurmctldHost=$host(127.0.0.1)
	SlurmctldPort=$ctl_port
	SlurmdPort=$((ctl_port + 1))
	SlurmUser=root
	SlurmdUser=root
	AuthType=auth/munge
	AuthInfo=socket=$work/munge/socket
	CredType=cred/munge
	StateSaveLocation=$work/state
	SlurmdSpoolDir=$work/spool
	SlurmctldPidFile=$work/slurmctld.pid
	SlurmdPidFile=$work/slurmd.pid
	SlurmctldLogFile=$work/log/slurmctld.log
	SlurmdLogFile=$work/log/slurmd.log
	ProctrackType=proctrack/linuxproc
	TaskPlugin=task/none
	JobAcctGatherType=jobacct_gather/none
	AccountingStorageType=accounting_storage/none
	JobCompType=jobcomp/none
	SchedulerType=sched/backfill
	SelectType=select/cons_tres
	SelectTypeParameters=CR_Core
	MpiDefault=none
	ReturnToService=2
	MinJobAge=3600
	NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
	PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
: >"$work/cgroup.conf"
export SLURM_CONF="$work/slurm.conf"

log "starting slurmctld and slurmd (config $SLURM_CONF)"
slurmctld -D -i -f "$SLURM_CONF" >>"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N "$host" -f "$SLURM_CONF" >>"$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 0.2
done
if [ "$state" != idle ]; then
	log "node $host is '${state:-unknown}', not idle; logs in $work/log"
	tail -n 20 "$work/log/slurmctld.log" "$work/log/slurmd.log" >&2 || true
	exit 1
fi
log "cluster up: node $host idle, $cpus CPUs"

cat >"$work/mpi.yaml" <<-SPEC
	# One point trained data-parallel on 2 MPI ranks by srun --mpi=pmix.
	set:
	  model: {members: 2, width: 32, depth: 1}
	  epochs: 2
	  batch_size: 100
	slurm: {ntasks: 2, cpus_per_task: 1, mpi: pmix}
SPEC
cat >"$work/sweep.yaml" <<-SPEC
	# 2 learning rates × 2 seeds, one array task each.
	set:
	  model: {members: 2, width: 16, depth: 1}
	  epochs: 1
	  batch_size: 256
	grid:
	  optimizer.lr: [0.05, 0.1]
	  seed: [1, 2]
	slurm: {cpus_per_task: 1}
SPEC

jobs=()
for name in mpi sweep; do
	out=$("$work/collegium" sweep "$work/$name.yaml" --out "$work/$name" --executor slurm)
	log "$name: $out"
	jobs+=("$(sed -E 's/^submitted job ([0-9]+):.*/\1/' <<<"$out")")
done

log "waiting for jobs ${jobs[*]}"
deadline=$(($(date +%s) + 600))
while [ -n "$(squeue -h -j "$(IFS=,; echo "${jobs[*]}")" -o %i 2>/dev/null)" ]; do
	if [ "$(date +%s)" -gt "$deadline" ]; then
		log "jobs still queued or running after 10 minutes:"
		squeue >&2
		exit 1
	fi
	sleep 1
done
scontrol show job "${jobs[0]}" | grep -E "JobState|ExitCode" >&2 || true

fail=0
for name in mpi sweep; do
	"$work/collegium" report "$work/$name" >"$work/$name-report.txt"
	unfinished=$(awk -F, 'NR > 1 && $6 != $7 {print $1}' "$work/$name/report.csv")
	if [ -n "$unfinished" ]; then
		log "$name: configurations with unfinished points: $unfinished (logs: $work/$name/logs, $work/$name/slurm)"
		fail=1
	fi
	cat "$work/$name-report.txt"
done
points=$(awk -F, 'NR > 1 {n += $7} END {print n}' "$work/sweep/report.csv")
if [ "$points" != 4 ]; then
	log "sweep: $points points, want 4"
	fail=1
fi
if ! grep -q "ranks=2" "$work/mpi/run/train.log"; then
	log "the MPI point did not train on 2 ranks: $work/mpi/run/train.log"
	fail=1
fi
if [ $fail = 0 ]; then
	log "ok: 2-rank MPI job and 4-point sweep array finished and reported ($(($(date +%s) - start)) s)"
	if [ -z "$keep" ]; then
		cleanup
		pids=()
		rm -rf "$work"
	fi
fi
exit $fail
