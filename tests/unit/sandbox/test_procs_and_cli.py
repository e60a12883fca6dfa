import json
import sys

import pytest

from sandbox import __main__ as cli
from sandbox import core, procs


def test_start_and_stop_a_real_process(tmp_path):
    record = procs.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "s.log")
    assert procs.alive(record["pid"])
    procs.stop(record, timeout=5)
    assert not procs.alive(record["pid"])


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
