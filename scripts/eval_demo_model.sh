#!/usr/bin/env bash
# Scores a demo model (default: build/release/demo-model; --model DIR for the model/ folder
# scripts/train_demo_model.py writes) with real `ossa run`s on held-out phrasings
# and values: prints valid-harmony %, right-tool % and right-final-answer % (greedy), overall
# and per kind of task. Needs python3 (the system one; no extra packages) and a built ossa;
# starts examples/tools/weather_server.py on 127.0.0.1:8765 for the get_weather items.
#
#   scripts/eval_demo_model.sh [--n 120] [--seed 7 | --seed 7,8,9] [--model DIR] [--jsonl results.jsonl]
#                             [--report REPORT.json]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/release/ossa ] || { echo "eval_demo_model.sh: build/release/ossa not built; run scripts/setup.sh" >&2; exit 1; }
# The interpreter the sandbox runs (expected outputs of python cells, tracebacks included, are
# computed with it).
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" scripts/demo_model/eval.py --ossa build/release/ossa "$@"
