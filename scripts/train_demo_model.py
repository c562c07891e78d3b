#!/usr/bin/python3
"""Trains ossa's demo model: a tiny model of the exact gpt-oss architecture that does simple
agent tasks (python for arithmetic, conversions and workspace files; get_weather and word_count
from examples/tools/; greetings; honest failures). Issue 15; the runtime looks for the result
in demo-model/ next to the ossa binary (runtime/default_model.hpp).

A developer tool, not run by users or CI. Needs Debian's python3-torch and
libopenblas0-pthread (Debian's torch links the reference BLAS, ~15x slower; installing the
package switches the libblas.so.3 alternative to OpenBLAS) and a built ossa.

    /usr/bin/python3 scripts/train_demo_model.py --ossa build/release/ossa --out /tmp/demo
        [--steps 700] [--batch 16] [--lr 4e-3] [--seed 1] [--pack FILE.tar.xz]
    /usr/bin/python3 scripts/train_demo_model.py --ossa ... --out /tmp/demo2 --seed 2 --init /tmp/demo/train.pt
    /usr/bin/python3 scripts/train_demo_model.py --ossa ... --out /tmp/demo3 --seed 3 --copy-head \
        --init-model examples/demo_model/demo-model.tar.xz [--copy-names] [--random-names 0.5]
        [--multi-names 0.4] [--blank-words 0.25] [--blank-spans 0.8]
    /usr/bin/python3 scripts/train_demo_model.py --ossa ... --out /tmp/demo4 --seed 4 --copy-head \
        --init /tmp/demo3/train.pt --layers 6 --pack /tmp/demo4/demo-model.tar.xz
    /usr/bin/python3 scripts/train_demo_model.py --ossa ... --out /tmp/demo --export-only

--init continues from a run's train.pt; --init-model from an exported model (the shipped
archive), whose weights read back exactly. --copy-head, --copy-names, --random-names,
--multi-names and --fragment-names are about names (files, columns, cities) the model must copy
from a question into a call; --blank-words and --blank-spans about words of a question it never
read; --layers deepens a continued run by pairs of layers that start as the identity: see
examples/demo_model/README.md.

Writes to --out: train.pt (weights, saved every 100 steps), model/ (config.json +
model.safetensors in gpt-oss's original layout: MXFP4 experts, bf16 elsewhere, unused vocabulary
rows zero) and report.json (data, timing, losses, and the comparison of `ossa logits` on the
exported file with this script's own forward pass). --pack writes a reproducible .tar.xz (or
.tar.gz) of model/ (~2-5 MB). scripts/eval_demo_model.sh --model /tmp/demo/model scores the result.

Conversations are rendered by `ossa harmony render --api training --lines`, so the tokens are
exactly what the runtime renders and parses. Only the assistant's tokens after the last user
message are trained on, with the exact full-vocabulary loss (the rows of tokens never seen as
targets stay zero, so their logits are 0 and enter the softmax as a constant). Experts are
trained through their MXFP4 rounding (straight-through). Every batch shares one
system+developer prefix (a tool set, a date, a reasoning effort), computed once per step.

Cost: 0.55-0.95 s per step at the defaults on one core (one thread, OpenBLAS with
OPENBLAS_NUM_THREADS=1: its own threads make these small matmuls ~20x slower). The shipped
model took several runs chained with --init / --init-model (examples/demo_model/README.md
lists them). Values are copied late: the model calls the right tool long before it copies
numbers and names into the code and the answer.
"""
import argparse
import json
import os

# One thread everywhere: OpenBLAS's own threads make small matmuls ~20x slower on a busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
# examples/tools/secrets.toml reads get_weather's token from here (the demo server takes any).
os.environ.setdefault("WEATHER_TOKEN", "demo-token")
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_model"))
import tasks  # noqa: E402

CONFIG = {
    "num_hidden_layers": 4, "num_experts": 8, "experts_per_token": 2, "vocab_size": 201088,
    "hidden_size": 128, "intermediate_size": 128, "swiglu_limit": 7.0, "head_dim": 32,
    "num_attention_heads": 4, "num_key_value_heads": 2, "sliding_window": 64,
    "initial_context_length": 4096, "rope_theta": 150000.0, "rope_scaling_factor": 32.0,
    "rope_ntk_alpha": 1.0, "rope_ntk_beta": 32.0,
}
START, END, MESSAGE, CHANNEL, CALL, RETURN, CONSTRAIN = 200006, 200007, 200008, 200005, 200012, 200002, 200003
ENDOFTEXT = 199999


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# What ossa itself says: prefixes, tool failure texts, rendering


def run(cmd, inp=None, check=True):
    r = subprocess.run(cmd, input=inp, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise SystemExit("failed: %s\n%s" % (" ".join(cmd), r.stderr[-2000:]))
    return r


def prefixes_from_ossa(ossa, work, repo):
    """The system and developer messages `ossa run` starts each tool set with, read from real
    transcripts (a synthetic model, one token)."""
    synth = os.path.join(work, "synth")
    if not os.path.exists(os.path.join(synth, "config.json")):
        run([ossa, "model", "synth", "--preset", "tiny-harmony", "--out", synth, "--seed", "1"])
    out = {}
    for name in tasks.TRAIN_TOOLSETS:
        flags = tasks.TOOLSETS[name][0]
        tr = os.path.join(work, "prefix-%s.jsonl" % name.replace("+", "_"))
        if os.path.exists(tr):
            os.remove(tr)
        flags = [os.path.join(repo, f) if f.startswith("examples/tools") else f for f in flags]
        run([ossa, "run", "--model", synth, "--max-tokens", "1", "--transcript", tr,
             "--workspace", work, "--date", "2026-01-01"] + flags + ["hi"], check=False)
        msgs = [json.loads(l)["message"] for l in open(tr) if '"type":"message"' in l]
        out[name] = [m for m in msgs if m["role"] in ("system", "developer")]
        assert out[name] and out[name][0]["role"] == "system", name
    return out


def down_text_from_ossa(ossa, repo):
    """get_weather's reply when nothing listens on its port (the closed-port failure)."""
    r = run([ossa, "tools", "call", "--tools-dir", os.path.join(repo, "examples/tools"),
             "--config", os.path.join(repo, "examples/tools/secrets.toml"),
             "functions.get_weather", '{"city": "Oslo"}'], check=False)
    try:
        text = json.loads(r.stdout)["text"]
    except (ValueError, KeyError):
        raise SystemExit("cannot read `ossa tools call` output: %r %r" % (r.stdout, r.stderr))
    if "HTTP 200" in text:
        raise SystemExit("something answers on the weather port; stop it before training")
    return text


def render_lines(ossa, convs, auto_drop):
    cmd = [ossa, "harmony", "render", "--api", "training", "--lines"]
    if auto_drop:
        cmd.append("--auto-drop-analysis")
    r = run(cmd, inp="".join(json.dumps(c, ensure_ascii=False) + "\n" for c in convs))
    out = [json.loads(l) for l in r.stdout.splitlines()]
    for o in out:
        if "error" in o:
            raise SystemExit("render: " + o["error"])
    assert len(out) == len(convs)
    return [o["tokens"] for o in out]


def tokens_of(ossa, texts):
    """The o200k ids of several texts: up to 2,000 per `ossa tokenize`, joined by <|endoftext|>
    (encoded as the special token, which splits the text as the tokenizer's own special-token
    split does, so each text gets the ids it gets alone)."""
    sep = "<|endoftext|>"
    out = []
    for lo in range(0, len(texts), 2000):
        part = texts[lo:lo + 2000]
        assert not any("<|" in t for t in part), "a text holds special-token syntax"
        ids = json.loads(run([ossa, "tokenize", "--allow-special"], inp=sep.join(part)).stdout)
        ids = ids["tokens"] if isinstance(ids, dict) else ids
        cur = [[]]
        for i in ids:
            if i == ENDOFTEXT:
                cur.append([])
            else:
                cur[-1].append(i)
        assert len(cur) == len(part)
        out += cur
    return out


def token_id(ossa, text):
    ids = tokens_of(ossa, [text])[0]
    assert len(ids) == 1, (text, ids)
    return ids[0]


def name_tokens(ossa):
    """The tokens of the names tasks copy into calls (tasks.copied_names, as written after a
    space, as given and lower-cased), less those the fixed answers also write (" data" in "no
    data for it"): those keep their own output rows."""
    fixed = [tasks.HELLO_ANSWER] + [a for _, a in tasks.CHAT] + tasks.FIXED_ANSWER_WORDS
    keep = {t for ids in tokens_of(ossa, fixed) for t in ids}
    return sorted(said_tokens(ossa, tasks.copied_names()) - keep)


def said_tokens(ossa, names):
    """Every token of the names as a call writes them (after a space), as given and lower-cased
    (dress() may lower-case a question)."""
    spaced = sorted({tasks.as_said(n) for n in names} | {tasks.as_said(n.lower()) for n in names})
    return {t for ids in tokens_of(ossa, spaced) for t in ids}


def token_texts(ossa, ids):
    """The text of each token on its own (invalid UTF-8 replaced), decoded by ossa 4,000 at a
    time, each followed by <|endoftext|>, whose text no token's contains."""
    ids = list(ids)
    texts = []
    for lo in range(0, len(ids), 4000):
        flat = []
        for i in ids[lo:lo + 4000]:
            flat += [i, ENDOFTEXT]
        raw = subprocess.run([ossa, "tokenize", "--decode"], input=json.dumps(flat).encode(),
                             capture_output=True, check=True).stdout
        texts += raw.decode("utf-8", "replace").split("<|endoftext|>")[:-1]
    return texts


def random_name_pools(ossa, n_lower, n_capital):
    """tasks.RANDOM_LOWER / RANDOM_CAPITAL: words that are one o200k token after a space, 4-9
    letters, not a word of any phrasing, answer or held-out name, chosen with a fixed seed (so
    runs that continue one another share them)."""
    import re
    taken = set()
    for v in vars(tasks).values():
        items = v if isinstance(v, list) else []
        for x in items:
            for t in (x if isinstance(x, tuple) else (x,)):
                for y in (t if isinstance(t, list) else [t]):
                    if isinstance(y, str):
                        taken.update(w.lower() for w in re.findall(r"[A-Za-z]+", y))
    taken.update(w.lower() for w in re.findall(r"[A-Za-z]+", tasks.HELLO_ANSWER))
    lower, capital = [], []
    for piece in token_texts(ossa, range(199998)):
        if re.fullmatch(r" [a-z]{4,9}", piece) and piece[1:] not in taken:
            lower.append(piece[1:])
        elif re.fullmatch(r" [A-Z][a-z]{3,9}", piece) and piece[1:].lower() not in taken:
            capital.append(piece[1:])
    rng = random.Random(0)
    return sorted(rng.sample(lower, n_lower)), sorted(rng.sample(capital, n_capital))


def multi_name_pools(ossa, known, n_lower, n_capital):
    """tasks.RANDOM_MULTI: compounds of two random names ("lantern" + "meadow", "Oxford" +
    "vale", joined bare, with "_" or "-") that are two or three o200k tokens after a space, all
    of them tokens in `known` (the vocabulary of the run continued, when there is one: new
    rows would grow the shipped archive). Fixed seed, like random_name_pools."""
    rng = random.Random(1)
    lows = tasks.RANDOM_LOWER + tasks.WORDS
    pools = {}
    for key, heads, n in (("lower", lows, n_lower), ("capital", tasks.RANDOM_CAPITAL, n_capital)):
        cands = sorted({rng.choice(heads) + rng.choice(["", "", "_", "-"]) + rng.choice(lows)
                        for _ in range(n * 12)})
        rng.shuffle(cands)
        ok = [c for c, ids in zip(cands, tokens_of(ossa, [tasks.as_said(c) for c in cands]))
              if 2 <= len(ids) <= 3 and (known is None or all(t in known for t in ids))]
        pools[key] = sorted(ok[:n])
    return pools


def log_pools(what, pools):
    log("%s: %d lower-case, %d capitalised, e.g. %s" % (
        what, len(pools["lower"]), len(pools["capital"]), pools["lower"][:3] + pools["capital"][:3]))


def fragment_name_pools(ossa, init, n_lower, n_capital):
    """tasks.RANDOM_FRAGMENT: names made of word pieces (" chang" + "elog" is how o200k cuts
    "changelog"), a space-led piece and one or two bare pieces, two or three tokens after a
    space. Compounds of whole words teach copying on to a second word; a held-out name is more
    often cut inside a word, into pieces that are never words.

    Pieces come from the continued run's input vocabulary (new rows would grow the shipped
    archive) and must not be tokens it writes in other roles: a name's tokens write through the
    copy head only (--copy-names), so a piece the run writes freely (in code, in answers) would
    lose its own output row. No piece of a held-out name is used: those names stay unseen in the
    role of a name. Fixed seed, like random_name_pools."""
    import re
    known = set(init["vin"])
    allowed = known - (set(init.get("targets", init["vout"])) - set(init.get("copied", ())))
    held = tasks.STEMS_HELD + tasks.COLUMNS_HELD + tasks.CITIES_HELD
    held_tok = said_tokens(ossa, held)
    pieces = token_texts(ossa, sorted(allowed - held_tok))
    heads = {"lower": sorted(p for p in pieces if re.fullmatch(r" [a-z]{2,8}", p)),
             "capital": sorted(p for p in pieces if re.fullmatch(r" [A-Z][a-z]{1,8}", p))}
    tails = sorted(p for p in pieces if re.fullmatch(r"[a-z]{2,6}", p))
    if not (heads["lower"] and heads["capital"] and tails):
        sys.exit("train_demo_model.py: --fragment-names: the continued run reads no word pieces it "
                 "does not also write in another role")
    held_names = {n.lower() for n in held}
    rng = random.Random(2)
    pools = {}
    for key, n in (("lower", n_lower), ("capital", n_capital)):
        cands = sorted({(rng.choice(heads[key]) + rng.choice(tails) +
                         (rng.choice(tails) if rng.random() < 0.3 else ""))[1:]
                        for _ in range(n * 6)})
        rng.shuffle(cands)
        ok = [c for c, t in zip(cands, tokens_of(ossa, [tasks.as_said(c) for c in cands]))
              if 2 <= len(t) <= 3 and all(x in allowed and x not in held_tok for x in t)
              and c.lower() not in held_names]
        pools[key] = sorted(ok[:n])
    log("word pieces for names: %d heads (lower), %d heads (capital), %d tails" % (
        len(heads["lower"]), len(heads["capital"]), len(tails)))
    return pools


# ---------------------------------------------------------------------------------------------
# Data


def dated(prefix_msgs, date, effort):
    msgs = json.loads(json.dumps(prefix_msgs))
    sc = msgs[0]["content"][0]
    sc["conversation_start_date"] = date
    sc["reasoning_effort"] = effort
    return msgs


def random_date(rng):
    return "%04d-%02d-%02d" % (rng.choice([2025, 2026, 2026, 2027]), rng.randint(1, 12), rng.randint(1, 28))


def make_groups(ossa, prefixes, n_groups, batch, seed, heldout, down_text, work):
    """n_groups batches: each one prefix (tool set, date, effort) and `batch` conversations."""
    rng = random.Random(seed)
    ws = tasks.SimWorkspace(tasks.scratch_root("dm"), rng, down_text)
    groups = []
    single, multi = [], []  # (group, slot, conversation)
    for g in range(n_groups):
        toolset = rng.choice(tasks.TRAIN_TOOLSETS)
        date = random_date(rng)
        effort = rng.choice(["medium"] * 6 + ["low", "high"])
        pre = dated(prefixes[toolset], date, effort)
        groups.append({"toolset": toolset, "prefix_msgs": pre, "samples": [None] * batch, "kinds": []})
        for i in range(batch):
            s = tasks.gen_sample(rng, heldout, ws, toolset)
            body = s.messages
            two = rng.random() < 0.1
            if two:
                s2 = tasks.gen_sample(rng, heldout, ws, toolset)
                body = body + s2.messages
                s = s2
            groups[-1]["kinds"].append(s.kind)
            (multi if two else single).append((g, i, {"messages": pre + body}))
    shutil.rmtree(ws.root, ignore_errors=True)
    for items, drop in ((single, False), (multi, True)):
        toks = render_lines(ossa, [c for _, _, c in items], drop)
        for (g, i, _), t in zip(items, toks):
            groups[g]["samples"][i] = t
    pre_convs = [{"messages": gr["prefix_msgs"]} for gr in groups]
    r = run([ossa, "harmony", "render", "--api", "conversation", "--lines"],
            inp="".join(json.dumps(c, ensure_ascii=False) + "\n" for c in pre_convs))
    pre_toks = [json.loads(l)["tokens"] for l in r.stdout.splitlines()]
    for gr, p in zip(groups, pre_toks):
        gr["prefix"] = p
        for i, t in enumerate(gr["samples"]):
            assert t[:len(p)] == p, "a conversation does not start with its prefix"
            gr["samples"][i] = t[len(p):]
        del gr["prefix_msgs"]
    return groups


def target_mask(suffix, assistant_id, user_id):
    """1 where the token is written by the assistant after the last user message: everything
    after "<|start|>assistant" (which the runtime's prompt supplies) through the message's
    <|end|>, <|call|> or <|return|>."""
    mask = [0] * len(suffix)
    user_starts = [j for j in range(len(suffix) - 1) if suffix[j] == START and suffix[j + 1] == user_id]
    in_asst = False
    j = user_starts[-1] if user_starts else 0
    while j < len(suffix):
        t = suffix[j]
        if t == START:
            in_asst = j + 1 < len(suffix) and suffix[j + 1] == assistant_id
            j += 2
            continue
        if in_asst:
            mask[j] = 1
            if t in (END, CALL, RETURN):
                in_asst = False
        j += 1
    return mask


def blanked(suffix, mask, user_id, rng, rate, span_share):
    """The suffix with words of its user messages made unknown, and the mask to match: each
    token of a user message's text that the assistant does not write back (so never a name or
    number it must copy) becomes a blank with probability `rate`, and with probability
    `span_share` 1-4 blanks are inserted at a random point of the last user message. A blank
    reads as a zero vector, which is what a word outside the shipped vocabulary is; without
    them every phrasing word the model never saw is a hole it has never learnt to step over.
    Returns (tokens, mask, blank flags)."""
    written = {t for t, k in zip(suffix, mask) if k}
    spans = []
    j = 0
    while j < len(suffix) - 1:
        if suffix[j] == START and suffix[j + 1] == user_id:
            a = suffix.index(MESSAGE, j) + 1
            b = suffix.index(END, a)
            spans.append((a, b))
            j = b
        j += 1
    inside = set()
    for a, b in spans:
        inside.update(range(a, b))
    at, n_ins = -1, 0
    if spans and rng.random() < span_share:
        a, b = spans[-1]
        at, n_ins = rng.randint(a, b), rng.randint(1, 4)
    toks, mk, bl = [], [], []
    for j, t in enumerate(suffix):
        if j == at:
            toks += [t] * n_ins  # any id: the flag zeroes it
            mk += [0] * n_ins
            bl += [True] * n_ins
        toks.append(t)
        mk.append(mask[j])
        bl.append(j in inside and t not in written and rng.random() < rate)
    return toks, mk, bl


USER_ID = None

# ---------------------------------------------------------------------------------------------
# The model (gpt-oss forward, GPTOSS_SPEC section 3)

FP4_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]

# Each layer's weights: the Model attribute and the checkpoint name under block.N. (gpt-oss's
# original layout), in the order the export writes them; the experts are MXFP4, the rest bf16.
LAYER_TENSORS = [("attn_norm", "attn.norm.scale"), ("qkv_w", "attn.qkv.weight"),
                 ("qkv_b", "attn.qkv.bias"), ("sinks", "attn.sinks"), ("out_w", "attn.out.weight"),
                 ("out_b", "attn.out.bias"), ("mlp_norm", "mlp.norm.scale"),
                 ("gate_w", "mlp.gate.weight"), ("gate_b", "mlp.gate.bias"),
                 ("mlp1_w", "mlp.mlp1_weight"), ("mlp1_b", "mlp.mlp1_bias"),
                 ("mlp2_w", "mlp.mlp2_weight"), ("mlp2_b", "mlp.mlp2_bias")]
MXFP4_TENSORS = {"mlp1_w", "mlp2_w"}


def mantissa(x, bits):
    """x (float32) rounded to the nearest value with `bits` mantissa bits: a bf16 value whose
    7 - bits lowest mantissa bits are zero (--emb-bits: such rows compress far better)."""
    import torch
    if bits >= 7:
        return x
    drop = 23 - bits
    i = x.contiguous().view(torch.int32)
    # Floats are sign and magnitude: adding half a step to the bits rounds the magnitude.
    return ((i + (1 << (drop - 1))) & -(1 << drop)).view(x.dtype)


def build(torch):
    nn = torch.nn
    F = torch.nn.functional
    C = CONFIG
    H, d, Hq, Hkv = C["hidden_size"], C["head_dim"], C["num_attention_heads"], C["num_key_value_heads"]
    E, I, L = C["num_experts"], C["intermediate_size"], C["num_hidden_layers"]
    W = C["sliding_window"]
    mags = torch.tensor(FP4_VALUES)

    def fp4(w):
        """MXFP4 round trip of w [..., K] in groups of 32 (the exporter's exact rounding)."""
        shp = w.shape
        g = w.reshape(*shp[:-1], shp[-1] // 32, 32)
        amax = g.abs().amax(-1, keepdim=True).clamp_min(2.0 ** -120)
        e = torch.ceil(torch.log2(amax / 6.0)).clamp(-127, 127)
        x = g / torch.exp2(e)
        idx = (x.abs().unsqueeze(-1) - mags).abs().argmin(-1)
        q = mags[idx] * torch.sign(x) * torch.exp2(e)
        return q.reshape(shp), idx, torch.sign(x), e

    def ste(w):
        return w + (fp4(w)[0] - w).detach()

    def ste_mant(w, bits):
        """w through its rounding to `bits` mantissa bits (straight-through), if below bf16's 7."""
        return w if bits >= 7 else w + (mantissa(w.detach(), bits) - w).detach()

    def rope_tables(n):
        s, theta, L0 = C["rope_scaling_factor"], C["rope_theta"], C["initial_context_length"]
        alpha, beta = C["rope_ntk_alpha"], C["rope_ntk_beta"]
        D = d // 2
        freq = theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
        conc = 0.1 * math.log(s) + 1.0
        low = D * math.log(L0 / (beta * 2 * math.pi)) / math.log(theta)
        high = D * math.log(L0 / (alpha * 2 * math.pi)) / math.log(theta)
        ramp = (torch.arange(D, dtype=torch.float64) - low) / (high - low)
        keep = 1 - ramp.clamp(0, 1)
        inv = keep / freq + (1 - keep) / (s * freq)
        ang = torch.arange(n, dtype=torch.float32)[:, None] * inv.float()[None, :]
        return (torch.cos(ang) * conc).float(), (torch.sin(ang) * conc).float()

    def rope(x, cos, sin):  # x [..., T, heads, d]; cos [T, D]
        x1, x2 = x[..., : d // 2], x[..., d // 2:]
        c, s_ = cos[:, None, :], sin[:, None, :]
        return torch.cat([x1 * c - x2 * s_, x2 * c + x1 * s_], -1)

    class Model(nn.Module):
        def __init__(self, n_in, n_out, copy=None):
            """copy: (input row of each output token or -1, 1 where the output row is free) for
            the copy head; without it every output row is free."""
            super().__init__()
            std = 0.02
            self.emb = nn.Parameter(torch.randn(n_in, H) * std)
            self.unemb = nn.Parameter(torch.randn(n_out, H) * std)
            self.copy_p = None
            if copy is not None:
                # The copy head: an output token's row is its own free row (only for tokens that
                # were output targets) plus its input embedding times one shared H x H map. A token
                # the model only ever read (a held-out file stem or city) still gets a row, the
                # same map as every token it learned to copy, so copying can reach it.
                self.copy_p = nn.Parameter(torch.zeros(H, H))
                self.register_buffer("head_in", torch.tensor(copy[0], dtype=torch.long))
                self.register_buffer("head_free", torch.tensor(copy[1], dtype=torch.float32))
            self.norm = nn.Parameter(torch.ones(H))
            self.layers = nn.ModuleList()
            for _ in range(L):
                m = nn.Module()
                m.attn_norm = nn.Parameter(torch.ones(H))
                m.qkv_w = nn.Parameter(torch.randn(d * (Hq + 2 * Hkv), H) * std)
                m.qkv_b = nn.Parameter(torch.zeros(d * (Hq + 2 * Hkv)))
                m.sinks = nn.Parameter(torch.zeros(Hq))
                m.out_w = nn.Parameter(torch.randn(H, Hq * d) * std / math.sqrt(2 * L))
                m.out_b = nn.Parameter(torch.zeros(H))
                m.mlp_norm = nn.Parameter(torch.ones(H))
                m.gate_w = nn.Parameter(torch.randn(E, H) * std)
                m.gate_b = nn.Parameter(torch.zeros(E))
                m.mlp1_w = nn.Parameter(torch.randn(E, 2 * I, H) * std)
                m.mlp1_b = nn.Parameter(torch.zeros(E, 2 * I))
                m.mlp2_w = nn.Parameter(torch.randn(E, H, I) * std / math.sqrt(2 * L))
                m.mlp2_b = nn.Parameter(torch.zeros(E, H))
                self.layers.append(m)
            self.cos, self.sin = rope_tables(8192)
            self.quant = True
            self.emb_bits = 7  # --emb-bits: mantissa bits the export keeps of the vocabulary rows

        def head(self, emb=None, unemb=None, copy_p=None):
            """The unembedding rows [n_out, H] (optionally from other copies of the weights)."""
            emb = self.emb if emb is None else emb
            unemb = self.unemb if unemb is None else unemb
            if self.copy_p is None:
                return ste_mant(unemb, self.emb_bits)
            copy_p = self.copy_p if copy_p is None else copy_p
            e = emb[self.head_in.clamp(min=0)] * (self.head_in >= 0).to(emb.dtype)[:, None]
            return ste_mant(unemb * self.head_free[:, None] + e @ copy_p, self.emb_bits)

        @staticmethod
        def rms(x, g):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * g

        def moe(self, m, x):  # x [N, H]
            t = self.rms(x, m.mlp_norm)
            g = t @ m.gate_w.t() + m.gate_b
            topv, topi = torch.topk(g, C["experts_per_token"], dim=-1, sorted=True)
            w = torch.softmax(topv, -1)
            w1 = ste(m.mlp1_w) if self.quant else m.mlp1_w
            w2 = ste(m.mlp2_w) if self.quant else m.mlp2_w
            out = torch.zeros_like(x)
            lim = C["swiglu_limit"]
            for e in range(E):
                tok, slot = torch.nonzero(topi == e, as_tuple=True)
                if tok.numel() == 0:
                    continue
                u = t[tok] @ w1[e].t() + m.mlp1_b[e]
                gl, li = u[:, 0::2].clamp(max=lim), u[:, 1::2].clamp(-lim, lim)
                a = gl * torch.sigmoid(1.702 * gl) * (li + 1)
                y = a @ w2[e].t() + m.mlp2_b[e]
                out = out.index_add(0, tok, y * w[tok, slot][:, None])
            return x + out

        def qkv(self, m, x, pos0):
            t = self.rms(x, m.attn_norm)
            z = t @ m.qkv_w.t() + m.qkv_b
            T = z.shape[-2]
            q = z[..., : Hq * d].unflatten(-1, (Hq, d))
            k = z[..., Hq * d:(Hq + Hkv) * d].unflatten(-1, (Hkv, d))
            v = z[..., (Hq + Hkv) * d:].unflatten(-1, (Hkv, d))
            cos, sin = self.cos[pos0:pos0 + T], self.sin[pos0:pos0 + T]
            return rope(q, cos, sin), rope(k, cos, sin), v

        def forward(self, pre, suf, blank=None):
            """pre [P] ids, suf [B, S] ids -> hidden states of the suffix [B, S, H]. blank [B, S]:
            where true the input is a zero vector, as for a token the shipped model never read
            (its embedding row is zero)."""
            P = pre.shape[0]
            B, S = suf.shape
            emb = ste_mant(self.emb, self.emb_bits)
            xp, xs = emb[pre], emb[suf]
            if blank is not None:
                xs = xs * (~blank)[..., None].to(xs.dtype)
            G = Hq // Hkv
            scale = 1.0 / math.sqrt(d)
            ip = torch.arange(P)
            iss = torch.arange(S)
            for li, m in enumerate(self.layers):
                sliding = li % 2 == 0
                qp, kp, vp = self.qkv(m, xp, 0)
                qs, ks, vs = self.qkv(m, xs, P)
                sink = m.sinks.view(Hkv, G)
                # prefix: causal within itself
                qpg = qp.view(P, Hkv, G, d)
                sc = torch.einsum("tkgd,skd->kgts", qpg, kp) * scale
                allowed = ip[None, :] <= ip[:, None]
                if sliding:
                    allowed &= (ip[:, None] - ip[None, :]) < W
                sc = sc.masked_fill(~allowed, float("-inf"))
                sc = torch.cat([sc, sink[:, :, None, None].expand(Hkv, G, P, 1)], -1)
                pr = torch.softmax(sc, -1)[..., :P]
                op = torch.einsum("kgts,skd->tkgd", pr, vp).reshape(P, Hq * d)
                # suffix: the prefix's keys (only the last W-1 matter on sliding layers) + its own
                kp_, vp_ = kp, vp
                p0 = 0
                if sliding and P > W - 1:
                    p0 = P - (W - 1)
                    kp_, vp_ = kp[p0:], vp[p0:]
                Pk = kp_.shape[0]
                qsg = qs.view(B, S, Hkv, G, d)
                s1 = torch.einsum("btkgd,skd->bkgts", qsg, kp_) * scale
                s2 = torch.einsum("btkgd,bskd->bkgts", qsg, ks) * scale
                qpos = P + iss
                kpos1 = p0 + torch.arange(Pk)
                a1 = torch.ones(S, Pk, dtype=torch.bool)
                a2 = iss[None, :] <= iss[:, None]
                if sliding:
                    a1 = (qpos[:, None] - kpos1[None, :]) < W
                    a2 = a2 & ((iss[:, None] - iss[None, :]) < W)
                s1 = s1.masked_fill(~a1, float("-inf"))
                s2 = s2.masked_fill(~a2, float("-inf"))
                sc = torch.cat([s1, s2, sink[None, :, :, None, None].expand(B, Hkv, G, S, 1)], -1)
                pr = torch.softmax(sc, -1)
                os_ = (torch.einsum("bkgts,skd->btkgd", pr[..., :Pk], vp_) +
                       torch.einsum("bkgts,bskd->btkgd", pr[..., Pk:Pk + S], vs)).reshape(B, S, Hq * d)
                xp = xp + op @ m.out_w.t() + m.out_b
                xs = xs + os_ @ m.out_w.t() + m.out_b
                flat = self.moe(m, torch.cat([xp, xs.reshape(B * S, H)], 0))
                xp, xs = flat[:P], flat[P:].view(B, S, H)
            return self.rms(xs, self.norm)

    return Model, fp4, ste


def train(args, torch):
    global USER_ID
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ossa = os.path.abspath(args.ossa)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    prefixes = prefixes_from_ossa(ossa, work, repo)
    down = down_text_from_ossa(ossa, repo)
    assistant_id = token_id(ossa, "assistant")
    USER_ID = token_id(ossa, "user")
    log("prefix lengths:", {k: len(json.dumps(v)) for k, v in prefixes.items()})
    init = torch.load(args.init) if args.init else None
    if args.init_model:
        init = checkpoint_of_model(torch, args.init_model, work)
    # The continued run's input vocabulary: what --keep-vocab keeps, and what multi-token
    # names are built from.
    init_vin = set(init["vin"]) if init else None
    known = init_vin if args.keep_vocab else None
    if known is not None and tasks.RANDOM_NAMES:
        for pool in (tasks.RANDOM_LOWER, tasks.RANDOM_CAPITAL):
            ids = tokens_of(ossa, [tasks.as_said(w) for w in pool])
            pool[:] = [w for w, i in zip(pool, ids) if all(t in known for t in i)]
        log("--keep-vocab: random names the continued run has read: %d lower-case, %d capitalised" % (
            len(tasks.RANDOM_LOWER), len(tasks.RANDOM_CAPITAL)))
    if args.multi_names:
        # Only tokens the continued run already reads: new rows would grow the shipped archive.
        tasks.MULTI_NAMES = args.multi_names
        tasks.RANDOM_MULTI = multi_name_pools(ossa, init_vin, 600, 300)
        log_pools("multi-token names", tasks.RANDOM_MULTI)
    if args.fragment_names:
        tasks.FRAGMENT_NAMES = args.fragment_names
        tasks.RANDOM_FRAGMENT = fragment_name_pools(ossa, init, 800, 300)
        log_pools("word-piece names", tasks.RANDOM_FRAGMENT)
    groups = make_groups(ossa, prefixes, args.steps, args.batch, args.seed, False, down, work)
    t_data = time.time() - t0
    n_tok = sum(len(g["prefix"]) + sum(len(s) for s in g["samples"]) for g in groups)
    log("data: %d groups in %.0f s, %d tokens" % (len(groups), t_data, n_tok))

    # With --keep-vocab the vocabulary is the continued run's: a new token the assistant only
    # reads becomes a blank (what an unknown word is at run time), and a conversation in which
    # the assistant would write one is left out.
    vin, vout = set(), set()
    masks = []
    n_dropped = 0
    for g in groups:
        if known is not None:
            missing = set(g["prefix"]) - known
            if missing:
                sys.exit("train_demo_model.py: --keep-vocab: the system and developer messages have "
                         "%d tokens the continued run never read" % len(missing))
        vin.update(g["prefix"])
        gm, kept = [], []
        for s in g["samples"]:
            mk = target_mask(s, assistant_id, USER_ID)
            if known is not None and any(k and t not in known for t, k in zip(s, mk)):
                n_dropped += 1
                continue
            vin.update(t for t in s if known is None or t in known)
            vout.update(t for t, k in zip(s, mk) if k)
            gm.append(mk)
            kept.append(s)
        if not kept:
            sys.exit("train_demo_model.py: --keep-vocab left a step with no conversation")
        g["samples"] = kept
        masks.append(gm)
    if known is not None:
        log("--keep-vocab: %d conversations left out (the answer needs a new token)" % n_dropped)
    args.copied = name_tokens(ossa) if args.copy_names else []
    if args.copied and not args.copy_head:
        sys.exit("train_demo_model.py: --copy-names needs --copy-head")
    if init and init.get("copy_head") and not args.copy_head:
        sys.exit("train_demo_model.py: %s has a copy head; continue it with --copy-head" % args.init)
    if init:  # keep every token the first run knew, so its rows carry over
        vin.update(init["vin"])
        vout.update(init.get("targets", init["vout"]))
    vin, targets = sorted(vin), sorted(vout)
    # The output rows: the target tokens, and with the copy head every input token too.
    vout = sorted(set(vin) | set(targets)) if args.copy_head else targets
    in_ix = {t: i for i, t in enumerate(vin)}
    out_ix = {t: i for i, t in enumerate(vout)}
    log("vocabulary: %d input tokens, %d target tokens, %d output rows" % (len(vin), len(targets), len(vout)))

    n_old = layers_in(init["state"]) if init else None
    if args.layers is None:
        args.layers = n_old or CONFIG["num_hidden_layers"]
    if n_old and not (n_old <= args.layers and (args.layers - n_old) % 2 == 0):
        sys.exit("train_demo_model.py: --layers %d: a run of %d layers grows only by pairs of layers"
                 % (args.layers, n_old))
    CONFIG["num_hidden_layers"] = args.layers
    Model, fp4, _ = build(torch)
    model = Model(len(vin), len(vout), copy_map(vin, targets, vout, args.copied) if args.copy_head else None)
    model.emb_bits = args.emb_bits
    log("%d name tokens write through the copy head only" % len(set(args.copied) & set(vout)))
    if init:
        # Continue from an earlier run: its weights, with its embedding and unembedding rows
        # moved to where the (larger) vocabulary of this run puts them; a copy head the earlier
        # run lacked starts at zero, so training starts from the earlier model's outputs.
        state = dict(init["state"])
        with torch.no_grad():
            emb, unemb = model.emb.detach().clone(), model.unemb.detach().clone()
            emb[torch.tensor([in_ix[t] for t in init["vin"]])] = state["emb"]
            unemb[torch.tensor([out_ix[t] for t in init["vout"]])] = state["unemb"]
        state["emb"], state["unemb"] = emb, unemb
        own = model.state_dict()
        for k in ("head_in", "head_free"):  # this run's vocabulary, not the earlier one's
            if k in own:
                state[k] = own[k]
        if "copy_p" in own and "copy_p" not in state:
            state["copy_p"] = own["copy_p"]
        if n_old < args.layers:
            state = grow(state, own, n_old, args.layers)
            log("grown from %d to %d layers: %s" % (n_old, args.layers, grown_order(n_old, args.layers)))
        model.load_state_dict(state)
        log("continuing from %s (%d steps)" % (args.init or args.init_model, init["steps"]))
        prev = init["args"].get("previous", [])
        args.previous = prev + [{"seed": init["args"]["seed"], "steps": init["steps"],
                                 "lr": init["args"]["lr"], "train_seconds": round(init["t_train"], 1),
                                 "loss_last_50": sum(init["losses"][-50:]) / max(1, len(init["losses"][-50:]))}]
    n_zero = CONFIG["vocab_size"] - len(vout)
    log_zero = math.log(n_zero)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)
    warm = 100 if not init else 50

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        p = (step - warm) / max(1, args.steps - warm)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))

    losses = []
    t_train = time.time()
    for step, g in enumerate(groups):
        for pg in opt.param_groups:
            pg["lr"] = lr_at(step)
        blanking = args.blank_words or args.blank_spans
        if blanking:
            brng = random.Random(args.seed * 100003 + step)
            cut = [blanked(s, mk, USER_ID, brng, args.blank_words, args.blank_spans)
                   for s, mk in zip(g["samples"], masks[step])]
        else:
            cut = [(s, mk, [False] * len(s)) for s, mk in zip(g["samples"], masks[step])]
        samples, smasks, blanks = [c[0] for c in cut], [c[1] for c in cut], None
        S = max(len(s) for s in samples)
        pre = torch.tensor([in_ix[t] for t in g["prefix"]])
        suf = torch.zeros(len(samples), S, dtype=torch.long)
        if blanking or known is not None:
            blanks = torch.zeros(len(samples), S, dtype=torch.bool)
            for b, (s, _, flags) in enumerate(cut):
                blanks[b, :len(s)] = torch.tensor([f or t not in in_ix for t, f in zip(s, flags)])
        tgt_rows, tgt_cols, tgt_ids = [], [], []
        for b, (s, mk) in enumerate(zip(samples, smasks)):
            suf[b, :len(s)] = torch.tensor([in_ix.get(t, 0) for t in s])
            for j in range(1, len(s)):
                if mk[j]:
                    tgt_rows.append(b)
                    tgt_cols.append(j - 1)
                    tgt_ids.append(out_ix[s[j]])
        h = model(pre, suf, blanks)
        hs = h[torch.tensor(tgt_rows), torch.tensor(tgt_cols)]
        logits = hs @ model.head().t()
        lse = torch.logsumexp(torch.cat([logits, torch.full((logits.shape[0], 1), log_zero)], 1), 1)
        tgt = torch.tensor(tgt_ids)
        loss = (lse - logits.gather(1, tgt[:, None])[:, 0]).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == len(groups) - 1:
            el = time.time() - t_train
            log("step %d/%d loss %.4f (avg50 %.4f) %.2f s/step, %.1f min" % (
                step, len(groups), losses[-1], sum(losses[-50:]) / len(losses[-50:]),
                el / (step + 1), el / 60))
        if step % 100 == 99:
            save(torch, model, vin, vout, targets, args, losses, t_data, time.time() - t_train, n_tok, step + 1)
    save(torch, model, vin, vout, targets, args, losses, t_data, time.time() - t_train, n_tok, len(groups))
    return model, vin, vout


def layers_in(state):
    """How many transformer layers a checkpoint's state holds."""
    return 1 + max(int(k.split(".")[1]) for k in state if k.startswith("layers."))


def grown_order(n_old, n_new):
    """Where each layer of a model grown from n_old to n_new layers comes from: an old layer's
    index, or None for a new one. New layers come in pairs (sliding, then full attention), a pair
    after each of the first old pairs, so every old layer keeps its parity and with it its kind of
    attention (even layers slide)."""
    extra, order = (n_new - n_old) // 2, []
    for p in range(n_old // 2):
        order += [2 * p, 2 * p + 1] + ([None, None] if p < extra else [])
    return order + [None] * (n_new - len(order))


def grow(state, own, n_old, n_new):
    """An earlier run's state spread over a deeper model (grown_order). A new layer starts as
    the identity: its attention output and its experts' second matrices and biases are zero,
    so the grown model computes exactly what the earlier one did and training goes on from
    there; its other weights keep their random start, so gradients reach them once the outputs
    move off zero."""
    out = {k: v for k, v in state.items() if not k.startswith("layers.")}
    for i, src in enumerate(grown_order(n_old, n_new)):
        for ours, _ in LAYER_TENSORS:
            key = "layers.%d.%s" % (i, ours)
            if src is not None:
                out[key] = state["layers.%d.%s" % (src, ours)]
            elif ours in ("out_w", "out_b", "mlp2_w", "mlp2_b"):
                out[key] = own[key].new_zeros(own[key].shape)
            else:
                out[key] = own[key]
    return out


def copy_map(vin, targets, vout, copied=()):
    """For Model's copy head: each output row's input row (-1: never an input) and whether
    the row is free (a target token's, unless it is a copied name's: name_tokens)."""
    in_ix = {t: i for i, t in enumerate(vin)}
    free = set(targets) - set(copied)
    return [in_ix.get(t, -1) for t in vout], [1.0 if t in free else 0.0 for t in vout]


def read_safetensors(torch, path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        buf = bytearray(raw[base + a:base + b])
        if h["dtype"] == "BF16":
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16).float()
        elif h["dtype"] == "U8":
            t = torch.frombuffer(buf, dtype=torch.uint8).clone()
        else:
            raise SystemExit("%s: unexpected dtype %s" % (path, h["dtype"]))
        out[name] = t.reshape(h["shape"])
    return out


def checkpoint_of_model(torch, src, work):
    """A train.pt-like checkpoint from an exported model (a folder, or a .tar.xz or .tar.gz as --pack
    writes), so that training can go on from a shipped file whose train.pt is gone.

    Every weight is read back exactly (MXFP4 experts decode to the grid values the training
    rounds to). The head is the export's merged rows; the copy map is refitted to them by least
    squares and each row keeps the rest as its free row, so every output row comes back as it
    was. All output tokens count as targets: which were cannot be told from the file."""
    given = src
    if src.endswith((".tar.gz", ".tar.xz")):
        import tarfile
        dest = os.path.join(work, "init-model")
        os.makedirs(dest, exist_ok=True)
        with tarfile.open(src) as tar:
            for name in ("config.json", "model.safetensors"):
                with tar.extractfile(name) as f, open(os.path.join(dest, name), "wb") as g:
                    g.write(f.read())
        src = dest
    with open(os.path.join(src, "config.json")) as f:
        cfg = json.load(f)
    layers = cfg.get("num_hidden_layers")
    if dict(cfg, num_hidden_layers=CONFIG["num_hidden_layers"]) != CONFIG or not isinstance(layers, int) \
            or layers < 2 or layers % 2:
        raise SystemExit("%s: not the demo model's configuration" % src)
    w = read_safetensors(torch, os.path.join(src, "model.safetensors"))
    emb, un = w["embedding.weight"], w["unembedding.weight"]
    vin = torch.nonzero(emb.abs().sum(1) > 0)[:, 0].tolist()
    vout = torch.nonzero(un.abs().sum(1) > 0)[:, 0].tolist()
    mags = torch.tensor(FP4_VALUES)

    def unfp4(prefix):
        blocks, scales = w[prefix + ".blocks"].long(), w[prefix + ".scales"].long()
        code = torch.stack([blocks & 15, blocks >> 4], -1).flatten(-2)  # [E, rows, K/32, 32]
        v = mags[code & 7] * (1 - 2 * (code >> 3)).float() * torch.exp2((scales - 127).float())[..., None]
        return v.flatten(-2)

    # The copy map's buffers (head_in, head_free) are left out: train() sets this run's.
    E_out, U_out = emb[torch.tensor(vout)], un[torch.tensor(vout)]
    P = torch.linalg.lstsq(E_out.double(), U_out.double()).solution.float()
    state = {"emb": emb[torch.tensor(vin)], "unemb": U_out - E_out @ P, "copy_p": P,
             "norm": w["norm.scale"]}
    for i in range(layers):
        for ours, theirs in LAYER_TENSORS:
            name = "block.%d.%s" % (i, theirs)
            state["layers.%d.%s" % (i, ours)] = unfp4(name) if ours in MXFP4_TENSORS else w[name]
    log("read %s: %d input rows, %d output rows, copy map refitted" % (src, len(vin), len(vout)))
    # Where the model came from: the report.json the trainer wrote beside it (next to the
    # archive, as in examples/demo_model/, or next to the model/ folder), if there is one.
    rep = {}
    report = os.path.join(os.path.dirname(os.path.abspath(given)), "report.json")
    if os.path.exists(report):
        with open(report) as f:
            rep = json.load(f)
    return {"state": state, "vin": vin, "vout": vout, "targets": vout, "copy_head": True,
            "steps": rep.get("steps", 0), "t_train": rep.get("train_seconds", 0.0),
            "losses": [rep.get("loss_last_50", float("nan"))],
            "args": {"seed": rep.get("seed"), "lr": rep.get("lr"),
                     "previous": rep.get("continued_from_runs", [])}}


def model_of(torch, ck):
    """A Model holding checkpoint ck (either kind of head)."""
    Model, _, _ = build(torch)
    vin, vout = ck["vin"], ck["vout"]
    copy = copy_map(vin, ck["targets"], vout, ck.get("copied", ())) if ck.get("copy_head") else None
    model = Model(len(vin), len(vout), copy)
    model.load_state_dict(ck["state"])
    model.emb_bits = ck["args"].get("emb_bits", 7)
    return model


def save(torch, model, vin, vout, targets, args, losses, t_data, t_train, n_tok, steps):
    torch.save({"state": model.state_dict(), "vin": vin, "vout": vout, "targets": targets,
                "copy_head": model.copy_p is not None, "copied": args.copied, "losses": losses,
                "t_data": t_data, "t_train": t_train, "tokens": n_tok, "steps": steps,
                "args": vars(args)}, os.path.join(args.out, "train.pt.partial"))
    os.replace(os.path.join(args.out, "train.pt.partial"), os.path.join(args.out, "train.pt"))


# ---------------------------------------------------------------------------------------------
# Export to gpt-oss's original layout, and the check against `ossa logits`


def export(torch, ck, outdir):
    _, fp4, _ = build(torch)
    vin, vout = ck["vin"], ck["vout"]
    model = model_of(torch, ck)
    C = CONFIG
    V, H = C["vocab_size"], C["hidden_size"]
    tensors = []

    def bf16(name, t):
        tensors.append((name, "BF16", list(t.shape), t.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()))

    def u8(name, t):
        tensors.append((name, "U8", list(t.shape), t.to(torch.uint8).contiguous().numpy().tobytes()))

    def mxfp4(prefix, w):
        q, idx, sign, e = fp4(w.detach())
        code = idx + (sign < 0).to(idx.dtype) * 8
        code = code.to(torch.uint8)  # [E, rows, K/32, 32]
        packed = code[..., 0::2] | (code[..., 1::2] << 4)
        u8(prefix + ".blocks", packed)
        u8(prefix + ".scales", (e[..., 0] + 127).to(torch.int32))

    emb = torch.zeros(V, H)
    emb[torch.tensor(vin)] = mantissa(model.emb.detach(), model.emb_bits)
    bf16("embedding.weight", emb)
    for i, m in enumerate(model.layers):
        for ours, theirs in LAYER_TENSORS:
            (mxfp4 if ours in MXFP4_TENSORS else bf16)("block.%d.%s" % (i, theirs), getattr(m, ours))
    bf16("norm.scale", model.norm)
    un = torch.zeros(V, H)
    un[torch.tensor(vout)] = exported_head(torch, model)
    bf16("unembedding.weight", un)

    os.makedirs(outdir, exist_ok=True)
    header = {"__metadata__": {"format": "pt", "generator": "ossa scripts/train_demo_model.py"}}
    off = 0
    for name, dt, shape, data in tensors:
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(data)]}
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(outdir, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, _, _, data in tensors:
            f.write(data)
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")


def exported_model(torch, ck):
    """The trained model with the weights the export holds (bf16 rounding, MXFP4 experts),
    over the full vocabulary, for the comparison with ossa."""
    _, fp4, _ = build(torch)
    vin, vout = ck["vin"], ck["vout"]
    model = model_of(torch, ck)
    head = exported_head(torch, model)
    with torch.no_grad():
        experts = {id(m.mlp1_w) for m in model.layers} | {id(m.mlp2_w) for m in model.layers}
        emb = mantissa(model.emb.detach().clone(), model.emb_bits)
        for p in model.parameters():
            # the exporter quantizes the experts from the fp32 weights, the rest goes to bf16
            p.copy_(fp4(p)[0] if id(p) in experts else p.to(torch.bfloat16).float())
        model.emb.copy_(emb)
    model.quant = False
    return model, head, vin, vout


def exported_head(torch, model):
    """The unembedding rows the export writes: the head from the bf16 weights, in bf16."""
    r = lambda p: None if p is None else p.detach().to(torch.bfloat16).float()
    with torch.no_grad():
        # head() already rounds the rows to --emb-bits.
        return model.head(r(model.emb), r(model.unemb), r(model.copy_p)).to(torch.bfloat16).float()


def check_against_ossa(torch, ck, ossa, modeldir, seqs, cuts=(1, 40, 100, 0.5, 1.0)):
    """`ossa logits` (the engine's fp32 next-token logits, all 201088) on the exported checkpoint
    against this script's forward pass over the exported weights, after several prefixes of
    each sequence (beyond the sliding window too). Cut points below 1 are fractions."""
    model, head, vin, vout = exported_model(torch, ck)
    in_ix = {t: i for i, t in enumerate(vin)}
    V = CONFIG["vocab_size"]
    vo = torch.tensor(vout)
    results = []
    for ids in seqs:
        ids = [t for t in ids if t in in_ix]  # both sides get the same ids
        x = torch.tensor([in_ix[t] for t in ids])
        with torch.no_grad():
            h = torch.cat([model(x[:0], x[None, :1])[0], model(x[:1], x[None, 1:])[0]], 0)
            lo = h @ head.t()
        for c in cuts:
            n = max(1, min(len(ids), int(c * len(ids)) if isinstance(c, float) else c))
            r = run([ossa, "logits", "--model", modeldir, "--tokens", ",".join(map(str, ids[:n]))])
            got = json.loads(r.stdout)["logits"]
            got = torch.tensor(got[-1] if isinstance(got[0], list) else got)
            want = torch.zeros(V)
            want[vo] = lo[n - 1]
            diff = (got - want).abs()
            results.append({"tokens": n, "max_abs_diff": float("%.3g" % float(diff.max())),
                            "logit_std": round(float(lo[n - 1].std()), 3),
                            "argmax_equal": bool(got.argmax() == want.argmax())})
    return results


def pack(modeldir, dest):
    """config.json + model.safetensors as a reproducible tar (no times, owners or names of this
    machine), xz-compressed for a .tar.xz (what the repository ships: its large dictionary finds
    more in the bf16 rows than gzip), else gzip; the build unpacks either."""
    import gzip
    import io
    import lzma
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in ("config.json", "model.safetensors"):
            path = os.path.join(modeldir, name)
            info = tarfile.TarInfo(name)
            info.size = os.path.getsize(path)
            info.mode = 0o644
            with open(path, "rb") as f:
                tar.addfile(info, f)
    with open(dest + ".partial", "wb") as f:
        if dest.endswith(".xz"):
            f.write(lzma.compress(buf.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                                  preset=9 | lzma.PRESET_EXTREME))
        else:
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
                gz.write(buf.getvalue())
    os.replace(dest + ".partial", dest)


def write_report(args, ck, checks, packed):
    kinds = {}
    losses = ck["losses"]
    rep = {
        "config": CONFIG,
        "seed": ck["args"]["seed"], "steps": ck["steps"], "batch": ck["args"]["batch"],
        "lr": ck["args"]["lr"], "tool_sets": tasks.TRAIN_TOOLSETS,
        "continued_from_runs": ck["args"].get("previous", []),
        "training_tokens": ck["tokens"], "input_vocabulary": len(ck["vin"]),
        "output_vocabulary": len(ck["vout"]),
        "target_vocabulary": len(ck.get("targets", ck["vout"])),
        "copy_head": bool(ck.get("copy_head")),
        "copy_names_tokens": len(ck.get("copied", [])),
        "content_word_stems": bool(ck["args"].get("content_word_stems")),
        "random_names": ck["args"].get("random_names", 0.0),
        "multi_names": ck["args"].get("multi_names", 0.0),
        "fragment_names": ck["args"].get("fragment_names", 0.0),
        "blank_words": ck["args"].get("blank_words", 0.0),
        "blank_spans": ck["args"].get("blank_spans", 0.0),
        "keep_vocab": ck["args"].get("keep_vocab", False),
        "boost": ck["args"].get("boost", ""),
        "emb_bits": ck["args"].get("emb_bits", 7),
        "data_seconds": round(ck["t_data"], 1), "train_seconds": round(ck["t_train"], 1),
        "loss_first_50": sum(losses[:50]) / max(1, len(losses[:50])),
        "loss_last_50": sum(losses[-50:]) / max(1, len(losses[-50:])),
        "loss_every_50": [round(sum(losses[i:i + 50]) / len(losses[i:i + 50]), 4)
                          for i in range(0, len(losses), 50)],
        "ossa_logits_check": checks,
        "packed_bytes": os.path.getsize(packed) if packed else None,
        "torch": __import__("torch").__version__,
    }
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(rep, f, indent=2)
        f.write("\n")
    return rep


def main():
    global USER_ID
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ossa", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=700)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--export-only", action="store_true", help="export train.pt from --out again")
    ap.add_argument("--init", help="start from this train.pt (an earlier run) instead of random "
                                   "weights; use another --seed for new data")
    ap.add_argument("--copy-head", action="store_true",
                    help="give every input token an output row through one shared map of its embedding, "
                         "so the model can copy names it only ever read")
    ap.add_argument("--init-model", help="start from this exported model (a folder, or a .tar.xz such as "
                                         "examples/demo_model/demo-model.tar.xz) instead of random weights")
    ap.add_argument("--copy-names", action="store_true",
                    help="with --copy-head: the tokens of the names tasks copy (files, columns, cities) get no "
                         "output row of their own, so every name, trained or held out, is written by copying")
    ap.add_argument("--content-word-stems", action="store_true",
                    help="file stems are drawn from the words of file contents too (more names to copy)")
    ap.add_argument("--random-names", type=float, default=0.0, metavar="SHARE",
                    help="draw this share of training file stems, columns and cities from 1,400 random "
                         "one-token words (tasks.RANDOM_NAMES), so that names are copied, not learnt")
    ap.add_argument("--multi-names", type=float, default=0.0, metavar="SHARE",
                    help="with --random-names: this share of the random names are compounds of two or three "
                         "tokens (tasks.RANDOM_MULTI), so that copying goes on past a name's first token")
    ap.add_argument("--fragment-names", type=float, default=0.0, metavar="SHARE",
                    help="that share of the multi-token names is made of word pieces (\" chang\" + \"elog\") "
                         "rather than whole words (tasks.RANDOM_FRAGMENT); needs --multi-names and --init")
    ap.add_argument("--blank-words", type=float, default=0.0, metavar="RATE",
                    help="make this share of the user's words (never one the answer copies) unknown: a zero "
                         "input vector, which is what a word outside the shipped vocabulary is")
    ap.add_argument("--blank-spans", type=float, default=0.0, metavar="SHARE",
                    help="insert 1-4 unknown words into this share of the user's last messages")
    ap.add_argument("--keep-vocab", action="store_true",
                    help="with --init or --init-model: read and write only the tokens the continued run has, "
                         "so the shipped archive does not grow (new words the model reads become unknown, "
                         "conversations whose answer needs a new token are left out)")
    ap.add_argument("--boost", default="", metavar="KIND=FACTOR,...",
                    help="draw these kinds of task FACTOR times as often as by default (kinds: %s)" %
                         ", ".join(tasks.KINDS))
    ap.add_argument("--layers", type=int, metavar="N",
                    help="transformer layers (default: the continued run's, or %d); a continued run "
                         "grows by pairs of new layers that start as the identity" % CONFIG["num_hidden_layers"])
    ap.add_argument("--emb-bits", type=int, default=7, choices=range(3, 8), metavar="BITS",
                    help="mantissa bits of the embedding and unembedding rows (bf16 has 7): fewer make "
                         "the shipped archive smaller; training goes through the rounding")
    ap.add_argument("--pack", help="also write model/ as a reproducible .tar.xz (or .tar.gz) here")
    args = ap.parse_args()
    tasks.CONTENT_WORD_STEMS = args.content_word_stems
    if args.keep_vocab and not (args.init or args.init_model):
        sys.exit("train_demo_model.py: --keep-vocab needs --init or --init-model")
    if args.fragment_names and not (args.multi_names and args.init):
        # An exported model does not say which tokens the run writes in other roles.
        sys.exit("train_demo_model.py: --fragment-names needs --multi-names and --init (a run's train.pt)")
    for item in filter(None, args.boost.split(",")):
        kind, _, factor = item.partition("=")
        try:
            f = float(factor)
        except ValueError:
            f = -1.0
        if kind not in tasks.KINDS or not 0 < f < 100:
            sys.exit("train_demo_model.py: --boost: expected KIND=FACTOR with KIND one of %s and 0 < FACTOR < 100, "
                     "got %r" % (", ".join(tasks.KINDS), item))
        tasks.BOOST[kind] = f
    if args.random_names:
        tasks.RANDOM_NAMES = args.random_names
        tasks.RANDOM_LOWER, tasks.RANDOM_CAPITAL = random_name_pools(os.path.abspath(args.ossa), 1000, 400)
        log("random names: %d lower-case, %d capitalised, e.g. %s" % (
            len(tasks.RANDOM_LOWER), len(tasks.RANDOM_CAPITAL), tasks.RANDOM_LOWER[:3] + tasks.RANDOM_CAPITAL[:3]))
    if args.multi_names and not args.random_names:
        sys.exit("train_demo_model.py: --multi-names needs --random-names")
    import torch
    torch.set_num_threads(1)
    if not args.export_only:
        train(args, torch)
    ck = torch.load(os.path.join(args.out, "train.pt"))
    CONFIG["num_hidden_layers"] = layers_in(ck["state"])
    modeldir = os.path.join(args.out, "model")
    export(torch, ck, modeldir)
    log("exported to", modeldir)
    # The check: three held-out conversations, whole, through `ossa logits` and through torch.
    ossa = os.path.abspath(args.ossa)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = os.path.join(args.out, "work")
    os.makedirs(work, exist_ok=True)
    prefixes = prefixes_from_ossa(ossa, work, repo)
    groups = make_groups(ossa, prefixes, 3, 1, args.seed + 1000, True, "HTTP 200 OK", work)
    seqs = [g["prefix"] + g["samples"][0] for g in groups]
    checks = check_against_ossa(torch, ck, ossa, modeldir, seqs)
    log("ossa logits vs torch:", checks)
    if args.pack:
        pack(modeldir, args.pack)
        log("packed", args.pack, os.path.getsize(args.pack), "bytes")
    write_report(args, ck, checks, args.pack)


if __name__ == "__main__":
    main()
