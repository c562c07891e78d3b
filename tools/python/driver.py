# The python tool's driver: runs inside the sandbox as `python3 -I -c <this file>` and executes
# notebook-style cells sent by ossa over stdin, keeping one namespace across cells.
#
# Protocol: ossa writes "<length>\n" + <length> bytes of UTF-8 source to stdin. On stdout it
# reads records: one type byte, a 4-byte big-endian length, the payload. b"O": output of the
# cell (stdout and stderr of the interpreter, its subprocesses and C extensions); b"E": the cell
# ended; b"R": the interpreter is ready (once, at start-up).
#
# Why two processes. The cell's code runs in the interpreter, with everything the interpreter
# has: its memory, its descriptors, /proc/self. Any end-of-cell token the interpreter could
# write, the cell could find and write first (an in-band marker was even in /proc/self/cmdline),
# ending its cell early while it kept running and getting its later output shown as the next
# cell's. So the interpreter never talks to ossa. The framer (the parent, which never runs any
# cell code) owns stdin and stdout; the interpreter (its child) gets the cells through one pipe
# and writes all output into another, which the framer wraps in length-prefixed records: no
# byte a cell prints can look like a record boundary. The end of a cell is not a message at all:
# the interpreter stops itself (SIGSTOP) when the cell's top-level code is done, and the framer
# learns that from waitpid. A cell can stop itself early, but a stopped process runs nothing
# (all its threads are frozen) until the framer continues it for the next cell, so it cannot
# keep running past its reported end; what it does after that counts as the next cell's and
# runs under that cell's deadline. A process the cell started could continue it between cells:
# the framer sees that (WCONTINUED) and kills the interpreter. The framer is non-dumpable, so the interpreter (same uid, no
# capabilities) cannot open /proc/<framer>/fd/1 or /proc/<framer>/mem to write records itself,
# and it holds no other descriptor of ossa's pipes.
import array
import ast
import builtins
import ctypes
import fcntl
import linecache
import os
import select
import signal
import struct
import sys
import termios
import traceback


def _framer():
    cells_r, cells_w = os.pipe()
    out_r, out_w = os.pipe()
    wake_r, wake_w = os.pipe()
    # Before the fork: the interpreter's first stop must not be missed.
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    child = os.fork()
    if child == 0:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in (cells_w, out_r, wake_r, wake_w):
            os.close(fd)
        _interpreter(cells_r, out_w)
        os._exit(0)
    for fd in (cells_r, out_w):
        os.close(fd)
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    os.set_blocking(cells_w, False)

    def emit(kind, payload=b""):
        record = kind + struct.pack(">I", len(payload)) + payload
        while record:
            record = record[os.write(1, record):]

    out_open = True

    def forward_output(block):
        nonlocal out_open
        while out_open:
            if not block and not select.select([out_r], [], [], 0)[0]:
                return
            data = os.read(out_r, 65536)
            if not data:
                out_open = False  # the interpreter and all its children are gone
                return
            emit(b"O", data)
            block = False

    def unread(fd):
        count = array.array("i", [0])
        fcntl.ioctl(fd, termios.FIONREAD, count)
        return count[0]

    state = "starting"  # -> idle (waiting for a cell) <-> running
    stdin_open = True
    request = b""
    to_child = b""
    while True:
        watch = [wake_r] + ([out_r] if out_open else []) + ([0] if state == "idle" and stdin_open else [])
        readable, writable, _ = select.select(watch, [cells_w] if to_child else [], [])
        if out_r in readable:
            forward_output(True)
        if cells_w in writable:
            to_child = to_child[os.write(cells_w, to_child):]
        if 0 in readable:
            data = os.read(0, 65536)
            if not data:
                stdin_open = False
                os.close(cells_w)  # the interpreter reads EOF and exits
                os.kill(child, signal.SIGCONT)
            request += data
            newline = request.find(b"\n")
            if newline > 0 and len(request) - newline - 1 >= int(request[:newline]):
                end = newline + 1 + int(request[:newline])
                to_child, request = request[:end], request[end:]
                state = "running"
                os.kill(child, signal.SIGCONT)
        if wake_r in readable:
            os.read(wake_r, 4096)
            while True:
                try:
                    pid, status = os.waitpid(child, os.WNOHANG | os.WUNTRACED | os.WCONTINUED)
                except ChildProcessError:
                    return
                if pid == 0:
                    break
                forward_output(False)
                if os.WIFCONTINUED(status):
                    if state == "idle":
                        # Only the framer continues the interpreter, and only for a cell: a
                        # process the cell started did this, to run past the cell's end.
                        emit(b"O", b"\n[the interpreter was resumed between cells by another "
                                   b"process, and was killed]\n")
                        os.kill(child, signal.SIGKILL)
                    continue
                if os.WIFSTOPPED(status):
                    if state == "running" and (to_child or unread(cells_w)):
                        # The current cell has not been read yet: this stop is the end of
                        # earlier code that stopped itself early and has now finished.
                        os.kill(child, signal.SIGCONT)
                        continue
                    emit(b"R" if state == "starting" else b"E")
                    state = "idle"
                    continue
                # The interpreter ended: end the same way, so ossa can say how.
                if os.WIFSIGNALED(status):
                    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
                    os.kill(os.getpid(), os.WTERMSIG(status))
                os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _interpreter(cells_fd, out_fd):
    commands = os.fdopen(cells_fd, "rb", buffering=0)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    sys.argv = [""]
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="backslashreplace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="backslashreplace")
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    os.kill(os.getpid(), signal.SIGSTOP)  # ready
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
        os.kill(os.getpid(), signal.SIGSTOP)  # the cell is done


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


_framer()
