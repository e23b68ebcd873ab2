#!/usr/bin/env bash
# Runs a command on a GPU of this host that no other command started this way is using: takes
# the first of GPUs 0..COUNT-1 whose lock it can get (waiting while all are taken), sets
# CUDA_VISIBLE_DEVICES to it, and runs the command, which holds the lock until it ends. For
# launchers that start several workers per host without giving each its own GPU, such as GNU
# parallel (see parallel_hosts.sh); Slurm's --gpus-per-task and Kubernetes' nvidia.com/gpu do
# that themselves.
#
#   with_free_gpu.sh COUNT command [arguments...]
#   NST_GPU_LOCK_DIR=/tmp   the folder of the locks (nst-gpu-N.lock), local to the host
set -euo pipefail
count=${1:?usage: with_free_gpu.sh COUNT command [arguments...]}
shift
[ $# -gt 0 ] || { echo "usage: with_free_gpu.sh COUNT command [arguments...]" >&2; exit 64; }
case $count in
  '' | *[!0-9]* | 0) echo "with_free_gpu: COUNT must be a number of GPUs, not '$count'" >&2; exit 64 ;;
esac
lock_dir=${NST_GPU_LOCK_DIR:-/tmp}
while :; do
  for ((gpu = 0; gpu < count; gpu++)); do
    exec {lock}>>"$lock_dir/nst-gpu-$gpu.lock"
    if flock -n "$lock"; then
      # The lock stays with the open descriptor, which the command inherits.
      export CUDA_VISIBLE_DEVICES=$gpu
      exec "$@"
    fi
    exec {lock}>&-
  done
  sleep 1
done
