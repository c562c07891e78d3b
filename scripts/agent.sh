#!/usr/bin/env bash
# Runs one agent task with `ossa run` on the best model this machine has:
#   - $OSSA_MODEL, when set: a gpt-oss checkpoint folder (gpt-oss-20b / gpt-oss-120b as
#     downloaded, original/ or Hugging Face layout);
#   - otherwise a synthetic tiny model over the real harmony vocabulary (ossa model synth
#     --preset tiny-harmony), written once under build/models/. Its weights are random: the run
#     exercises the whole agent loop (render, generate, parse, tools, transcript) but the text it
#     writes is noise and it stops at the token limit, which this script reports as such.
#
#   scripts/agent.sh "task"            (extra ossa run flags go before the task)
set -euo pipefail
cd "$(dirname "$0")/.."
ossa=build/release/ossa
[ -x "$ossa" ] || { echo "agent.sh: $ossa not built; run scripts/setup.sh" >&2; exit 1; }
[ $# -gt 0 ] || set -- "List the files in the workspace and say how many there are."

if [ -n "${OSSA_MODEL:-}" ]; then
  exec "$ossa" run --model "$OSSA_MODEL" --tools python,browser "$@"
fi

model=build/models/tiny-harmony
if [ ! -f "$model/config.json" ]; then
  echo "agent.sh: no OSSA_MODEL set; writing a synthetic tiny-harmony checkpoint to $model" >&2
  "$ossa" model synth --preset tiny-harmony --out "$model" --seed 1 >/dev/null
fi
tmpdir=$(mktemp -d)
transcript=$tmpdir/transcript.jsonl  # ossa creates it; it never overwrites one
set +e
"$ossa" run --model "$model" --tools python --max-tokens 64 --transcript "$transcript" "$@"
rc=$?
set -e
# A random model cannot answer; reaching the token limit with a complete transcript is the
# expected, successful outcome of the loop. Anything else (crash, usage error) fails.
if [ $rc -eq 1 ] && grep -q '"type":"turn_end",.*"reason":"max_tokens"' "$transcript"; then
  echo "agent.sh: synthetic model stopped at its token limit as expected (transcript $transcript);" \
       "set OSSA_MODEL=/path/to/gpt-oss-20b for real answers" >&2
  exit 0
fi
exit $rc
