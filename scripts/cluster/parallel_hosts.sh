#!/usr/bin/env bash
# Runs an nst batch on several hosts with GNU parallel: N shards spread over the hosts in
# HOSTS_FILE (one ssh login per line, e.g. "8/user@gpu1": 8 is how many shards it runs at
# once; ":" is this machine). The folders must be on a file system every host sees, at the
# same path, and nst must be installed on every host.
#
#   scripts/cluster/parallel_hosts.sh hosts.txt 16 photos/ styles/ out/
#
# Each shard writes out/reports/shard-I-of-N.json; --skip-existing plus parallel's --retries
# make a failed or lost shard safe to run again. Extra nst flags go in $NST_ARGS.
#
# GPU hosts: set NST_GPUS_PER_HOST to their GPU count (and the shards per host in HOSTS_FILE to
# at most that): each shard then takes a GPU no other shard on its host is using
# (with_free_gpu.sh, which must be at the same path on every host, as this folder is when it
# lies on the shared file system). Without it every shard of a host would run on its GPU 0.
set -euo pipefail
hosts=${1:?usage: parallel_hosts.sh HOSTS_FILE SHARDS CONTENTS STYLES OUTPUT_FOLDER}
shards=${2:?usage: parallel_hosts.sh HOSTS_FILE SHARDS CONTENTS STYLES OUTPUT_FOLDER}
contents=${3:?missing CONTENTS}
styles=${4:?missing STYLES}
output=${5:?missing OUTPUT_FOLDER}
command -v parallel >/dev/null || { echo "parallel_hosts: install GNU parallel (package parallel)" >&2; exit 1; }

mkdir -p "$output/reports"
q() { printf '%q' "$1"; }
launcher=""
if [ -n "${NST_GPUS_PER_HOST:-}" ]; then
  launcher="$(q "$(cd "$(dirname "$0")" && pwd)/with_free_gpu.sh") $(q "$NST_GPUS_PER_HOST") "
fi
# Exit code 2 (some jobs failed) is not worth a retry; anything else is.
seq 0 $((shards - 1)) | parallel --sshloginfile "$hosts" --retries 3 \
  --joblog "$output/reports/parallel-joblog.tsv" --line-buffer --tagstring 'shard {}' \
  "$launcher${NST:-nst} --content $(q "$contents") --style $(q "$styles") -o $(q "$output") \
    --shard {}/$shards --skip-existing --progress plain \
    --report $(q "$output")/reports/shard-{}-of-$shards.json ${NST_ARGS:-} || [ \$? -eq 2 ]"
