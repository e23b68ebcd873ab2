#!/usr/bin/env bash
# End-to-end test of scripts/cluster/slurm_array.sh on a real one-node Slurm cluster, which it
# starts itself (munged, slurmctld and slurmd, with a private configuration, key, state, logs and
# ports under a temporary folder) and always stops again:
#  1. `sbatch --array=0-1`: the two tasks write every output once, as valid PNGs, each task its
#     own report, and the reports together list every job once, done;
#  2. `scancel JOB_1` while task 1 is painting leaves its shard incomplete (its current job as
#     .partial); resubmitting task 1 alone (NST_SHARDS=2) leaves what exists untouched and does
#     the rest.
# Skipped (exit 77) without Slurm and munge (Debian's slurm-wlm and munge) or without root.
#   slurm_cluster_test.sh NST_BINARY MODEL SCRIPTS_FOLDER
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin

skip() { echo "SKIP: $*"; exit 77; }
for tool in munged slurmctld slurmd sbatch squeue scancel scontrol python3; do
  command -v "$tool" >/dev/null ||
    skip "$tool is not installed (Debian: apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "must run as root to start munged, slurmctld and slurmd"

nst=$(realpath "$1")
model=$(realpath "$2")
scripts=$(realpath "$3")
[ -x "$nst" ] || { echo "FAIL: $nst is not an executable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nst-slurm.XXXXXX")
conf=$work/etc/slurm.conf
data=$work/data
pids=()  # daemons started here, stopped in this order's reverse
job_ids=()

stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 100); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$? i pid leftover=()
  set +e
  trap - EXIT INT TERM
  if [ "${#job_ids[@]}" -gt 0 ] && [ "${#pids[@]}" -ge 3 ]; then
    SLURM_CONF=$conf scancel "${job_ids[@]}" 2>/dev/null
    for i in $(seq 100); do
      [ -z "$(SLURM_CONF=$conf squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  # Whatever this run's slurmd started and left behind (slurmstepd, a job) has this run's
  # private SLURM_CONF in its environment, and nothing else has.
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$pid" != $$ ] || continue
    if tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "SLURM_CONF=$conf"; then
      leftover+=("$pid")
    fi
  done
  if [ "${#leftover[@]}" -gt 0 ]; then
    echo "killing processes left by this run's jobs: ${leftover[*]}" >&2
    kill -KILL "${leftover[@]}" 2>/dev/null
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

show_logs() {
  local file
  for file in "$work"/log/* "$data"/logs/*; do
    [ -f "$file" ] || continue
    echo "----- $file (last 40 lines)" >&2
    tail -n 40 "$file" >&2
  done
}
fail() {
  echo "FAIL: $*" >&2
  show_logs
  exit 1
}
sl() { SLURM_CONF=$conf "$@"; }

# --- A private cluster: one node (this machine, as slurmd sees it), one partition.
mkdir -p "$work/etc" "$work/munge" "$work/munge-key" "$work/state" "$work/spool" "$work/log"
# munged wants its socket's folders searchable by all and its key readable by its user alone.
chmod 755 "$work" "$work/munge"
chmod 700 "$work/munge-key"
head -c 1024 /dev/urandom >"$work/munge-key/munge.key"
chmod 400 "$work/munge-key/munge.key"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 30000))
  if port_free "$candidate" && port_free $((candidate + 1)); then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || fail "found no two free TCP ports"

host=$(hostname -s)
# CPUs, sockets, cores, threads and RealMemory as slurmd detects them.
hardware=$(slurmd -C | sed -n '1s/^NodeName=[^ ]* //p' | sed 's/ *UpTime=.*//')
if [ -z "$hardware" ]; then
  hardware="CPUs=$(nproc) RealMemory=$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024))"
fi
cat >"$conf" <<EOF
ClusterName=nsttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF

munged --foreground --socket="$work/munge/munge.sock" \
  --key-file="$work/munge-key/munge.key" --pid-file="$work/munge/munged.pid" \
  --log-file="$work/log/munged.log" --seed-file="$work/munge/munged.seed" \
  >"$work/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  [ -S "$work/munge/munge.sock" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "munged exited"
  sleep 0.1
done
[ -S "$work/munge/munge.sock" ] || fail "munged made no socket in 10 s"

SLURM_CONF=$conf slurmctld -D -f "$conf" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
SLURM_CONF=$conf slurmd -D -f "$conf" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  sl scontrol -o show node "$host" 2>/dev/null | grep -q 'State=IDLE' && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a daemon exited"; done
  sleep 0.2
done
sl scontrol -o show node "$host" 2>/dev/null | grep -q 'State=IDLE' ||
  fail "node $host is not idle 30 s after slurmd started"

# --- Inputs: 3 contents x 2 styles, 32x32 binary PPMs of random pixels. Shard I of 2 has the
# jobs at positions I, I+2, I+4 (content-major): shard 0 the style x, shard 1 the style y.
make_image() { { printf 'P6\n32 32\n255\n'; head -c 3072 /dev/urandom; } >"$1"; }
mkdir -p "$data/in" "$data/styles" "$data/logs"
for name in a b c; do make_image "$data/in/$name.ppm"; done
for name in x y; do make_image "$data/styles/$name.ppm"; done
expected="a_x.png a_y.png b_x.png b_y.png c_x.png c_y.png"

# submit ARRAY OUTPUT_FOLDER ITERATIONS [VAR=VALUE]: sets $job to the new job's id. The
# script's own #SBATCH lines hold, but for the CPUs and memory (8 CPUs and 4G per task exceed
# small machines).
submit() {
  # shellcheck disable=SC2097,SC2098  # NST and NST_ARGS are for sbatch's --export
  job=$(cd "$data" && NST=$nst NST_ARGS="--model $model --size 32 --iterations $3 --print-every 1" \
    SLURM_CONF=$conf sbatch --parsable --array="$1" --cpus-per-task=1 --mem=1G \
    --export="ALL,NST,NST_ARGS${4:+,$4}" "$scripts/cluster/slurm_array.sh" \
    "$data/in" "$data/styles" "$2") || fail "sbatch refused the array $1"
  job=${job%%;*}
  job_ids+=("$job")
}
# wait_done JOB: until no task of JOB is pending or running (60 s at most: with the other waits,
# well within the 300 s that CTest allows, so that the cleanup always runs).
wait_done() {
  local _
  for _ in $(seq 300); do
    [ -z "$(sl squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  fail "job $1 still queued or running after 60 s: $(sl squeue -j "$1" 2>&1)"
}
# state JOB TASK: the task's state (COMPLETED, CANCELLED, FAILED, ...) and exit code.
state() {
  sl scontrol -o show job "$1_$2" |
    sed -n 's/.* JobState=\([A-Z_]*\) .* ExitCode=\([0-9:]*\) .*/\1 \2/p'
}
outputs() { (cd "$1" && find . -maxdepth 1 -name '*.png' ! -name '*.partial.*' | sed 's|^\./||' |
  sort | tr '\n' ' ' | sed 's/ $//'); }
# check_pngs FILE...: PNG signature, chunk CRCs, 32x32, and IDAT inflating to the right size.
check_pngs() {
  python3 - "$@" <<'EOF' || fail "an output is not a valid 32x32 PNG"
import struct, sys, zlib
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: no PNG signature"
    pos, chunks, idat = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path}: chunk {kind} fails its CRC"
        chunks.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", f"{path}: chunks {chunks}"
    assert (width, height, depth) == (32, 32, 8), f"{path}: {width}x{height}, {depth} bits"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    assert len(zlib.decompress(idat)) == height * (1 + width * channels), f"{path}: IDAT size"
EOF
}
# check_reports OUTPUT_FOLDER STATUS_OF_EACH_OUTPUT...: shard-0-of-2.json and shard-1-of-2.json
# list each output once between them, each with the given status ("a_y.png=skipped"; "done"
# for the others), their counts agree, and each says which shard it ran.
check_reports() {
  python3 - "$@" <<'EOF' || fail "the reports in $1/reports are not as expected"
import json, os, sys
folder, special = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
seen = {}
for shard in (0, 1):
    report = json.load(open(f"{folder}/reports/shard-{shard}-of-2.json"))
    assert report["shard"] == f"{shard}/2", report["shard"]
    assert report["exit_code"] == 0, report["exit_code"]
    for job in report["jobs"]:
        name = os.path.basename(job["output"])
        assert name not in seen, f"{name} is in two reports"
        seen[name] = job["status"]
    counts = report["counts"]
    for status in ("done", "skipped"):
        listed = sum(1 for j in report["jobs"] if j["status"] == status)
        assert counts[status] == listed, f"shard {shard}: counts {counts}"
expected = {f"{c}_{s}.png": special.get(f"{c}_{s}.png", "done") for c in "abc" for s in "xy"}
assert seen == expected, f"reports list {seen}, expected {expected}"
EOF
}

# --- 1. Two tasks write every output once.
start=$SECONDS
submit 0-1 "$data/out" 2
wait_done "$job"
for task in 0 1; do
  [ "$(state "$job" "$task")" = "COMPLETED 0:0" ] ||
    fail "task ${job}_$task ended as '$(state "$job" "$task")'"
  [ -s "$data/logs/nst-${job}_$task.log" ] || fail "task ${job}_$task wrote no log"
done
[ "$(outputs "$data/out")" = "$expected" ] ||
  fail "outputs are '$(outputs "$data/out")', expected '$expected'"
check_pngs "$data"/out/*.png
check_reports "$data/out"
echo "array $job: 2 tasks wrote 6 valid PNGs and 2 reports covering each job once" \
  "($((SECONDS - start)) s)"

# --- 2. Cancel task 1 in its second job (once it logs that job's first iteration: 29 of ~0.1 s
# are left), then resubmit task 1 alone. The output folder starts with run 1's outputs of style
# x, so task 0 has only to skip its 3 jobs.
start=$SECONDS
mkdir -p "$data/out2"
cp -p "$data"/out/*_x.png "$data/out2/"
submit 0-1 "$data/out2" 30
log=$data/logs/nst-${job}_1.log
for _ in $(seq 300); do
  grep -q 'job 2/3: iteration' "$log" 2>/dev/null && break
  [ -n "$(sl squeue -h -j "${job}_1" -o %i 2>/dev/null)" ] || fail "task ${job}_1 ended early"
  sleep 0.2
done
grep -q 'job 2/3: iteration' "$log" || fail "task ${job}_1 did not reach its second job in 60 s"
sl scancel "${job}_1"
wait_done "$job"
[ "$(state "$job" 0)" = "COMPLETED 0:0" ] || fail "task ${job}_0 ended as '$(state "$job" 0)'"
case $(state "$job" 1) in
  CANCELLED*) ;;
  *) fail "the cancelled task ${job}_1 ended as '$(state "$job" 1)'" ;;
esac
[ -f "$data/out2/a_y.png" ] || fail "the cancelled task had not written its first output"
if [ -e "$data/out2/b_y.png" ] || [ -e "$data/out2/c_y.png" ]; then
  fail "the cancelled task wrote outputs after its first: $(outputs "$data/out2")"
fi
[ -f "$data/out2/b_y.partial.png" ] || fail "the cancelled job left no b_y.partial.png"
python3 - "$data/out2/reports/shard-1-of-2.json" <<'EOF' ||
import json, sys
report = json.load(open(sys.argv[1]))
counts = {k: v for k, v in report["counts"].items() if v}
assert counts == {"done": 1, "interrupted": 1, "pending": 1}, counts
EOF
  fail "the cancelled task's report does not count 1 done, 1 interrupted and 1 pending job"
before=$(cd "$data/out2" && sha256sum a_x.png a_y.png b_x.png c_x.png &&
  stat -c '%n %y' a_x.png a_y.png b_x.png c_x.png)

cancelled=$job
# (Fewer iterations: how the rest is painted does not matter here.)
submit 1 "$data/out2" 2 NST_SHARDS=2
resubmitted=$job
wait_done "$resubmitted"
[ "$(state "$resubmitted" 1)" = "COMPLETED 0:0" ] ||
  fail "the resubmitted task ended as '$(state "$resubmitted" 1)'"
after=$(cd "$data/out2" && sha256sum a_x.png a_y.png b_x.png c_x.png &&
  stat -c '%n %y' a_x.png a_y.png b_x.png c_x.png)
[ "$before" = "$after" ] || fail "the resubmission changed existing outputs: $before / $after"
[ "$(outputs "$data/out2")" = "$expected" ] ||
  fail "after the resubmission, outputs are '$(outputs "$data/out2")', expected '$expected'"
partials=$(find "$data/out2" -name '*.partial.*')
[ -z "$partials" ] || fail "left after the resubmission: $partials"
check_pngs "$data"/out2/*.png
check_reports "$data/out2" a_x.png=skipped b_x.png=skipped c_x.png=skipped a_y.png=skipped
echo "array $cancelled: task 1 cancelled in its second job left b_y.partial.png; task 1" \
  "resubmitted kept the 4 existing outputs and wrote the other 2 ($((SECONDS - start)) s)"
