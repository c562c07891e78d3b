"""Evaluates the demo model with `ossa run` on held-out phrasings and values.

    python3 scripts/demo_model/eval.py [--ossa build/release/ossa] [--model DIR] [--n 120]
        [--seed 7 | --seed 7,8,9] [--jsonl results.jsonl]

Several seeds draw that many sets of --n items each and score them together: one draw of 120
items moves by about 4 points from one seed to the next, as much as most differences between
two runs of the trainer.

Each item is a real run: greedy decoding, the real python sandbox over a workspace folder the
item fills, get_weather against examples/tools/weather_server.py (started here on its port),
word_count as the command tool. Per item it records, from the transcript:
  valid harmony  the turn ended with a final answer and no output was unparsable;
  right tool     the first call went to the expected tool with the expected arguments (for
                 python: its output equals what the expected code prints), or no call where
                 none was expected;
  right answer   the final answer holds every expected piece (the number, the file names...).
"""
import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# examples/tools/secrets.toml reads get_weather's token from here (the demo server takes any).
os.environ.setdefault("WEATHER_TOKEN", "demo-token")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_CITIES = {"Paris": (14.0, "light rain"), "Oslo": (3.5, "snow showers"),
                 "São Paulo": (24.0, "sunny")}


def weather_item(rng):
    """Held-out weather phrasings against the real example server (3 cities it knows; other
    cities are the error path)."""
    known = rng.random() < 0.75
    city = rng.choice(list(SERVER_CITIES)) if known else rng.choice(tasks.CITIES_HELD)
    tmpl = rng.choice(tasks.split(tasks.WEATHER, True))
    fahr = rng.random() < 0.2
    core = tmpl.format(c=city)
    if fahr:
        core = core.rstrip("?.") + rng.choice(tasks.FAHR_HELD + tasks.FAHR) + ("?" if core.endswith("?") else ".")
    user = tasks.dress(core, rng, True)
    at = user.lower().find(city.lower())
    if at >= 0:
        city = user[at:at + len(city)]
    args = {"city": city} if not fahr else {"city": city, "units": "fahrenheit"}
    if known:
        c, cond = SERVER_CITIES[[k for k in SERVER_CITIES if k.lower() == city.lower()][0]]
        temp = c if not fahr else c * 9 / 5 + 32
        answer = [repr(temp), cond]
    else:
        answer = ["could not"]
    return {"kind": "weather" if known else "weather_error", "user": user,
            "toolset": "python+examples", "tool": "functions.get_weather", "args": args,
            "answer": answer, "files": {}}


def make_items(n, seed):
    rng = random.Random(seed)
    root = tasks.scratch_root("de")
    ws = tasks.SimWorkspace(root, rng, "")
    # No timeouts: a real one costs its whole limit (the e2e tests cover a tool error).
    gens = [("arith", tasks.gen_arith), ("convert", tasks.gen_convert), ("files", tasks.gen_files),
            ("files", tasks.gen_files), ("chat", tasks.gen_chat), ("weather", None), ("wc", None), ("runcode", tasks.gen_runcode)]
    items = []
    k = 0
    while len(items) < n:
        name, gen = gens[k % len(gens)]
        k += 1
        if name == "weather":
            items.append(weather_item(rng))
            continue
        ws.reset()
        toolset = rng.choice(tasks.TRAIN_TOOLSETS)
        if name == "wc":
            s = tasks.gen_wc(rng, True, ws, True)
            toolset = "python+examples"
        else:
            s = gen(rng, True, ws)
        files = {f: open(os.path.join(ws.root, f)).read() for f in ws.files()}
        exp = s.expect
        items.append({"kind": s.kind, "user": s.user, "toolset": toolset, "tool": exp["tool"],
                      "tool_output": exp.get("tool_output"), "args": exp.get("args"),
                      "answer": exp["answer"], "files": files})
    shutil.rmtree(root, ignore_errors=True)
    return items


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def trimmed(args):
    """Arguments as the example tools read them: they strip the spaces around a string (the
    demo model writes a name it copies after a space; tasks.as_said)."""
    if isinstance(args, dict):
        return {k: v.strip() if isinstance(v, str) else v for k, v in args.items()}
    return args


def run_item(ossa, model, item, tmp, i):
    ws = os.path.join(tmp, "ws%d" % i)
    os.makedirs(ws)
    for name, text in item["files"].items():
        with open(os.path.join(ws, name), "w") as f:
            f.write(text)
    transcript = os.path.join(tmp, "t%d.jsonl" % i)
    flags = list(tasks.TOOLSETS[item["toolset"]][0])
    flags = [os.path.join(REPO, f) if f.startswith("examples/tools") else f for f in flags]
    # An empty configuration, unless the tool set brings its own (the weather API's secret).
    if "--config" not in flags:
        flags = ["--config", os.path.join(tmp, "none.toml")] + flags
    cmd = [ossa, "run", "--model", model,
           "--workspace", ws, "--temperature", "0", "--max-tokens", "400", "--approve", "none",
           "--threads", "1", "--transcript", transcript] + flags + [item["user"]]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    events = [json.loads(l) for l in open(transcript)] if os.path.exists(transcript) else []
    end = [e for e in events if e["type"] == "turn_end"]
    parse_errors = [e for e in events if e["type"] == "parse_error"]
    calls = [e for e in events if e["type"] == "tool_call"]
    results = [e for e in events if e["type"] == "tool_result"]
    finals = [e["message"] for e in events if e["type"] == "message" and
              e["message"].get("role") == "assistant" and e["message"].get("channel") == "final"]
    final = "".join(c.get("text", "") for c in finals[-1]["content"]) if finals else ""
    valid = bool(end) and end[-1]["reason"] == "final" and not parse_errors
    if item["tool"] is None:
        right_tool = not calls
    elif not calls:
        right_tool = False
    else:
        c = calls[0]
        got = c.get("resolved") or c["recipient"]
        right_tool = got == item["tool"]
        if right_tool and item.get("args") is not None:
            try:
                right_tool = trimmed(json.loads(c["body"])) == trimmed(item["args"])
            except ValueError:
                right_tool = False
        elif right_tool and item.get("tool_output") is not None:
            right_tool = bool(results) and results[0]["text"].strip() == item["tool_output"].strip()
    right_answer = valid and all(a.lower() in final.lower() for a in item["answer"])
    return {"kind": item["kind"], "user": item["user"], "valid": valid, "right_tool": right_tool,
            "right_answer": right_answer, "final": final,
            "calls": [(c.get("resolved") or c["recipient"], c["body"]) for c in calls],
            "end": end[-1]["reason"] if end else "none (exit %d: %s)" % (r.returncode, r.stderr[-300:])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ossa", default=os.path.join(REPO, "build/release/ossa"))
    ap.add_argument("--model", default=None, help="default: demo-model next to --ossa")
    ap.add_argument("--n", type=int, default=120)
    ap.add_argument("--seed", default="7", metavar="SEED[,SEED...]",
                    help="the draw of items; several seeds score --n items of each together")
    ap.add_argument("--jsonl", help="write each item's result here")
    ap.add_argument("--report", help="add the summary to this JSON report (heldout_eval)")
    ap.add_argument("--values", choices=["heldout", "training"], default="heldout",
                    help="held-out phrasings always; values (numbers, file names, columns, "
                         "cities) from the held-out pools (default) or the training pools")
    args = ap.parse_args()
    tasks.HELDOUT_VALUES = args.values == "heldout"
    model = args.model or os.path.join(os.path.dirname(os.path.abspath(args.ossa)), "demo-model")
    if not os.path.exists(os.path.join(model, "config.json")):
        sys.exit("eval: no checkpoint in %s (pass --model DIR, e.g. the model/ folder "
                 "scripts/train_demo_model.py wrote)" % model)
    try:
        seeds = [int(x) for x in args.seed.split(",")]
    except ValueError:
        sys.exit("eval: --seed: expected integers separated by commas, got %r" % args.seed)
    items = [it for seed in seeds for it in make_items(args.n, seed)]
    tmp = tempfile.mkdtemp(prefix="ossa-eval-")
    open(os.path.join(tmp, "none.toml"), "w").close()
    server = None
    if port_open(8765):
        sys.exit("eval: something already listens on 127.0.0.1:8765 (the weather example's port)")
    env = dict(os.environ, WEATHER_TOKEN="eval-token")
    os.environ["WEATHER_TOKEN"] = "eval-token"
    server = subprocess.Popen([sys.executable, os.path.join(REPO, "examples/tools/weather_server.py")],
                              env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if port_open(8765):
                break
            time.sleep(0.05)
        out = []
        t0 = time.time()
        for i, item in enumerate(items):
            res = run_item(args.ossa, model, item, tmp, i)
            out.append(res)
            mark = "ok " if res["right_answer"] and res["right_tool"] else "BAD"
            print("%s %-14s %r -> %r" % (mark, res["kind"], res["user"], res["final"][:120]),
                  file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
    n = len(out)
    pct = lambda k: 100.0 * sum(r[k] for r in out) / n
    kinds = sorted({r["kind"] for r in out})
    summary = {"items": n, "seconds": round(time.time() - t0, 1),
               "valid_harmony_pct": round(pct("valid"), 1),
               "right_tool_pct": round(pct("right_tool"), 1),
               "right_answer_pct": round(pct("right_answer"), 1),
               "by_kind": {k: "%d/%d" % (sum(r["right_answer"] and r["right_tool"] for r in out if r["kind"] == k),
                                         sum(1 for r in out if r["kind"] == k)) for k in kinds}}
    if args.jsonl:
        with open(args.jsonl, "w") as f:
            for r in out:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    if args.report:
        with open(args.report) as f:
            rep = json.load(f)
        key = "heldout_eval" if args.values == "heldout" else "heldout_phrasings_eval"
        rep[key] = dict(summary, seed=seeds[0] if len(seeds) == 1 else seeds, greedy=True,
                        values=args.values)
        with open(args.report, "w") as f:
            json.dump(rep, f, indent=2)
            f.write("\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
