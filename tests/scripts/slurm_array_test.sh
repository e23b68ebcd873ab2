#!/usr/bin/env bash
# End-to-end test of scripts/cluster/slurm_array.sh, with Slurm's environment simulated: two
# array tasks together write every job's output exactly once, each with its own report, a
# rerun of a task (a requeue) does nothing new, and a task resubmitted alone keeps the first
# array's sharding through NST_SHARDS. (tests/scripts/slurm_cluster_test.sh runs it under real Slurm.)
#   slurm_array_test.sh NST_BINARY MODEL SCRIPTS_FOLDER
set -euo pipefail
nst=$1
model=$2
scripts=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 32x32 binary PPM images of random pixels.
make_image() { { printf 'P6\n32 32\n255\n'; head -c 3072 /dev/urandom; } >"$1"; }
mkdir -p "$work/in" "$work/styles"
for name in a b c; do make_image "$work/in/$name.ppm"; done
for name in x y; do make_image "$work/styles/$name.ppm"; done

run_task() {
  SLURM_ARRAY_TASK_ID=$1 SLURM_ARRAY_TASK_COUNT=2 SLURM_CPUS_PER_TASK=1 NST="$nst" \
    NST_ARGS="--model $model --size 32 --iterations 2 -q" \
    bash "$scripts/cluster/slurm_array.sh" "$work/in" "$work/styles" "$work/out"
}
run_task 0
run_task 1

expected="a_x.png a_y.png b_x.png b_y.png c_x.png c_y.png"
actual=$(cd "$work/out" && ls -- *.png | tr '\n' ' ' | sed 's/ $//')
[ "$actual" = "$expected" ] || fail "outputs are '$actual', expected '$expected'"
for task in 0 1; do
  report="$work/out/reports/shard-$task-of-2.json"
  [ -f "$report" ] || fail "no report $report"
  # The report's counts per status: "done": 3 of this shard's 3 jobs.
  grep -q '"done": 3,' "$report" || fail "$report does not count 3 done jobs"
done

before=$(stat -c %Y "$work"/out/*.png | tr '\n' ' ')
run_task 0
after=$(stat -c %Y "$work"/out/*.png | tr '\n' ' ')
[ "$before" = "$after" ] || fail "a rerun rewrote outputs"
grep -q '"skipped": 3' "$work/out/reports/shard-0-of-2.json" ||
  fail "the rerun did not skip its 3 jobs"

# Task 1 resubmitted alone (sbatch --array=1) is task 1 of a 1-task array: it stops rather than
# shard differently, unless NST_SHARDS gives the first array's size.
if message=$(SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=1 NST=false \
  bash "$scripts/cluster/slurm_array.sh" "$work/in" "$work/styles" "$work/out" 2>&1); then
  fail "task 1 of a 1-task array ran"
fi
grep -q 'set NST_SHARDS' <<<"$message" || fail "task 1 of a 1-task array said '$message'"
rm "$work/out/reports/shard-1-of-2.json"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=1 NST_SHARDS=2 SLURM_CPUS_PER_TASK=1 NST="$nst" \
  NST_ARGS="--model $model --size 32 --iterations 2 -q" \
  bash "$scripts/cluster/slurm_array.sh" "$work/in" "$work/styles" "$work/out"
grep -q '"skipped": 3' "$work/out/reports/shard-1-of-2.json" ||
  fail "task 1 resubmitted with NST_SHARDS=2 did not skip its 3 jobs"
echo "slurm_array.sh: 2 tasks wrote 6 outputs once each; a rerun skipped its 3 jobs; a" \
  "resubmitted task kept its shard with NST_SHARDS"
