"""A hostile MCP server for ossa's MCP client tests (stdio, newline-delimited JSON-RPC).

Each tool misbehaves in one way; flags change the handshake:
  --version V       answer initialize with protocol version V (default: the client's)
  --page-size N     tools/list pages of N tools
  --tool-name NAME  add a tool NAME (for name collisions)
  --init-hang       never answer initialize
  --noise           print garbage lines before every answer
Runs with only the standard library (the sandbox offers /usr/bin/python3).
"""
import json
import os
import sys
import threading
import time

args = sys.argv[1:]
def flag(name, default=None):
    return args[args.index(name) + 1] if name in args else default

VERSION = flag("--version")
PAGE = int(flag("--page-size", "0"))
EXTRA = flag("--tool-name")
lock = threading.Lock()
calls = 0
cancelled = []

def send(obj):
    with lock:
        if "--noise" in args:
            sys.stdout.write("this is not json\n{broken\n")
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

def text(t, **extra):
    return dict({"content": [{"type": "text", "text": t}]}, **extra)

TOOLS = [
    {"name": "echo", "description": "Echoes the text.",
     "inputSchema": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                     "properties": {"text": {"type": "string", "description": "what to echo"}},
                     "required": ["text"]}},
    {"name": "slow", "description": "Sends progress, then answers.",
     "inputSchema": {"type": "object", "properties": {"steps": {"type": "integer"}}}},
    {"name": "hang", "description": "Never answers.", "inputSchema": {"type": "object"}},
    {"name": "crash", "description": "Exits in the middle of the call.", "inputSchema": {"type": "object"}},
    {"name": "big", "description": "Answers with a huge message.",
     "inputSchema": {"type": "object", "properties": {"mb": {"type": "integer"}}}},
    {"name": "garbage", "description": "Prints garbage, then answers.", "inputSchema": {"type": "object"}},
    {"name": "garbage-only", "description": "Prints garbage and never answers.", "inputSchema": {"type": "object"}},
    {"name": "mixed", "description": "Image, resources, structured output.", "inputSchema": {"type": "object"}},
    {"name": "fail", "description": "A tool-level error.", "inputSchema": {"type": "object"}},
    {"name": "rpc-error", "description": "A JSON-RPC error.", "inputSchema": {"type": "object"}},
    {"name": "count", "description": "Calls since this process started.", "inputSchema": {"type": "object"}},
    {"name": "cancelled", "description": "Request ids the client cancelled.", "inputSchema": {"type": "object"}},
    {"name": "change", "description": "Adds a tool and says the list changed.", "inputSchema": {"type": "object"}},
    {"name": "write", "description": "Writes /workspace/written.txt.", "inputSchema": {"type": "object"}},
]
if EXTRA:
    TOOLS.append({"name": EXTRA, "description": "A tool whose name collides.", "inputSchema": {"type": "object"}})

def call(rid, name, a):
    global calls
    calls += 1
    if name == "echo":
        send({"jsonrpc": "2.0", "id": rid, "result": text("echo: " + a.get("text", ""))})
    elif name == "slow":
        token = a.get("_token")
        for i in range(a.get("steps", 3)):
            send({"jsonrpc": "2.0", "method": "notifications/progress",
                  "params": {"progressToken": token, "progress": i + 1, "total": a.get("steps", 3),
                             "message": "step %d" % (i + 1)}})
            time.sleep(0.05)
        send({"jsonrpc": "2.0", "id": rid, "result": text("slow done")})
    elif name == "hang" or name == "garbage-only":
        if name == "garbage-only":
            with lock:
                sys.stdout.write("Traceback (most recent call last): nonsense\n")
                sys.stdout.flush()
        return
    elif name == "crash":
        sys.stderr.write("fake server: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    elif name == "big":
        blob = "x" * (a.get("mb", 50) << 20)
        send({"jsonrpc": "2.0", "id": rid, "result": text(blob)})
    elif name == "garbage":
        with lock:
            sys.stdout.write("hello from a print() left in the server\n\x00\x01 binary\n[1,2,3]\n")
            sys.stdout.flush()
        send({"jsonrpc": "2.0", "id": rid, "result": text("after garbage")})
    elif name == "mixed":
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "content": [
                {"type": "text", "text": "see the picture"},
                {"type": "image", "mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="},
                {"type": "resource", "resource": {"uri": "file:///notes.txt", "mimeType": "text/plain",
                                                  "text": "resource text"}},
                {"type": "resource", "resource": {"uri": "file:///a.bin", "blob": "AAAA"}},
                {"type": "resource_link", "uri": "file:///big.csv", "name": "big.csv"},
            ],
            "structuredContent": {"temperature": 21.5}}})
    elif name == "fail":
        send({"jsonrpc": "2.0", "id": rid, "result": dict(text("the thing failed"), isError=True)})
    elif name == "rpc-error":
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "bad params here"}})
    elif name == "count":
        send({"jsonrpc": "2.0", "id": rid, "result": text("calls=%d" % calls)})
    elif name == "cancelled":
        send({"jsonrpc": "2.0", "id": rid, "result": text("cancelled=" + json.dumps(cancelled))})
    elif name == "change":
        if not any(t["name"] == "added" for t in TOOLS):
            TOOLS.append({"name": "added", "description": "New.", "inputSchema": {"type": "object"}})
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        send({"jsonrpc": "2.0", "id": rid, "result": text("changed")})
    elif name == "write":
        try:
            with open("/workspace/written.txt", "w") as f:
                f.write("written")
            send({"jsonrpc": "2.0", "id": rid, "result": text("wrote")})
        except OSError as e:
            send({"jsonrpc": "2.0", "id": rid, "result": text("write failed: %s" % e.strerror)})
    elif name == "added":
        send({"jsonrpc": "2.0", "id": rid, "result": text("added works")})
    else:
        send({"jsonrpc": "2.0", "id": rid, "result": dict(text("no tool " + name), isError=True)})

for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    method, rid, params = msg.get("method"), msg.get("id"), msg.get("params") or {}
    if method == "initialize":
        if "--init-hang" in args:
            continue
        send({"jsonrpc": "2.0", "id": rid, "result": {
            "protocolVersion": VERSION or params.get("protocolVersion"),
            "capabilities": {"tools": {"listChanged": True}},
            "serverInfo": {"name": "fake", "version": "1"}}})
    elif method == "tools/list":
        start = int(params.get("cursor") or 0)
        end = start + PAGE if PAGE else len(TOOLS)
        result = {"tools": TOOLS[start:end]}
        if end < len(TOOLS):
            result["nextCursor"] = str(end)
        send({"jsonrpc": "2.0", "id": rid, "result": result})
    elif method == "tools/call":
        a = dict(params.get("arguments") or {})
        a["_token"] = (params.get("_meta") or {}).get("progressToken")
        threading.Thread(target=call, args=(rid, params.get("name"), a), daemon=True).start()
    elif method == "notifications/cancelled":
        cancelled.append(params.get("requestId"))
    elif rid is not None and method:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no " + method}})
