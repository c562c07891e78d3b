"""Synthetic agent conversations for the demo model (standard library only).

Each sample is one user turn and what a good agent does with it under ossa's runtime: a python
call (arithmetic, unit conversions, questions about workspace files), a call to a JSON-Schema
tool from examples/tools/ (get_weather, word_count), a direct answer (greetings, questions
about itself), or an honest failure when the tool fails (error, timeout, unknown city).

Python tool outputs are produced by running the generated code exactly as ossa's sandbox driver
(tools/python/driver.py) runs a cell, against a scratch folder that stands in for /mnt/data;
the other tool outputs copy the formats of ossa's tools.

Phrasings are split: every template list is cut into a training part and a held-out part (the
last quarter of each list), and values are drawn from disjoint pools, so the evaluation
(`eval.py`) asks questions the model never saw worded that way, with numbers and names it never
saw in that role.
"""
import ast
import builtins
import io
import json
import linecache
import os
import random
import shutil
import string
import sys
import traceback

WORKSPACE = "/mnt/data"

# ---------------------------------------------------------------------------------------------
# Phrasing helpers


def split(templates, heldout):
    """The training part (first three quarters) or the held-out part of a template list."""
    cut = max(1, (len(templates) * 3) // 4)
    return templates[cut:] if heldout else templates[:cut]


POLITE_PRE = ["", "", "", "", "Please ", "Could you tell me: ", "Quick question: ", "Hey, ",
              "Hi! ", "I need help. ", "Can you help? ", "Hello. ", "Urgent: ", "ok so ",
              "Question for you: ", "Help me out: ", "Hi there, "]
POLITE_POST = ["", "", "", "", " Thanks!", " Thank you.", " thx", " Please.", " Cheers.",
               " (quickly please)", " I need it for a report.", " Thanks in advance.",
               " Just the number is fine.", " :)"]
POLITE_PRE_HELD = ["Sorry to bother you, ", "Dear assistant, ", "Excuse me, ", "yo ",
                   "One thing: "]
POLITE_POST_HELD = [" Much appreciated.", " Many thanks!", " It's for my homework.", " ty"]


def typo(text, rng):
    """One small typo in a word of letters (never in numbers, names or code)."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 3 and w.isalpha() and w.islower()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == 1:
        w = w[:j] + w[j + 1:]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def dress(core, rng, heldout):
    """Politeness, capitalisation and typos around a question."""
    pre = rng.choice(POLITE_PRE + (POLITE_PRE_HELD if heldout else []))
    post = rng.choice(POLITE_POST + (POLITE_POST_HELD if heldout else []))
    if heldout and rng.random() < 0.5:
        pre = rng.choice(POLITE_PRE_HELD)
    text = core
    if pre and not pre.endswith(": ") and not pre.endswith(". ") and not pre.endswith("! "):
        text = text[0].lower() + text[1:] if text[:2] != "I " else text
    text = pre + text + post
    r = rng.random()
    if r < 0.12:
        text = text.lower()
    elif r < 0.17:
        text = text.rstrip("?.!")
    if rng.random() < 0.12:
        text = typo(text, rng)
    return text


ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def words_of(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        head = ONES[n // 100] + " hundred"
        return head if rest == 0 else head + " and " + words_of(rest)
    return str(n)


def num_text(n, rng, words_ok=True):
    if words_ok and isinstance(n, int) and n < 1000 and rng.random() < 0.12:
        return words_of(n)
    return str(n)


def as_said(name):
    """A name from the user's message as the demo model writes it into code or a tool's JSON
    arguments: after a space, the same o200k tokens as in the question (where the name follows
    a space). Copying tokens generalises to names the model never wrote; spelling them anew
    after a quote or a slash does not. The code strips the space; the example tools do too."""
    return " " + name


# ---------------------------------------------------------------------------------------------
# The python tool, as ossa's sandbox driver runs a cell


class Cell:
    """Runs cells like tools/python/driver.py: one namespace per conversation, the value of a
    last expression printed with repr, tracebacks without the driver's frame. `root` stands in
    for /mnt/data: it must have the same length, so that the carets under a traceback's source
    line stay aligned when the path is written back."""

    def __init__(self, root):
        assert len(root) == len(WORKSPACE)
        self.root = root
        self.count = 0
        self.namespace = {"__name__": "__main__", "__builtins__": builtins}

    def run(self, source):
        self.count += 1
        src = source.replace(WORKSPACE, self.root)
        name = "<cell %d>" % self.count
        linecache.cache[name] = (len(src), None, src.splitlines(True), name)
        out = io.StringIO()
        old = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = out
        try:
            try:
                tree = ast.parse(src, name, "exec")
            except (SyntaxError, ValueError):
                sys.stderr.write("".join(traceback.format_exception_only(*sys.exc_info()[:2])))
                return out.getvalue().replace(self.root, WORKSPACE)
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            try:
                exec(compile(tree, name, "exec"), self.namespace)
                if last is not None:
                    value = eval(compile(last, name, "eval"), self.namespace)
                    if value is not None:
                        print(repr(value))
            except SystemExit as e:
                sys.stderr.write("SystemExit: %s\n" % (e.code,))
            except BaseException:
                kind, value, tb = sys.exc_info()
                sys.stderr.write("".join(traceback.format_exception(kind, value, tb.tb_next)))
        finally:
            sys.stdout, sys.stderr = old
        text = out.getvalue().replace(self.root, WORKSPACE)
        if not text:
            text = ("[WARN] No output available. Use print() to output anything to stdout to "
                    "receive the output")
        return text


def timeout_text(seconds, partial=""):
    text = partial
    if text and not text.endswith("\n"):
        text += "\n"
    return (text + "[ERROR] Execution timed out after %.1f seconds. The Python interpreter has "
            "been restarted: variables, imports and definitions from earlier cells are gone "
            "(files in /mnt/data are kept)." % seconds)


# ---------------------------------------------------------------------------------------------
# Values: disjoint pools for training and evaluation


# Whether evaluation items also take their values (numbers, file stems, columns, cities) from
# the held-out pools. With False, held-out items keep their held-out phrasings but draw values
# from the training pools: the two scores separate "a new way of asking" from "a value never
# seen in that role".
#
# A held-out value is never one the model cannot even read: a token that no training
# conversation contains keeps a zero embedding row, so no amount of training would let the model
# copy it. Numbers below 1000 are single o200k tokens, so all of them are trained and an
# evaluation item's numbers are new in combination (operands, operation, phrasing); numbers from
# 1000 on are held out by a hash and are built from trained tokens. Held-out file stems,
# columns and cities appear in training only as words inside file contents, never as a file
# name, column or city asked about.
HELDOUT_VALUES = True


def values_heldout(heldout):
    return heldout and HELDOUT_VALUES


def pick_int(rng, lo, hi, heldout):
    """Integers from 1000 on whose (n * 2654435761) % 7 == 3 are kept for evaluation; below
    1000 every value may appear in training (see HELDOUT_VALUES)."""
    heldout = values_heldout(heldout)
    while True:
        n = rng.randint(lo, hi)
        if n < 1000 or ((n * 2654435761) % 7 == 3) == heldout:
            return n


def pick_float(rng, heldout):
    whole = pick_int(rng, 1, 500, heldout)
    return whole + rng.choice([0.5, 0.25, 0.1, 0.2, 0.75, 0.4, 0.8])


def pick_value(rng, heldout):
    return pick_int(rng, 1, 900, heldout) if rng.random() < 0.75 else pick_float(rng, heldout)


# ---------------------------------------------------------------------------------------------
# Conversations


def msg_user(text):
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def msg_call_python(code):
    return {"role": "assistant", "channel": "analysis", "recipient": "python",
            "content_type": "code", "content": [{"type": "text", "text": code}]}


def msg_call_function(name, args):
    return {"role": "assistant", "channel": "commentary", "recipient": "functions." + name,
            "content_type": "<|constrain|>json",
            "content": [{"type": "text", "text": json.dumps(args, ensure_ascii=False)}]}


def msg_tool(author, text, channel):
    return {"role": "tool", "name": author, "recipient": "assistant", "channel": channel,
            "content": [{"type": "text", "text": text}]}


def msg_final(text):
    return {"role": "assistant", "channel": "final", "content": [{"type": "text", "text": text}]}


class Sample:
    """One user turn: messages after the prefix, and what evaluation checks."""

    def __init__(self, kind, user, messages, expect):
        self.kind = kind
        self.user = user
        self.messages = messages
        # expect: {"tool": recipient or None, "tool_output": text the call must produce (or
        # "args": JSON), "answer": substrings the final answer must hold}
        self.expect = expect


def fmt_num(x):
    return repr(x)


# -- arithmetic ---------------------------------------------------------------------------------

ARITH = {
    "add": (["What is {a} plus {b}?", "What's {a} + {b}?", "Add {a} and {b}.", "{a} + {b} = ?",
             "Compute {a} + {b}.", "What do you get when you add {a} to {b}?",
             "Calculate the sum of {a} and {b}.", "sum {a} and {b}", "How much is {a} plus {b}?",
             "Work out {a}+{b} for me.", "Add {b} to {a}.", "What is the total of {a} and {b}?",
             "I have {a} apples and buy {b} more. How many apples do I have?",
             "{a} and {b} added together is what?", "Tell me {a} + {b}.",
             "If I add {a} and {b}, what do I get?"],
            "{a} + {b}"),
    "sub": (["What is {a} minus {b}?", "What's {a} - {b}?", "Subtract {b} from {a}.",
             "{a} - {b} = ?", "Compute {a} - {b}.", "Take {b} away from {a}.",
             "Calculate {a} minus {b}.", "How much is {a} minus {b}?",
             "What is the difference between {a} and {b}?", "Work out {a}-{b}.",
             "I had {a} euros and spent {b}. How much is left?",
             "{a} take away {b} is what?", "Tell me {a} - {b}.",
             "If I subtract {b} from {a}, what do I get?"],
            "{a} - {b}"),
    "mul": (["What is {a} times {b}?", "What's {a} * {b}?", "Multiply {a} by {b}.",
             "{a} * {b} = ?", "Compute {a} x {b}.", "What is the product of {a} and {b}?",
             "Calculate {a} multiplied by {b}.", "How much is {a} times {b}?",
             "Work out {a}*{b}.", "A box holds {b} items. How many items are in {a} boxes?",
             "{a} multiplied by {b} is what?", "Tell me {a} * {b}.",
             "What do you get if you multiply {a} and {b}?", "Find {a} times {b}.",
             "I need {a} x {b}."],
            "{a} * {b}"),
    "div": (["What is {a} divided by {b}?", "What's {a} / {b}?", "Divide {a} by {b}.",
             "{a} / {b} = ?", "Compute {a} / {b}.", "Calculate {a} divided by {b}.",
             "How much is {a} over {b}?", "Work out {a}/{b}.",
             "Split {a} euros equally among {b} people. How much does each get?",
             "What is the quotient of {a} and {b}?", "Tell me {a} / {b}.",
             "If I divide {a} by {b}, what do I get?", "Find {a} divided by {b}."],
            "{a} / {b}"),
    "pow": (["What is {a} to the power of {b}?", "What's {a} ** {b}?", "Compute {a}^{b}.",
             "Raise {a} to the power {b}.", "Calculate {a} to the {b}th power.",
             "What is {a} raised to {b}?", "Work out {a}**{b}.", "Tell me {a}^{b}.",
             "Find {a} to the power of {b}."],
            "{a} ** {b}"),
    "sqrt": (["What is the square root of {a}?", "Compute sqrt({a}).",
              "Calculate the square root of {a}.", "What's the square root of {a}?",
              "Find the square root of {a}.", "sqrt of {a}?", "Tell me the square root of {a}.",
              "Work out the square root of {a}."],
             "math.sqrt({a})"),
    "pct": (["What is {a}% of {b}?", "What's {a} percent of {b}?", "Compute {a}% of {b}.",
             "Calculate {a} percent of {b}.", "How much is {a}% of {b}?",
             "Find {a}% of {b}.", "A {b} euro item is {a}% off. How many euros is the discount?",
             "Tell me {a}% of {b}.", "Work out {a} percent of {b}."],
            "{a} / 100 * {b}"),
    "expr": (["What is ({a} + {b}) * {c}?", "Compute ({a} + {b}) * {c}.",
              "Calculate {a} plus {b}, then multiply by {c}.",
              "Add {a} and {b} and multiply the result by {c}.",
              "What's ({a}+{b})*{c}?", "Evaluate ({a} + {b}) * {c}.",
              "Tell me ({a} + {b}) * {c}.", "Find ({a} + {b}) times {c}."],
             "({a} + {b}) * {c}"),
}

ANSWER_ARITH = "The answer is {r}."


def gen_arith(rng, heldout, ws):
    op = rng.choice(list(ARITH))
    templates, expr = ARITH[op]
    t = rng.choice(split(templates, heldout))
    words_ok = True
    if op == "pow":
        a, b = pick_int(rng, 2, 30, heldout), rng.randint(2, 5)
    elif op == "sqrt":
        a, b = pick_int(rng, 2, 3000, heldout), 2
        if rng.random() < 0.5:
            a = pick_int(rng, 2, 60, heldout) ** 2
    elif op == "pct":
        a, b = rng.choice([5, 10, 12, 15, 20, 25, 30, 40, 50, 75, 8, 18]), pick_int(rng, 10, 2000, heldout)
        words_ok = False
    elif op == "div":
        b = pick_int(rng, 2, 60, heldout)
        a = b * pick_int(rng, 2, 200, heldout) if rng.random() < 0.6 else pick_int(rng, 10, 9999, heldout)
        if rng.random() < 0.03:
            b = 0
    else:
        a, b = pick_int(rng, 2, 9999, heldout), pick_int(rng, 2, 9999, heldout)
        if rng.random() < 0.4:
            a, b = pick_int(rng, 2, 99, heldout), pick_int(rng, 2, 99, heldout)
    c = pick_int(rng, 2, 20, heldout)
    vals = {"a": a, "b": b, "c": c}
    text = {k: (num_text(v, rng, words_ok and "{%s}%%" % k not in t and "{%s}^" % k not in t)
                if k in "ab" else str(v)) for k, v in vals.items()}
    # Written as digits inside formulas: "({a} + {b})" with words reads badly.
    if op in ("expr",) or any(s in t for s in ("{a} +", "{a}+", "{a} -", "{a}-", "{a} *", "{a}*",
                                               "{a} /", "{a}/", "sqrt(", "{a}^", "{a}**", "{a} **",
                                               "{a} x")):
        text = {k: str(v) for k, v in vals.items()}
    user = dress(t.format(**text), rng, heldout)
    code_expr = expr.format(**vals)
    code = ("import math\n" if "math." in code_expr else "") + "print(%s)" % code_expr
    out = ws.cell.run(code)
    msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis")]
    if "Error" in out:
        err = out.strip().splitlines()[-1]
        final = "I could not compute that: %s." % err.split(": ", 1)[-1]
        answer = ["could not"]
    else:
        r = out.strip()
        final = ANSWER_ARITH.format(r=r)
        answer = [r]
    msgs.append(msg_final(final))
    return Sample("arith", user, msgs, {"tool": "python", "tool_output": out, "answer": answer})


# -- unit conversions ---------------------------------------------------------------------------

UNITS = [
    # (from names, to names, canonical from, canonical to, formula on {v})
    (["km", "kilometers", "kilometres"], ["miles", "mi"], "km", "miles", "{v} * 0.621371"),
    (["miles", "mi"], ["km", "kilometers", "kilometres"], "miles", "km", "{v} * 1.609344"),
    (["kg", "kilograms", "kilos"], ["pounds", "lb", "lbs"], "kg", "pounds", "{v} * 2.20462"),
    (["pounds", "lb", "lbs"], ["kg", "kilograms", "kilos"], "pounds", "kg", "{v} * 0.453592"),
    (["degrees Celsius", "°C", "C", "celsius"], ["Fahrenheit", "°F", "degrees Fahrenheit", "F"],
     "°C", "°F", "{v} * 9 / 5 + 32"),
    (["degrees Fahrenheit", "°F", "F", "fahrenheit"], ["Celsius", "°C", "degrees Celsius", "C"],
     "°F", "°C", "({v} - 32) * 5 / 9"),
    (["meters", "m", "metres"], ["feet", "ft"], "m", "feet", "{v} * 3.28084"),
    (["feet", "ft"], ["meters", "m", "metres"], "feet", "m", "{v} * 0.3048"),
    (["inches", "in"], ["cm", "centimeters", "centimetres"], "inches", "cm", "{v} * 2.54"),
    (["cm", "centimeters", "centimetres"], ["inches", "in"], "cm", "inches", "{v} / 2.54"),
    (["liters", "litres", "L"], ["gallons", "US gallons"], "liters", "gallons", "{v} * 0.264172"),
    (["gallons", "US gallons"], ["liters", "litres", "L"], "gallons", "liters", "{v} * 3.78541"),
    (["hours", "h"], ["minutes", "min"], "hours", "minutes", "{v} * 60"),
    (["minutes", "min"], ["seconds", "s"], "minutes", "seconds", "{v} * 60"),
]

CONVERT = ["Convert {v} {f} to {t}.", "How many {t} is {v} {f}?", "What is {v} {f} in {t}?",
           "{v} {f} in {t}?", "Convert {v} {f} into {t}.", "How much is {v} {f} in {t}?",
           "{v} {f} = ? {t}", "Express {v} {f} in {t}.", "Change {v} {f} to {t}.",
           "I ran {v} {f}. How many {t} is that?", "What's {v} {f} in {t}?",
           "Turn {v} {f} into {t}.", "Please convert {v} {f} to {t}.",
           "How many {t} are there in {v} {f}?", "Give me {v} {f} in {t}.",
           "{v} {f} to {t}", "Can you convert {v} {f} to {t}?", "What does {v} {f} equal in {t}?"]


def gen_convert(rng, heldout, ws):
    fr, to, cf, ct, formula = rng.choice(UNITS)
    f, t = rng.choice(fr), rng.choice(to)
    if heldout and rng.random() < 0.3:
        f, t = fr[-1], to[-1]
    v = pick_value(rng, heldout)
    tmpl = rng.choice(split(CONVERT, heldout))
    user = dress(tmpl.format(v=num_text(v, rng), f=f, t=t), rng, heldout)
    code = "print(round(%s, 2))" % formula.format(v=v)
    out = ws.cell.run(code)
    r = out.strip()
    final = "%s %s is %s %s." % (v, cf, r, ct)
    msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"), msg_final(final)]
    return Sample("convert", user, msgs, {"tool": "python", "tool_output": out, "answer": [r]})


# -- workspace files ----------------------------------------------------------------------------

STEMS = ["notes", "report", "data", "todo", "readme", "summary", "budget", "log", "draft",
         "list", "plan", "results", "inventory", "sales", "config", "ideas", "letter", "menu",
         "scores", "tasks", "agenda", "recipes", "expenses", "contacts", "journal", "orders",
         "prices", "words", "names", "meeting", "travel", "books", "survey", "metrics",
         "readings", "events", "grades", "guests", "stock", "timesheet", "weather", "music"]
STEMS_HELD = ["invoice", "backlog", "minutes", "catalog", "payroll", "roster", "diary",
              "schedule", "quotes", "changelog"]
EXTS = [".txt", ".md", ".csv", ".log", ".json", ".py"]
WORDS = ("apple river stone light blue green paper table window coffee garden bridge morning "
         "silver quiet orange market winter summer yellow rocket engine signal forest ocean "
         "mountain pencil letter number simple clear north south east west copper planet "
         "castle dragon music violin yellow harbor candle meadow thunder whisper lantern "
         "velvet marble canyon falcon island jungle kettle ladder mirror needle pepper "
         "rabbit saddle tunnel valley walnut zebra anchor basket cactus").split()
COLUMNS = ["price", "amount", "total", "qty", "cost", "score", "hours", "value", "count",
           "weight", "points", "sales"]
COLUMNS_HELD = ["revenue", "units", "balance", "minutes"]


# Whether the words of file contents are file stems too (train_demo_model.py --content-word-stems):
# more names to copy in training, so that copying is learnt as copying, not per name.
CONTENT_WORD_STEMS = False


def training_stems():
    return STEMS + ([w for w in WORDS if w not in STEMS] if CONTENT_WORD_STEMS else [])


# Random names (train_demo_model.py --random-names): the share of training file stems, columns
# and cities drawn from RANDOM_LOWER / RANDOM_CAPITAL, words that are one o200k token after a
# space (" lantern", " Oxford"), picked by the trainer from the tokenizer. With a few dozen
# fixed names a model learns each name; with hundreds it never sees twice in a row it has to
# learn copying itself, which is what a name it never saw needs.
RANDOM_NAMES = 0.0
RANDOM_LOWER = []
RANDOM_CAPITAL = []
# Random names of two or three tokens (train_demo_model.py --multi-names): that share of the
# random names is drawn from RANDOM_MULTI[pool], compounds such as "lanternmeadow" or
# "Oxfordvale" whose tokens the model already reads. Held-out names are often several tokens
# (" chang" + "elog"); with only one-token names in training the model copies the first token
# and stops.
MULTI_NAMES = 0.0
RANDOM_MULTI = {"lower": [], "capital": []}
# Names of word pieces (train_demo_model.py --fragment-names): that share of the multi-token
# names is drawn from RANDOM_FRAGMENT[pool], a space-led piece and one or two bare ones
# (" chang" + "elog" is how o200k cuts "changelog"): a name never seen is more often cut inside
# a word than between two words.
FRAGMENT_NAMES = 0.0
RANDOM_FRAGMENT = {"lower": [], "capital": []}


def pick_name(rng, heldout, trained, held, pool):
    if values_heldout(heldout):
        return rng.choice(held)
    if pool and rng.random() < RANDOM_NAMES:
        key = "capital" if pool is RANDOM_CAPITAL else "lower"
        multi = RANDOM_MULTI[key]
        if multi and rng.random() < MULTI_NAMES:
            frag = RANDOM_FRAGMENT[key]
            if frag and rng.random() < FRAGMENT_NAMES:
                return rng.choice(frag)
            return rng.choice(multi)
        return rng.choice(pool)
    return rng.choice(trained)


def file_name(rng, heldout, ext=None):
    stem = pick_name(rng, heldout, training_stems(), STEMS_HELD, RANDOM_LOWER)
    if rng.random() < 0.3:
        stem += rng.choice(["_2024", "_v2", "-old", "_final", "2", "_q3", "-draft"])
    return stem + (ext or rng.choice(EXTS))


def text_lines(rng, n):
    lines = [" ".join(content_word(rng) for _ in range(rng.randint(2, 7))) for _ in range(n)]
    return [l[0].upper() + l[1:] for l in lines]


def content_word(rng):
    """A word of a file's text. Now and then one of the held-out names (stems, columns,
    cities), so that their tokens are trained as something to read and write back, while they
    are never asked about as a file, column or city."""
    if rng.random() < 0.08:
        return rng.choice(STEMS_HELD + COLUMNS_HELD + CITIES_HELD)
    return rng.choice(WORDS)


def scratch_root(tag):
    """A new, empty folder for a Workspace: /tmp/<tag> and random characters, as long as
    /mnt/data (Cell swaps the two in code and output, so the name never reaches the data).
    Made here, so that a Workspace only ever empties a folder of its own: a fixed name per seed
    once wiped the files of another run that had the same seed modulo 100."""
    chars = string.ascii_lowercase + string.digits
    pick = random.SystemRandom()
    for _ in range(1000):
        root = "/tmp/" + tag + "".join(pick.choice(chars) for _ in range(len(WORKSPACE) - 5 - len(tag)))
        try:
            os.mkdir(root)
            return root
        except FileExistsError:
            continue
    raise SystemExit("no free scratch folder name under /tmp")


class Workspace:
    """A scratch folder standing in for /mnt/data, and the python session that sees it."""

    def __init__(self, root):
        self.root = root
        self.cell = Cell(root)

    def reset(self):
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        self.cell = Cell(self.root)

    def write(self, name, text):
        with open(os.path.join(self.root, name), "w") as f:
            f.write(text)

    def files(self):
        return sorted(os.listdir(self.root))


def fill_workspace(ws, rng, heldout, n=None, must=()):
    ws.reset()
    names = set(must)
    n = rng.randint(1, 7) if n is None else n
    while len(names) < n:
        names.add(file_name(rng, heldout))
    names = sorted(names)  # a set iterates in hash order, which differs per process
    for name in names:
        ws.write(name, "\n".join(text_lines(rng, rng.randint(1, 12))) + "\n")
    return names


LIST = ["List the files in the workspace and say how many there are.",
        "What files are in the workspace?", "Which files do I have?",
        "Show me the files in the workspace.", "List the workspace files.",
        "What's in my workspace?", "What files are there?", "ls the workspace and count the files.",
        "Give me a list of the files in the workspace and their number.",
        "List my files.", "Tell me which files are in the workspace.",
        "What do I have in the workspace folder?",
        "Could you list the files in the current workspace?",
        "What files exist in the workspace, and how many are there?",
        "Enumerate the files in the workspace.", "Show the contents of the workspace folder.",
        "Which files are in the working folder?", "List all files in /mnt/data."]
COUNT = ["How many files are in the workspace?", "Count the files in the workspace.",
         "How many files do I have?", "Number of files in the workspace?",
         "How many files are there in my workspace?", "Count my files.",
         "Tell me how many files the workspace holds.", "How many files exist in the workspace?",
         "What is the number of files in the workspace?", "Count the files in /mnt/data.",
         "How many files does the workspace folder contain?", "file count of the workspace?"]
LINE = ["What does line {n} of {f} say?", "Read line {n} of {f}.", "Show me line {n} of {f}.",
        "What is on line {n} of {f}?", "Print line {n} of {f}.", "Give me line {n} of {f}.",
        "What's line {n} in {f}?", "Tell me what line {n} of the file {f} is.",
        "Open {f} and read line {n}.", "Line {n} of {f}, please.",
        "I need the text of line {n} in {f}.", "Can you read line number {n} of {f}?"]
FIRSTLINE = ["What is the first line of {f}?", "Read the first line of {f}.",
             "Show me the first line of {f}.", "What does {f} start with?",
             "Give me the first line of {f}.", "Print the first line of the file {f}."]
NLINES = ["How many lines does {f} have?", "Count the lines in {f}.",
          "How many lines are in {f}?", "What is the line count of {f}?",
          "Tell me the number of lines in {f}.", "How long is {f} in lines?",
          "Count lines of {f}.", "Number of lines in the file {f}?"]
CSVSUM = ["What is the sum of the {c} column in {f}?", "Sum the {c} column of {f}.",
          "Add up the {c} column in {f}.", "What is the total {c} in {f}?",
          "Compute the total of column {c} in {f}.", "Sum up {c} in {f}.",
          "What do the values in the {c} column of {f} add up to?",
          "Give me the sum of {c} from {f}.", "Total the {c} column in {f}.",
          "Calculate the sum of the {c} values in {f}.", "What's the {c} total in {f}?",
          "How much is the {c} column of {f} in total?"]

# print(*files): each name after a space, the tokens the answer copies (as_said).
CODE_LIST = "import os\nfiles = sorted(os.listdir('/mnt/data'))\nprint(len(files), *files)"
CODE_COUNT = "import os\nprint(len(os.listdir('/mnt/data')))"
# Names the user gave (a file, a column) are written after a space and stripped: a model this
# small copies tokens, it cannot spell, and " payroll" in the question is one o200k token where
# "/payroll" or "'payroll" would be others ("/pay", "roll"). See as_said().
CODE_LINE = "name = '{sf}'.strip()\nprint(open('/mnt/data/' + name).read().splitlines()[{i}])"
CODE_NLINES = "name = '{sf}'.strip()\nprint(len(open('/mnt/data/' + name).read().splitlines()))"
CODE_CSVSUM = ("import csv\nname, column = '{sf}'.strip(), '{sc}'.strip()\n"
               "with open('/mnt/data/' + name) as fh:\n    rows = list(csv.DictReader(fh))\n"
               "print(sum(float(r[column]) for r in rows))")
CODE_WC = "name = '{sf}'.strip()\nprint(len(open('/mnt/data/' + name).read().split()))"


def file_error(out, f):
    last = out.strip().splitlines()[-1]
    if last.startswith("FileNotFoundError"):
        return "I could not read %s: there is no such file in the workspace." % f
    if last.startswith("IndexError"):
        return "I could not read that line: %s has fewer lines." % f
    if last.startswith("KeyError"):
        return "I could not sum that column: %s has no column %s." % (f, last.split(": ", 1)[-1])
    return "I could not do that: %s" % last


def gen_files(rng, heldout, ws):
    kind = rng.choice(["list", "list", "count", "line", "line", "first", "nlines", "csv", "csv"])
    missing = rng.random() < 0.1
    if kind in ("list", "count"):
        n = rng.randint(0, 8) if rng.random() < 0.3 else rng.randint(1, 6)
        names = fill_workspace(ws, rng, heldout, n=n)
        tmpl = rng.choice(split(LIST if kind == "list" else COUNT, heldout))
        user = dress(tmpl, rng, heldout)
        code = CODE_LIST if kind == "list" else CODE_COUNT
        out = ws.cell.run(code)
        if kind == "list":
            if not names:
                final = "The workspace is empty: there are no files."
                answer = ["no files"]
            elif len(names) == 1:
                final = "There is 1 file in the workspace: %s." % names[0]
                answer = ["1 file", names[0]]
            else:
                final = "There are %d files in the workspace: %s." % (len(names), ", ".join(names))
                answer = ["%d files" % len(names)] + names
        else:
            final = ("There is 1 file in the workspace." if len(names) == 1 else
                     "There are %d files in the workspace." % len(names))
            answer = ["%d file" % len(names)]
        msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"), msg_final(final)]
        return Sample("files_" + kind, user, msgs, {"tool": "python", "tool_output": out, "answer": answer})

    if kind == "csv":
        f = file_name(rng, heldout, ".csv")
        # Without random names, the draws of before: evaluation sets stay the same items.
        if values_heldout(heldout) or not (RANDOM_NAMES and RANDOM_LOWER):
            cols = rng.sample(COLUMNS_HELD if values_heldout(heldout) else COLUMNS, 2)
        else:
            cols = []
            while len(cols) < 2:
                c = pick_name(rng, heldout, COLUMNS, COLUMNS_HELD, RANDOM_LOWER)
                if c not in cols and c != "name":
                    cols.append(c)
        cols.append("name")
        rng.shuffle(cols)
        c = rng.choice([x for x in cols if x != "name"])
        rows = []
        for _ in range(rng.randint(2, 7)):
            row = {}
            for col in cols:
                if col == "name":
                    row[col] = rng.choice(WORDS)
                else:
                    row[col] = str(rng.randint(1, 500) if rng.random() < 0.6 else
                                   round(rng.uniform(1, 300), rng.choice([1, 2])))
            rows.append(row)
        names = fill_workspace(ws, rng, heldout, must=[f])
        ws.write(f, ",".join(cols) + "\n" + "".join(",".join(r[x] for x in cols) + "\n" for r in rows))
        if missing:
            ws.reset()
            fill_workspace(ws, rng, heldout)
        tmpl = rng.choice(split(CSVSUM, heldout))
        ask_c = c if not (rng.random() < 0.05) else pick_name(rng, heldout, COLUMNS, COLUMNS_HELD, RANDOM_LOWER)
        user = dress(tmpl.format(c=ask_c, f=f), rng, heldout)
        code = CODE_CSVSUM.format(sf=as_said(f), sc=as_said(ask_c))
        out = ws.cell.run(code)
        if "Error" in out:
            final = file_error(out, f)
            answer = ["could not"]
        else:
            r = out.strip()
            final = "The sum of the %s column in %s is %s." % (ask_c, f, r)
            answer = [r]
        msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"), msg_final(final)]
        return Sample("files_csv", user, msgs, {"tool": "python", "tool_output": out, "answer": answer})

    f = file_name(rng, heldout, rng.choice([".txt", ".md", ".log"]))
    names = fill_workspace(ws, rng, heldout, must=[f])
    lines = text_lines(rng, rng.randint(1, 12))
    ws.write(f, "\n".join(lines) + "\n")
    if missing:
        os.remove(os.path.join(ws.root, f))
    if kind == "nlines":
        user = dress(rng.choice(split(NLINES, heldout)).format(f=f), rng, heldout)
        code = CODE_NLINES.format(sf=as_said(f))
        out = ws.cell.run(code)
        if "Error" in out:
            final, answer = file_error(out, f), ["could not"]
        else:
            final = "The file %s has %s lines." % (f, out.strip())
            answer = [out.strip() + " line"]
    else:
        if kind == "first":
            n = 1
            user = dress(rng.choice(split(FIRSTLINE, heldout)).format(f=f), rng, heldout)
        else:
            n = rng.randint(1, len(lines) + (2 if rng.random() < 0.1 else 0))
            user = dress(rng.choice(split(LINE, heldout)).format(f=f, n=num_text(n, rng)), rng, heldout)
        code = CODE_LINE.format(sf=as_said(f), i=n - 1)
        out = ws.cell.run(code)
        if "Error" in out:
            final, answer = file_error(out, f), ["could not"]
        else:
            final = 'Line %d of %s says: "%s"' % (n, f, out.strip())
            answer = [out.strip()]
    msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"), msg_final(final)]
    return Sample("files_" + kind, user, msgs, {"tool": "python", "tool_output": out, "answer": answer})


# -- get_weather (examples/tools/get_weather.json) ------------------------------------------------

CITIES = ["Paris", "Oslo", "London", "Berlin", "Madrid", "Rome", "Vienna", "Prague", "Lisbon",
          "Dublin", "Warsaw", "Athens", "Helsinki", "Stockholm", "Copenhagen", "Amsterdam",
          "Brussels", "Zurich", "Geneva", "Munich", "Hamburg", "Milan", "Barcelona", "Porto",
          "Budapest", "Bucharest", "Sofia", "Riga", "Tallinn", "Vilnius", "Kyiv", "Istanbul",
          "Cairo", "Nairobi", "Lagos", "Tokyo", "Osaka", "Seoul", "Beijing", "Shanghai",
          "Mumbai", "Delhi", "Bangkok", "Jakarta", "Manila", "Sydney", "Melbourne", "Auckland",
          "Toronto", "Montreal", "Vancouver", "Chicago", "Boston", "Seattle", "Denver", "Austin",
          "Miami", "Lima", "Bogota", "Santiago", "Quito", "São Paulo", "New York", "Los Angeles",
          "Mexico City", "Buenos Aires", "Cape Town", "Rio de Janeiro"]
CITIES_HELD = ["Reykjavik", "Bergen", "Lyon", "Krakow", "Seville", "Edinburgh", "Kyoto",
               "Perth", "Ottawa", "Havana"]
CONDITIONS = ["light rain", "snow showers", "sunny", "cloudy", "overcast", "fog", "clear sky",
              "heavy rain", "thunderstorms", "drizzle", "windy", "partly cloudy", "hail", "mist"]
WEATHER = ["What's the weather in {c}?", "What is the weather like in {c}?",
           "How's the weather in {c}?", "Weather in {c}?", "Is it cold in {c} right now?",
           "What's the temperature in {c}?", "Tell me the current weather in {c}.",
           "How warm is it in {c}?", "Check the weather in {c}.", "Get the weather for {c}.",
           "What are the conditions in {c} today?", "Do I need an umbrella in {c}?",
           "I'm flying to {c} tonight. What's the weather there?", "Current temperature in {c}?",
           "weather {c}", "Look up the weather in {c}.", "Is it raining in {c}?",
           "What is it like outside in {c} right now?", "How hot is it in {c}?",
           "Can you check the forecast for {c}?"]
FAHR = [" in Fahrenheit", " in fahrenheit", " (Fahrenheit please)", ", in °F"]
FAHR_HELD = [" using Fahrenheit", " in degrees F"]


def weather_body(city, units, temp, cond):
    return json.dumps({"city": city, "temperature": temp, "units": units, "conditions": cond})


def gen_weather(rng, heldout, ws, have_tool):
    city = (rng.choice(CITIES_HELD) if values_heldout(heldout) and rng.random() < 0.5 else
            pick_name(rng, False, CITIES, CITIES_HELD, RANDOM_CAPITAL))
    tmpl = rng.choice(split(WEATHER, heldout))
    fahr = rng.random() < 0.2
    core = tmpl.format(c=city)
    if fahr:
        suffix = rng.choice(FAHR + (FAHR_HELD if heldout else []))
        core = core.rstrip("?.") + suffix + ("?" if core.endswith("?") else ".")
    user = dress(core, rng, heldout)
    # The city as the user wrote it (dress() may lower-case it): the API matches names
    # case-insensitively and echoes what it was sent.
    at = user.lower().find(city.lower())
    if at >= 0:
        city = user[at:at + len(city)]
    if not have_tool:
        final = "I cannot check the weather: no weather tool is available here."
        return Sample("weather_none", user, [msg_user(user), msg_final(final)],
                      {"tool": None, "answer": ["cannot"]})
    args = {"city": as_said(city)} if not fahr else {"city": as_said(city), "units": "fahrenheit"}
    units = "fahrenheit" if fahr else "celsius"
    r = rng.random()
    msgs = [msg_user(user), msg_call_function("get_weather", args)]
    if r < 0.75:
        c = round(rng.uniform(-15, 38) * 2) / 2
        temp = c if not fahr else c * 9 / 5 + 32
        cond = rng.choice(CONDITIONS)
        out = ws.weather_result(city, units, temp, cond)
        msgs.append(msg_tool("functions.get_weather", out, "commentary"))
        unit = "°F" if fahr else "°C"
        final = "It is %s %s in %s, with %s." % (repr(temp), unit, city, cond)
        answer = [repr(temp), cond]
    elif r < 0.9:
        out = ws.weather_missing(city)
        msgs.append(msg_tool("functions.get_weather", out, "commentary"))
        final = "I could not get the weather for %s: the weather service has no data for it." % city
        answer = ["could not"]
    else:
        out = ws.weather_down()
        msgs.append(msg_tool("functions.get_weather", out, "commentary"))
        final = "I could not get the weather for %s: the weather service did not answer." % city
        answer = ["could not"]
    msgs.append(msg_final(final))
    return Sample("weather", user, msgs, {"tool": "functions.get_weather", "args": args, "answer": answer})


# -- word_count (examples/tools/word_count.json) -------------------------------------------------

WC = ["How many words are in {f}?", "Count the words in {f}.", "Word count of {f}?",
      "How many words does {f} have?", "Tell me the number of words in {f}.",
      "What is the word count of {f}?", "How long is {f} in words?", "Count words in {f}.",
      "Give me the word count for {f}."]


def gen_wc(rng, heldout, ws, have_tool):
    f = file_name(rng, heldout, rng.choice([".txt", ".md"]))
    fill_workspace(ws, rng, heldout, must=[f])
    text = "\n".join(text_lines(rng, rng.randint(1, 12))) + "\n"
    ws.write(f, text)
    user = dress(rng.choice(split(WC, heldout)).format(f=f), rng, heldout)
    n = len(text.split())
    if have_tool:
        args = {"path": as_said(f)}
        out = json.dumps({"path": f, "lines": text.count("\n"), "words": n, "characters": len(text)})
        msgs = [msg_user(user), msg_call_function("word_count", args),
                msg_tool("functions.word_count", out, "commentary"),
                msg_final("The file %s has %d words." % (f, n))]
        return Sample("wc", user, msgs, {"tool": "functions.word_count", "args": args, "answer": ["%d words" % n]})
    code = CODE_WC.format(sf=as_said(f))
    out = ws.cell.run(code)
    msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"),
            msg_final("The file %s has %s words." % (f, out.strip()))]
    return Sample("wc_python", user, msgs, {"tool": "python", "tool_output": out, "answer": ["%s words" % out.strip()]})


# -- no tool ------------------------------------------------------------------------------------

HELLO_ANSWER = ("Hello! I am ossa's demo model. I can run Python for arithmetic, unit conversions "
                "and questions about the files in your workspace, and call the tools you give me.")
CHAT = [
    (["Hi", "Hello", "Hey", "hi!", "Hello there!", "Good morning", "Good evening", "hey there",
      "Hi, how are you?", "Greetings!", "Yo", "Hello, assistant.", "Howdy", "Good afternoon!",
      "hello?", "Hi again"], HELLO_ANSWER),
    (["Who are you?", "What are you?", "What can you do?", "What is this?",
      "Introduce yourself.", "What are you able to do?", "Tell me about yourself.",
      "What kind of assistant are you?", "Are you a real model?", "What can I ask you?",
      "Which model are you?", "What are your skills?"],
     "I am ossa's demo model: a tiny model trained only on simple agent tasks. I can do "
     "arithmetic and unit conversions with Python, answer questions about the files in your "
     "workspace, and call tools such as get_weather. For real work, run ossa with a gpt-oss "
     "model (--model DIR or OSSA_MODEL)."),
    (["Thanks!", "Thank you", "thx", "Thanks a lot.", "Great, thanks.", "Perfect, thank you!",
      "Cool, thanks", "Thank you very much!", "Much appreciated", "ty"],
     "You're welcome!"),
    (["Bye", "Goodbye!", "See you later.", "bye!", "That's all, bye.", "Good night",
      "See you", "Ciao"], "Goodbye!"),
]


def gen_chat(rng, heldout, ws):
    texts, answer = rng.choice(CHAT)
    user = rng.choice(split(texts, heldout))
    if rng.random() < 0.1:
        user = user.lower()
    msgs = [msg_user(user), msg_final(answer)]
    return Sample("chat", user, msgs, {"tool": None, "answer": [answer[:20]]})


# -- timeouts and code the user gives --------------------------------------------------------------

SLOW = ["Run an infinite loop in Python.", "Execute `while True: pass` in python.",
        "Sleep for {s} seconds in Python and then tell me it's done.",
        "Run time.sleep({s}) in python.", "Make Python wait {s} seconds, then report.",
        "Loop forever in python and tell me what happens.",
        "Use python to sleep {s} seconds.", "Run a busy loop that never ends."]
SLOW_CODE = {"loop": "while True:\n    pass", "sleep": "import time\ntime.sleep({s})\nprint('done')"}
RUNCODE = ["Run this Python code: {code}", "Execute in python: {code}", "What does {code} print?",
           "Run `{code}` and tell me the output.", "python: {code}",
           "Please run {code} in Python.", "What is the output of {code}?",
           "Evaluate this in Python: {code}"]
SNIPPETS = ["print({a} * {b})", "print(sum(range({a})))", "print(len('{w}'))",
            "print('{w}'.upper())", "print(max({a}, {b}, {c}))", "print(min({a}, {b}))",
            "print({a} % {c})", "print({a} // {c})", "print(abs(-{a}))", "print(sorted([{a}, {b}, {c}]))",
            "print('{w}'[::-1])", "print(2 ** {c})", "print(round({a} / {c}, 3))",
            "print(str({a}) + '{w}')", "print({a} == {b})"]


def gen_slow(rng, heldout, ws):
    tmpl = rng.choice(split(SLOW, heldout))
    s = rng.choice([200, 300, 500, 600, 1000, 3600])
    user = dress(tmpl.format(s=s), rng, heldout)
    code = SLOW_CODE["sleep" if "{s}" in tmpl else "loop"].format(s=s)
    limit = rng.choice([120.0, 120.0, 30.0, 60.0, 10.0, 5.0, 2.0])
    out = timeout_text(limit)
    final = "The code did not finish: it timed out after %.1f seconds and was stopped." % limit
    msgs = [msg_user(user), msg_call_python(code), msg_tool("python", out, "analysis"), msg_final(final)]
    return Sample("timeout", user, msgs, {"tool": "python", "answer": ["timed out"]})


def gen_runcode(rng, heldout, ws):
    snippet = rng.choice(SNIPPETS).format(a=pick_int(rng, 2, 500, heldout), b=pick_int(rng, 2, 500, heldout),
                                          c=pick_int(rng, 2, 12, heldout), w=rng.choice(WORDS))
    tmpl = rng.choice(split(RUNCODE, heldout))
    user = tmpl.format(code=snippet)
    out = ws.cell.run(snippet)
    r = out.strip()
    msgs = [msg_user(user), msg_call_python(snippet), msg_tool("python", out, "analysis"),
            msg_final("The output is: %s" % r)]
    return Sample("runcode", user, msgs, {"tool": "python", "tool_output": out, "answer": [r]})


# ---------------------------------------------------------------------------------------------
# Tool sets: what `ossa run --tools ... [--tools-dir examples/tools]` declares

TOOLSETS = {
    # name: (ossa run flags, has get_weather/word_count)
    "python+browser": (["--tools", "python,browser"], False),
    "python": (["--tools", "python"], False),
    "python+browser+examples": (["--tools", "python,browser", "--tools-dir", "examples/tools",
                                 "--config", "examples/tools/secrets.toml"], True),
    "python+examples": (["--tools", "python", "--tools-dir", "examples/tools",
                         "--config", "examples/tools/secrets.toml"], True),
}

# The tool sets the demo model is trained with. The browser is not among them: its description
# alone is ~1000 tokens, several times a whole task, and the demo model does not browse; ossa
# leaves the browser out when it falls back on the demo model.
TRAIN_TOOLSETS = ["python", "python+examples"]


# How often each kind of task is drawn: its share of the samples, with and without the example
# tools (get_weather, word_count) in the tool set. The trainer's --boost multiplies shares.
SHARES = {  # kind: (share without the example tools, share with them)
    "arith": (0.26, 0.26), "convert": (0.16, 0.16), "files": (0.28, 0.28),
    "weather": (0.05, 0.14), "wc": (0.13, 0.04), "chat": (0.05, 0.05),
    "slow": (0.025, 0.025), "runcode": (0.045, 0.045)}
# A tuple, not a list: the trainer's random_name_pools reads every list of this module as words
# to avoid, and a new list would change the names it draws, and so what continued runs have read.
KINDS = tuple(SHARES)
BOOST = {}


def gen_sample(rng, heldout, ws, toolset):
    have = TOOLSETS[toolset][1]
    gens = {"arith": gen_arith, "convert": gen_convert, "files": gen_files,
            "weather": lambda r, h, w: gen_weather(r, h, w, have),
            "wc": lambda r, h, w: gen_wc(r, h, w, have),
            "chat": gen_chat, "slow": gen_slow, "runcode": gen_runcode}
    weights = [SHARES[k][1 if have else 0] * BOOST.get(k, 1.0) for k in KINDS]
    r = rng.random() * sum(weights)
    for k, w in zip(KINDS, weights):
        if r < w:
            return gens[k](rng, heldout, ws)
        r -= w
    return gens[KINDS[-1]](rng, heldout, ws)


class SimWorkspace(Workspace):
    """Training-time stand-ins for get_weather's replies: the formats of ossa's HTTP tool
    (tools/custom/http_tool.cpp) around the bodies of examples/tools/weather_server.py."""

    def __init__(self, root, rng, down_text):
        super().__init__(root)
        self.rng = rng
        self.down_text = down_text

    def weather_result(self, city, units, temp, cond):
        return ("HTTP 200 OK\nContent-Type: application/json\n\n" +
                weather_body(city, units, temp, cond))

    def weather_missing(self, city):
        known = sorted(c.lower() for c in self.rng.sample(CITIES, self.rng.randint(2, 5)))
        return ("HTTP 404 Not Found\nContent-Type: application/json\n\n" +
                json.dumps({"error": "no data for city " + city, "known": known}))

    def weather_down(self):
        return self.down_text


def copied_names():
    """Every name a task copies from the question into a call (file stems, columns, cities;
    training and held-out pools). With --copy-names the trainer gives their tokens no output row
    of their own, so writing one goes through the copy head: a held-out name then is as
    reachable as a trained one."""
    return (training_stems() + STEMS_HELD + COLUMNS + COLUMNS_HELD + CITIES + CITIES_HELD +
            (RANDOM_LOWER + RANDOM_CAPITAL if RANDOM_NAMES else []) +
            (RANDOM_MULTI["lower"] + RANDOM_MULTI["capital"] if RANDOM_NAMES and MULTI_NAMES else []) +
            (RANDOM_FRAGMENT["lower"] + RANDOM_FRAGMENT["capital"]
             if RANDOM_NAMES and MULTI_NAMES and FRAGMENT_NAMES else []))


# The words of answers that never copy a name: a name's token that also appears here (" data"
# in "no data for it") keeps its own output row (train_demo_model.py, name_tokens).
FIXED_ANSWER_WORDS = [
    "I could not get the weather for it: the weather service has no data for it.",
    "The weather service did not answer. I cannot check the weather: no weather tool is available here.",
    "There are files in the workspace: The workspace is empty: there are no files.",
    "The sum of the column in is The file has words. The file has lines.",
    "I could not read: there is no such file in the workspace. I could not read that line: has fewer lines.",
    "I could not sum that column: has no column. I could not do that: It is in, with",
    "The answer is The output is: Line of says: The code did not finish: it timed out after "
    "seconds and was stopped."] + CONDITIONS
