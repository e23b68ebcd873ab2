#!/usr/bin/env bash
# Test of scripts/cluster/with_free_gpu.sh: three workers started at once on a host with two
# GPUs get GPUs 0 and 1 for the first two, and the third waits for one of them to be free.
#   with_free_gpu_test.sh SCRIPTS_FOLDER
set -euo pipefail
scripts=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

export NST_GPU_LOCK_DIR=$work
worker() {
  bash "$scripts/cluster/with_free_gpu.sh" 2 \
    sh -c 'echo "$CUDA_VISIBLE_DEVICES $(date +%s.%N)" > "$0"; sleep 1.5' "$work/worker-$1"
}
worker 1 &
worker 2 &
sleep 0.3  # the first two hold both GPUs now
worker 3 &
wait

read -r gpu1 start1 <"$work/worker-1"
read -r gpu2 start2 <"$work/worker-2"
read -r gpu3 start3 <"$work/worker-3"
[ "$(printf '%s\n' "$gpu1" "$gpu2" | sort | tr '\n' ' ')" = "0 1 " ] ||
  fail "the first two workers got GPUs '$gpu1' and '$gpu2', expected 0 and 1"
case $gpu3 in 0 | 1) ;; *) fail "the third worker got GPU '$gpu3'" ;; esac
awk -v a="$start1" -v b="$start2" -v c="$start3" 'BEGIN { exit !(c >= (a < b ? a : b) + 1.4) }' ||
  fail "the third worker started at $start3, before a GPU was free ($start1, $start2)"
bash "$scripts/cluster/with_free_gpu.sh" 0 true 2>"$work/err" && fail "COUNT 0 was accepted"
grep -q "COUNT must be a number of GPUs" "$work/err" || fail "no message for COUNT 0"
echo "with_free_gpu.sh: two workers on GPUs 0 and 1, the third waited for one"
