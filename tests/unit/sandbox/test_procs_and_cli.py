import json
import sys
import time

import pytest

from sandbox import __main__ as cli
from sandbox import core, procs


def test_start_and_stop_a_real_process(tmp_path):
    record = procs.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "s.log")
    assert procs.alive(record["pid"])
    procs.stop(record, timeout=5)
    assert not procs.alive(record["pid"])


def _wait_gone(record, seconds):
    deadline = time.monotonic() + seconds
    while procs.alive(record["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_server_collects_garbage_less_often_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    printer = [sys.executable, "-c", "import os; print(os.environ['GOGC'], os.environ['GOMEMLIMIT'])"]
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.setenv("GOMEMLIMIT", "2GiB")
    for name, env, expected in (("default", None, "400 2GiB"), ("asked", {"GOGC": "100"}, "100 2GiB")):
        _wait_gone(procs.start(name, printer, tmp_path / (name + ".log"), env=env), 10)
        assert (tmp_path / (name + ".log")).read_text() == expected + "\n"


# The main thread gone (a zombie) while another thread still runs, as a killed etcd whose last write has not
# returned: its sockets are still open, so it is alive until every thread is gone.
HALF_EXITED = ("import ctypes, threading, time\n"
               "threading.Thread(target=time.sleep, args=(2,)).start()\n"
               "time.sleep(0.2)\n"
               "ctypes.CDLL(None).pthread_exit(None)\n")


def _main_thread_gone(pid):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open("/proc/%d/stat" % pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("our_child", [True, False], ids=["child", "not-our-child"])
def test_a_process_is_alive_until_its_last_thread_is_gone(tmp_path, monkeypatch, our_child):
    record = procs.start("half-exited", [sys.executable, "-c", HALF_EXITED], tmp_path / "h.log")
    assert _main_thread_gone(record["pid"])
    if not our_child:  # read from /proc, as for a sandbox started by another process
        def not_ours(_pid, _options):
            raise ChildProcessError()
        monkeypatch.setattr(procs.os, "waitpid", not_ours)
    assert procs.alive(record["pid"])
    _wait_gone(record, 15)
    assert not procs.alive(record["pid"])
    monkeypatch.undo()
    procs.alive(record["pid"])  # reaped

def test_wait_until_names_the_component_and_its_log_when_it_dies(tmp_path):
    record = procs.start("crasher", [sys.executable, "-c", "print('bad flag'); raise SystemExit(3)"],
                         tmp_path / "c.log")
    with pytest.raises(procs.ComponentError) as err:
        procs.wait_until(record, lambda: False, 10, "never ready")
    assert "crasher exited before it became ready" in str(err.value)
    assert str(tmp_path / "c.log") in str(err.value)
    assert "bad flag" in str(err.value)


def test_wait_until_times_out_with_the_last_error(tmp_path):
    record = procs.start("slow", [sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "slow.log")
    try:
        def probe():
            raise ConnectionError("refused")
        with pytest.raises(procs.ComponentError, match="did not become ready in 1s.*refused"):
            procs.wait_until(record, probe, 1, "GET /readyz")
    finally:
        procs.stop(record)


def test_free_port_is_free():
    assert not procs.port_in_use(procs.free_port())


def test_cli_rejects_an_unknown_option(capsys):
    assert cli.main(["up", "--option", "hybrid"]) == 2
    assert "unknown option 'hybrid'" in capsys.readouterr().err


def test_status_of_a_down_sandbox(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("KRCI_SANDBOX_HOME", str(tmp_path))
    assert cli.main(["status", "--option", "shared"]) == 1
    assert "shared: down" in capsys.readouterr().out


def test_up_refuses_a_half_started_sandbox(monkeypatch, tmp_path):
    monkeypatch.setenv("KRCI_SANDBOX_HOME", str(tmp_path))
    home = tmp_path / "shared"
    home.mkdir()
    dead = procs.start("gone", [sys.executable, "-c", "pass"], tmp_path / "g.log")
    procs.stop(dead)
    alive = procs.start("platform/etcd", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "a.log")
    try:
        (home / "state.json").write_text(json.dumps({"option": "shared", "home": str(home),
                                                     "processes": [alive, dict(dead, name="platform/kwok")]}))
        with pytest.raises(core.SandboxError, match=r"half up \(not running: platform/kwok\).*down --option shared"):
            core.up("shared")
    finally:
        procs.stop(alive)


def test_down_of_a_sandbox_that_is_not_up_is_a_no_op(monkeypatch, tmp_path):
    monkeypatch.setenv("KRCI_SANDBOX_HOME", str(tmp_path))
    assert core.down("isolated") == []


def test_sandboxes_of_two_test_streams_take_ports_from_their_own_ranges(monkeypatch):
    monkeypatch.setenv("KRCI_SANDBOX_PORTS", "26000-26999")
    ports = {procs.free_port() for _ in range(20)}
    assert all(26000 <= port <= 26999 for port in ports) and len(ports) == 20
    monkeypatch.delenv("KRCI_SANDBOX_PORTS")
    assert procs._port_range(32768) == (20000, 32000)
    for bad in ("26000", "x-y", "30000-40000", "500-2000"):
        monkeypatch.setenv("KRCI_SANDBOX_PORTS", bad)
        with pytest.raises(ValueError) as err:
            procs._port_range(32768)
        assert "KRCI_SANDBOX_PORTS=%r" % bad in str(err.value)
