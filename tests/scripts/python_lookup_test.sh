#!/usr/bin/env bash
# The scripts' one way to find a Python that can import torch (scripts/common.sh), with a PATH
# whose first python3 cannot import it, as on machines where python3 is another build than the
# one Debian's python3-torch is for:
#   1. find_torch_python passes over it to an interpreter that can;
#   2. where none can, it fails with one message that names what it tried;
#   3. each script that needs torch stops with that message, never with Python's
#      "ModuleNotFoundError", so every one of them uses the shared look-up;
#   4. no script runs a bare python3 for torch.
#
#   python_lookup_test.sh SCRIPTS_FOLDER
set -uo pipefail
scripts=$(cd "${1:?usage: python_lookup_test.sh SCRIPTS_FOLDER}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# A python3 first on PATH that runs, but has no torch (nor anything else).
mkdir -p "$work/bin"
cat >"$work/bin/python3" <<'PY'
#!/bin/sh
echo "Traceback (most recent call last):" >&2
echo "ModuleNotFoundError: No module named 'torch'" >&2
exit 1
PY
chmod +x "$work/bin/python3"
export PATH="$work/bin:$PATH"
unset NST_PYTHON NST_CHECK_PYTHON

# shellcheck source=/dev/null
source "$scripts/common.sh"
[ "$(command -v python3)" = "$work/bin/python3" ] || fail "the torch-less python3 is not first on PATH"

# 1. Found past the first python3, where the system has one with torch.
system_python=/usr/bin/python3
if [ -x "$system_python" ] && "$system_python" -c "import torch" 2>/dev/null; then
  found=$(find_torch_python) || fail "find_torch_python failed although $system_python has torch"
  [ "${found:-}" = "$system_python" ] || fail "find_torch_python gave '${found:-}', not $system_python"
  # NST_PYTHON, when it can import torch, comes first.
  found=$(NST_PYTHON=$system_python find_torch_python)
  [ "$found" = "$system_python" ] || fail "NST_PYTHON was not taken"
else
  echo "note: $system_python cannot import torch here; part 1 left out"
fi

# 2. None can: one clear message naming every candidate, status 1.
export NST_SYSTEM_PYTHON=$work/no-such-python
message=$(find_torch_python 2>&1 >/dev/null)
status=$?
[ "$status" -eq 1 ] || fail "find_torch_python without torch exited $status, not 1"
expected="error: no Python interpreter here can import torch (tried: $NST_SYSTEM_PYTHON $work/bin/python3); install Debian's python3-torch or set NST_PYTHON"
[ "$message" = "$expected" ] || fail "message: '$message'"

# 3. Each script that needs torch stops with that message before any work.
for script in check_cuda.sh bench_quality.sh bench_print.sh bench_batch.sh; do
  output=$(NST_BUILD_DIR=$work/no-build NST_CHECK_BUILD_DIR=$work/no-build \
    bash "$scripts/$script" 2>&1)
  status=$?
  [ "$status" -ne 0 ] || fail "$script succeeded without torch"
  grep -q "no Python interpreter here can import torch" <<<"$output" ||
    fail "$script did not say that no Python has torch: $(tail -n 3 <<<"$output")"
  ! grep -q "ModuleNotFoundError" <<<"$output" || fail "$script ran the python3 without torch"
done
# The sample model is exported with the same look-up (run from a copy, without models/).
mkdir -p "$work/tree/scripts"
cp "$scripts/common.sh" "$scripts/export_vgg19.py" "$work/tree/scripts/"
output=$(cd "$work/tree" && bash -c 'source scripts/common.sh && sample_model' 2>&1)
grep -q "no Python interpreter here can import torch" <<<"$output" ||
  fail "sample_model did not say that no Python has torch: $output"

# 4. No script calls a bare python3 (or python) for its work: they take find_torch_python's.
bare=$(grep -nE '(^|[;&|(!]|\$\()[[:space:]]*python3?[[:space:]]' "$scripts"/*.sh "$scripts"/cluster/*.sh)
[ -z "$bare" ] || fail "scripts that run a bare python: $bare"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "python look-up: all checks passed"
