#!/usr/bin/env bash
# The one script to run on a machine with an NVIDIA GPU (issue 13): builds release with CUDA on
# all cores, runs the CUDA op tests (each op against its CPU reference), the golden, batched and
# scheduler/prefix-cache suites with the models on CUDA (OSSA_TEST_DEVICE=cuda; `ossa logits
# --device cuda` and `ossa generate --device cuda` against the tiny-a golden data among them),
# writes synth-20b and runs `ossa bench --device cuda` on it (one sequence at 2,048 prompt
# tokens, then 1 and 8 sequences at once), and prints one JSON summary as its last line. Needs no
# network. Meant to finish in under 8 minutes on 16 cores; each phase has its own time limit.
#
#   scripts/gpu_check.sh [WORKDIR]     (WORKDIR: where the logs and synth-20b go; default build/gpu-check)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
work=${1:-build/gpu-check}
mkdir -p "$work"
jobs=$(nproc)
ossa=build/release/ossa
start=$(date +%s)
status=ok
phases=()

deadline=$(( start + 470 ))  # 8 minutes, less the summary

# phase NAME LIMIT_S CMD...: runs CMD with a time limit (cut to what is left of the 8 minutes),
# its output in $work/NAME.log; records the outcome and seconds for the summary.
phase() {
  local name=$1 limit=$2
  shift 2
  local t0 rc left
  t0=$(date +%s)
  left=$(( deadline - t0 ))
  if [ "$left" -le 5 ]; then
    status=failed
    phases+=("{\"phase\":\"$name\",\"result\":\"no time left\",\"rc\":-1,\"seconds\":0}")
    echo "gpu_check: $name skipped: the 8 minutes are spent" >&2
    return 1
  fi
  [ "$limit" -le "$left" ] || limit=$left
  echo "gpu_check: $name ..." >&2
  timeout "$limit" "$@" > "$work/$name.log" 2>&1
  rc=$?
  local took=$(( $(date +%s) - t0 ))
  local result=ok
  if [ $rc -eq 124 ]; then result=timeout; elif [ $rc -ne 0 ]; then result=failed; fi
  [ "$result" = ok ] || { status=failed; echo "gpu_check: $name $result (rc $rc), see $work/$name.log" >&2; tail -20 "$work/$name.log" >&2; }
  phases+=("{\"phase\":\"$name\",\"result\":\"$result\",\"rc\":$rc,\"seconds\":$took}")
  return $rc
}

# gtest's summary counts of a log, as JSON fields.
gtest_counts() {
  local log=$1 passed skipped failed
  passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  echo "\"passed\":${passed:-0},\"skipped\":${skipped:-0},\"failed\":${failed:-0}"
}

device=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
echo "gpu_check: device: ${device:-none found by nvidia-smi}" >&2

phase configure 120 cmake --preset release -DOSSA_BUILD_BENCHMARKS=OFF
grep -q "ossa: CUDA backend enabled" "$work/configure.log" || { status=failed; echo "gpu_check: CUDA not enabled (nvcc missing?)" >&2; }
phase build 270 cmake --build --preset release -j "$jobs" --target ossa ossa_cuda_tests ossa_engine_tests

# The ops: on this machine a skip (no device) is a failure.
phase cuda_ops 60 build/release/tests/cuda/ossa_cuda_tests
if grep -q "no CUDA device" "$work/cuda_ops.log"; then status=failed; echo "gpu_check: the CUDA tests skipped: no device" >&2; fi

# The engine suites with the model on CUDA: golden logits at every position, token-by-token
# decode, greedy continuation, every intermediate, batched steps, scheduler and prefix cache,
# and the engine commands with --device cuda.
phase golden_cuda 90 env OSSA_TEST_DEVICE=cuda build/release/tests/engine/ossa_engine_tests \
  --gtest_filter='TinyA/GoldenLayouts.*:Golden.EveryIntermediate*:TinyA/BatchedGolden.*:Scheduler.*:PrefixCache.*:EngineCli.LogitsAllPositionsMatchGolden:EngineCli.GenerateGreedyMatchesGolden'

model="$work/synth-20b"
if [ ! -f "$model/config.json" ]; then
  phase synth_20b 120 "$ossa" model synth --preset 20b --out "$model" --seed 1
fi
phase bench_1 90 "$ossa" bench --model "$model" --device cuda --prompt 2048 --gen 64
phase bench_sessions 90 "$ossa" bench --model "$model" --device cuda --prompt 128 --gen 32 --sessions 1,8

# The summary: one line of JSON (the bench outputs are embedded as they are).
json_or_null() { if [ -s "$1" ] && head -c1 "$1" | grep -q '{'; then tr -d '\n' < "$1"; else echo null; fi; }
bench1=$(grep -v '^ossa: ' "$work/bench_1.log" 2>/dev/null > "$work/bench_1.json"; json_or_null "$work/bench_1.json")
bench8=$(grep -v '^ossa: ' "$work/bench_sessions.log" 2>/dev/null > "$work/bench_sessions.json"; json_or_null "$work/bench_sessions.json")
IFS=,
printf '{"status":"%s","device":"%s","seconds":%d,"phases":[%s],"cuda_ops":{%s},"golden_cuda":{%s},"bench_1":%s,"bench_sessions":%s}\n' \
  "$status" "${device:-none}" $(( $(date +%s) - start )) "${phases[*]}" \
  "$(gtest_counts "$work/cuda_ops.log" 2>/dev/null)" "$(gtest_counts "$work/golden_cuda.log" 2>/dev/null)" \
  "$bench1" "$bench8"
[ "$status" = ok ]
