#!/usr/bin/env bash
# Runs one agent task with `ossa run` on the best model this machine has:
#   - $OSSA_MODEL, when set: a gpt-oss checkpoint folder (gpt-oss-20b / gpt-oss-120b as
#     downloaded, original/ or Hugging Face layout), with the python and browser tools, in the
#     current folder;
#   - otherwise the demo model the build unpacks into build/release/demo-model/ (see
#     examples/demo_model/README.md): a tiny model trained on a few simple agent tasks, run
#     greedily with the python tool in a scratch workspace holding three small files. For the
#     task below (the README's) the script checks the answer against the workspace and fails
#     when it is wrong.
#
#   scripts/agent.sh "task"            (extra ossa run flags go before the task)
set -euo pipefail
cd "$(dirname "$0")/.."
ossa=build/release/ossa
[ -x "$ossa" ] || { echo "agent.sh: $ossa not built; run scripts/setup.sh" >&2; exit 1; }
default_task="List the files in the workspace and say how many there are."
[ $# -gt 0 ] || set -- "$default_task"

if [ -n "${OSSA_MODEL:-}" ]; then
  exec "$ossa" run --model "$OSSA_MODEL" --tools python,browser "$@"
fi

model=build/release/demo-model
[ -f "$model/config.json" ] || { echo "agent.sh: $model is missing; run scripts/setup.sh" >&2; exit 1; }
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
printf 'Buy milk\nCall the plumber\nRenew the passport\n' > "$ws/todo.md"
printf 'name,price,qty\napple,3,10\npear,5,4\nplum,2,25\n' > "$ws/sales.csv"
printf 'Meeting moved to Friday\nBring the report\n' > "$ws/notes.txt"
echo "agent.sh: no OSSA_MODEL set; running the demo model in a scratch workspace ($ws:" \
     "notes.txt, sales.csv, todo.md)" >&2

answer=$("$ossa" run --model "$model" --workspace "$ws" --tools python --temperature 0 \
           --approve none "$@")
echo "$answer"
last="${!#}"
if [ "$last" = "$default_task" ]; then
  for want in "3 files" notes.txt sales.csv todo.md; do
    if [[ "$answer" != *"$want"* ]]; then
      echo "agent.sh: wrong answer from the demo model (expected it to mention \"$want\")" >&2
      exit 1
    fi
  done
  echo "agent.sh: the demo model's answer is right (3 files, listed through a sandboxed" \
       "python call); set OSSA_MODEL=/path/to/gpt-oss-20b for real work" >&2
fi
