"""Integration tests run against the sandbox's real servers; nothing here fakes one.

One sandbox runs at a time (memory): asking for another option stops the current one.
Sandboxes live in a temporary home, so a developer's `make demo` sandbox is never touched.
"""

import os
import subprocess
import sys

import pytest
import yaml

from sandbox import core, procs

REPO = core.REPO_ROOT


class SandboxPool:
    def __init__(self, home, inventories):
        self.home = home
        self.inventories = inventories
        self.current = None
        self.state = None

    def get(self, option):
        """The running sandbox of ``option``, its state read afresh from disk.

        Tests restart processes (new pids in state.json), so a cached state would name dead pids; a sandbox
        with a dead process is replaced instead of being handed out half broken.
        """
        if self.current == option:
            fresh = core.status(option)
            if fresh is not None and fresh["healthy"]:
                self.state = fresh
                return self.state
        self.close()
        self.state = core.up(option)
        self.current = option
        return self.state

    def any(self):
        """Whatever sandbox is up (all have Keycloak and OpenBao), or the smallest one."""
        return self.get(self.current or "shared")

    def close(self):
        if self.current is not None:
            core.down(self.current)
            self.current = None
            self.state = None


@pytest.fixture(scope="session")
def sandbox_pool(tmp_path_factory):
    home = tmp_path_factory.mktemp("sandbox-home")
    inventories = tmp_path_factory.mktemp("inventories")
    old = {k: os.environ.get(k) for k in ("KRCI_SANDBOX_HOME", "KRCI_SANDBOX_INVENTORY_DIR")}
    os.environ["KRCI_SANDBOX_HOME"] = str(home)
    os.environ["KRCI_SANDBOX_INVENTORY_DIR"] = str(inventories)
    pool = SandboxPool(home, inventories)
    yield pool
    pool.close()
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def tools_env():
    """Environment for subprocesses: the venv's bin first (ansible-playbook), collections path set."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".collections")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run(argv, env, timeout=600, cwd=REPO):
    return subprocess.run([str(a) for a in argv], env=env, cwd=str(cwd), capture_output=True, text=True,
                          timeout=timeout, check=False)


def kube_client(cluster):
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=cluster["kubeconfig"])
    return client, api_client


def playbook(state, env, *extra, name=None):
    """ansible-playbook of the sandbox's option (or playbooks/<name>.yml) against its inventory."""
    path = REPO / "playbooks" / ("%s.yml" % (name or state["option"]))
    return run(["ansible-playbook", "-i", state["inventory"], str(path)] + list(extra), env)


def recap(stdout):
    """host -> {ok, changed, unreachable, failed, ...} from the last PLAY RECAP."""
    result = {}
    for line in stdout.split("PLAY RECAP")[-1].splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[1] == ":":
            result[parts[0]] = dict((k, int(v)) for k, v in (p.split("=") for p in parts[2:]))
    return result


def changed_tasks(stdout):
    """'<task> -> <changed line>' for every task that reported a change: the message of a failed no-op assertion."""
    found, task = [], None
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.rstrip("* ")
        elif line.startswith("changed:") and task:
            found.append("%s -> %s" % (task, line.strip()))
    return found


def assert_ok(result):
    """The run succeeded on every host; returns its recap."""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    summary = recap(result.stdout)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in summary.values()), summary
    return summary


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


__all__ = ["run", "kube_client", "load_yaml", "procs", "playbook", "recap", "assert_ok", "changed_tasks"]
