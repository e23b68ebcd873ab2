#!/usr/bin/env bash
# Runs an nst batch as a Slurm job array: task I of N runs the jobs whose position is I mod N.
#
#   mkdir -p logs && sbatch --array=0-7 scripts/cluster/slurm_array.sh photos/ styles/ out/
#
# Every task writes its own report (out/reports/shard-I-of-N.json). --skip-existing makes a
# requeued or resubmitted task do only what is left, so retries are safe; an interrupted job
# leaves its result as .partial and is redone on the next run. Extra nst flags go in $NST_ARGS
# (e.g. NST_ARGS="--size 768 --iterations 300"); $NST is the nst binary (default: nst on PATH).
#
# To rerun some tasks of an array as a new submission, give the first array's size in
# $NST_SHARDS, since the new array's own size would shard the jobs differently:
#   sbatch --array=3 --export=ALL,NST_SHARDS=8 scripts/cluster/slurm_array.sh photos/ styles/ out/
#
# GPU nodes: submit with `sbatch --gpus-per-task=1 --array=...`: Slurm gives each task its own
# GPU through CUDA_VISIBLE_DEVICES, which nst's default --device auto sees as cuda:0.
#SBATCH --job-name=nst
#SBATCH --cpus-per-task=8
#SBATCH --mem=4G
#SBATCH --time=12:00:00
#SBATCH --output=logs/nst-%A_%a.log
#SBATCH --requeue
set -euo pipefail
contents=${1:?usage: slurm_array.sh CONTENTS STYLES OUTPUT_FOLDER}
styles=${2:?usage: slurm_array.sh CONTENTS STYLES OUTPUT_FOLDER}
output=${3:?usage: slurm_array.sh CONTENTS STYLES OUTPUT_FOLDER}
index=${SLURM_ARRAY_TASK_ID:?not running as a Slurm array task}
count=${NST_SHARDS:-${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1))}}
if [ "$index" -ge "$count" ]; then
  echo "slurm_array.sh: task $index is not below the shard count $count; to rerun tasks of an" \
    "earlier array, set NST_SHARDS to that array's size" >&2
  exit 1
fi

mkdir -p "$output/reports"
# shellcheck disable=SC2086  # NST_ARGS is a list of flags
exec "${NST:-nst}" --content "$contents" --style "$styles" -o "$output" \
  --shard "$index/$count" --skip-existing --progress plain \
  --threads "${SLURM_CPUS_PER_TASK:-$(nproc)}" \
  --report "$output/reports/shard-$index-of-$count.json" ${NST_ARGS:-}
