"""Command tool behind word_count.json: reads the arguments as JSON on stdin, counts lines,
words and characters of a workspace file (the workspace is /mnt/data in the sandbox)."""
import json
import os
import sys

args = json.load(sys.stdin)
# Surrounding spaces are never part of a name someone means (the demo model writes one before
# each name it copies from a question).
name = args["path"].strip()
path = os.path.normpath(os.path.join("/mnt/data", name))
if not path.startswith("/mnt/data/"):
    sys.exit("path must stay inside the workspace")
try:
    text = open(path, encoding="utf-8", errors="replace").read()
except OSError as e:
    sys.exit(f"cannot read {name}: {e.strerror}")
print(json.dumps({"path": name, "lines": text.count("\n"), "words": len(text.split()),
                  "characters": len(text)}))
