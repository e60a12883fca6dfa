"""Start, track and stop the sandbox's background processes, and wait for them to become ready."""

import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path


class ComponentError(Exception):
    """A component failed to start or become ready; the message names it and its log file."""


_ALLOCATED = set()
_ALLOCATED_LOCK = threading.Lock()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(v) for v in handle.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _port_range(ephemeral_low):
    """The ports sandboxes take: KRCI_SANDBOX_PORTS (``first-last``) when set, so that sandboxes started by
    different processes at once (the two streams of the integration tests) never choose the same port; else
    20000 up to the ephemeral range."""
    first, last = 20000, min(ephemeral_low - 1, 32000)
    given = os.environ.get("KRCI_SANDBOX_PORTS")
    if given:
        try:
            first, last = (int(v) for v in given.split("-"))
        except ValueError:
            raise ValueError("KRCI_SANDBOX_PORTS=%r is not first-last, such as 20000-25999" % given) from None
        if not 1024 < first < last < ephemeral_low:
            raise ValueError("KRCI_SANDBOX_PORTS=%r: give a range above 1024 and below the ephemeral ports (%d)"
                             % (given, ephemeral_low))
    return first, last


def free_port():
    """A free TCP port on 127.0.0.1, below the kernel's ephemeral range.

    A port the OS hands out for bind(0) is in the ephemeral range, where any outgoing connection
    (an API server talking to etcd, say) may take it before our server binds it. Ports below
    that range are only ever taken by servers, so the window between choosing and binding is safe.
    """
    low, _ = _ephemeral_range()
    first, last = _port_range(low)
    with _ALLOCATED_LOCK:
        if last - first >= 100:
            for _ in range(200):
                port = random.randint(first, last)
                if port not in _ALLOCATED and not port_in_use(port):
                    _ALLOCATED.add(port)
                    return port
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            _ALLOCATED.add(port)
            return port


def port_in_use(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


# The Go servers (etcd, the API servers, the controllers, kwok, OpenBao, Argo CD) collect garbage when their heap
# has grown by 400 % instead of 100 %, up to 1.5 GiB each: an idle separated sandbox then takes 10 CPU-s a minute
# instead of 12.7, for more memory the machine has. Set either variable to override it.
GO_GARBAGE_COLLECTION = {"GOGC": "400", "GOMEMLIMIT": "1536MiB"}


def start(name, argv, log_path, env=None, cwd=None):
    """Start argv in its own session, output to log_path; returns a record for the state file."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = dict(GO_GARBAGE_COLLECTION)
    full_env.update(os.environ)
    full_env.update(env or {})
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=full_env, cwd=cwd, start_new_session=True,
        )
    return {"name": name, "pid": proc.pid, "log": str(log_path), "argv": [str(a) for a in argv]}


def alive(pid):
    """Whether any thread of the process is still running (and may hold its files and ports).

    A killed multi-threaded server (etcd, an API server) shows its main thread as a zombie while another
    thread still finishes a write to disk, with the listening sockets still open: only when every thread
    is gone is its port free for the process that replaces it.
    """
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        # Our child: waitpid reaps it only once every thread has exited, so it is authoritative.
        return waited != pid
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Not our child: a zombie whose parent is gone still answers kill(0); read each thread's state.
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return False
    for task in tasks:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, task)) as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                    return True
        except OSError:
            continue
    return False


def stop(record, timeout=15.0):
    """SIGTERM the process group, then SIGKILL after timeout. Returns True if it had to be killed."""
    pid = record["pid"]
    if not alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return False
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    # A thread in an uninterruptible write dies when the write returns: wait for it (its ports are still bound).
    deadline = time.monotonic() + 60
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return True


def log_tail(path, lines=15):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_until(record, probe, timeout, what):
    """Poll probe() until it returns truthy; fail early if the process died, or after timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    delay = 0.2
    while time.monotonic() < deadline:
        if record is not None and not alive(record["pid"]):
            raise ComponentError(
                "%s exited before it became ready (%s); log: %s\n%s"
                % (record["name"], what, record["log"], log_tail(record["log"]))
            )
        try:
            result = probe()
            if result:
                return result
        except Exception as exc:  # pylint: disable=broad-except
            last_error = exc
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    name = record["name"] if record else what
    log = record["log"] if record else "-"
    raise ComponentError(
        "%s did not become ready in %ds (%s; last error: %s); log: %s\n%s"
        % (name, timeout, what, last_error, log, log_tail(log) if record else "")
    )
