# The python tool's driver: runs inside the sandbox as `python3 -I -c <this file> <marker>` and
# executes notebook-style cells sent by ossa over stdin, keeping one namespace across cells.
#
# Protocol: ossa writes "<length>\n" + <length> bytes of UTF-8 source to stdin. The cell's
# stdout and stderr (fd 1 and 2, so subprocesses and C extensions too) go straight to the
# sandbox's stdout pipe, which ossa reads; after each cell, and once at start-up, the driver
# writes <marker> there. Because the output never passes through this process, what a cell
# printed before crashing (os._exit, a segfault) still reaches ossa.
import ast
import builtins
import linecache
import os
import sys
import traceback


def _main():
    marker = sys.argv[1].encode()
    commands = os.fdopen(os.dup(0), "rb", buffering=0)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(1, 2)
    sys.argv = [""]
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    os.write(1, marker)
    count = 0
    while True:
        header = b""
        while not header.endswith(b"\n"):
            byte = commands.read(1)
            if not byte:
                return
            header += byte
        length = int(header)
        source = b""
        while len(source) < length:
            more = commands.read(length - len(source))
            if not more:
                return
            source += more
        count += 1
        _run_cell(source.decode("utf-8", "replace"), namespace, count)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os.write(1, marker)


def _run_cell(source, namespace, count):
    name = "<cell %d>" % count
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    try:
        tree = ast.parse(source, name, "exec")
    except (SyntaxError, ValueError):
        sys.stderr.write("".join(traceback.format_exception_only(*sys.exc_info()[:2])))
        return
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    try:
        exec(compile(tree, name, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, name, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                print(repr(value))
    except SystemExit as e:
        sys.stderr.write("SystemExit: %s\n" % (e.code,))
    except BaseException:
        kind, value, tb = sys.exc_info()
        # The first frame is this driver's exec/eval call; the model only needs its own code.
        sys.stderr.write("".join(traceback.format_exception(kind, value, tb.tb_next)))


_main()
