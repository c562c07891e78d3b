#!/usr/bin/env bash
# The project's test command: builds and runs every test suite in the release preset and in the
# asan preset (AddressSanitizer + UndefinedBehaviorSanitizer). Fails on the first failure.
#
#   scripts/test.sh                 both presets
#   scripts/test.sh release         one preset (release | asan | debug)
set -euo pipefail
cd "$(dirname "$0")/.."
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(release asan)
jobs=$(nproc)
for p in "${presets[@]}"; do
  echo "== $p: configure + build" >&2
  start=$(date +%s)
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p" -j "$jobs"
  echo "== $p: built in $(( $(date +%s) - start )) s; running tests" >&2
  start=$(date +%s)
  ctest --preset "$p" -j "$jobs"
  echo "== $p: tests passed in $(( $(date +%s) - start )) s" >&2
done
