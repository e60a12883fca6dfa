"""Integration tests run against the sandbox's real servers; nothing here fakes one.

One sandbox runs at a time per session: asking for another option stops the current one. tests/run-all.sh runs
two sessions at once (--sandbox-options: shared and isolated, and separated), each in its own port range.
Sandboxes live in a temporary home, so a developer's `make demo` sandbox is never touched.
"""

import os
import signal
import subprocess
import sys

import pytest
import yaml

from sandbox import build, core, moto, procs

REPO = core.REPO_ROOT

# Every Ansible module run of the tests keeps its compiled module_utils (tests/ansiballz_cache/sitecustomize.py):
# about 0.15 CPU-s less per module run. Every subprocess inherits it.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "tests" / "ansiballz_cache"),
                                                       os.environ.get("PYTHONPATH")) if p)
os.environ.setdefault("KRCI_ANSIBALLZ_BYTECODE", str(build.cache_root() / "ansiballz-bytecode"))


def _vault_key_store(state):
    from vault_client import key_store  # pylint: disable=import-outside-toplevel

    return key_store(state)


# The runs that converge a fresh sandbox of an option, shared by every test of that option:
# (play of playbooks/common or None for the option playbook, extra arguments, what to read after the
# run, kept as result.snapshot). Separated: the first run keeps the root token and is verbose
# (test_vault_role looks for the keys in its output and reads the key store it left), the second, the
# secrets play alone as an operator re-runs it, hands Vault over to the admin AppRole (its summary line
# records the handover); every later run is a no-op.
CONVERGE_RUNS = {"separated": [(None, ("-vvv", "-e", "vault_revoke_root_token=false"), _vault_key_store),
                               ("secrets", (), None)]}

# Test order: tests without a sandbox, then by option (one sandbox up at a time, each option brought
# up and converged once), then by module; within a module, file order. Mark a test or a module with
# @pytest.mark.sandbox("<option>"); unmarked tests need none; "end" runs after all (the sandbox teardown test).
OPTION_ORDER = [None, "shared", "isolated", "separated", "end"]
# Sandbox variants: marker name -> (option, clusters with the sandbox's openshift flavour, sandbox/openshift.py).
# Shared and isolated converge as mixed topologies: platform and production OpenShift (isolated's dev, a push
# target, too: test_openshift), the other clusters plain Kubernetes; separated is all plain Kubernetes. So OpenShift
# hubs, pull clusters and a push target are converged, and a plain Kubernetes hub and pull cluster too, with one
# converge per option.
VARIANTS = {"shared": ("shared", ("platform", "production")),
            "isolated": ("isolated", ("platform", "production", "dev"))}
MODULE_ORDER = ["test_packaging", "test_sandbox", "test_vault_init_unseal", "test_baseline", "test_keycloak_realm",
                "test_vault_role", "test_operators", "test_awx_runner", "test_playbooks", "test_gitops", "test_promotion", "test_argocd", "test_security",
                "test_aws", "test_day2", "test_openshift", "test_molecule"]


STREAM_NAMES = {"none": None, "shared": "shared", "isolated": "isolated", "separated": "separated", "end": "end"}


def pytest_addoption(parser):
    parser.addoption("--sandbox-options", default=None, metavar="LIST",
                     help="run only the tests of these sandbox options (comma-separated: none for tests without a "
                          "sandbox, shared, isolated, separated, end): one stream of tests/run-all.sh, which runs two "
                          "such streams at once, each with its own sandboxes and ports (KRCI_SANDBOX_PORTS)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sandbox(option): the sandbox option the test runs on (orders the session)")


def _option_of(item):
    marker = item.get_closest_marker("sandbox")
    return marker.args[0] if marker else None


def pytest_collection_modifyitems(config, items):
    def rank(item):
        module = item.module.__name__.rsplit(".", 1)[-1]
        return (OPTION_ORDER.index(_option_of(item)),
                MODULE_ORDER.index(module) if module in MODULE_ORDER else len(MODULE_ORDER))
    items.sort(key=rank)  # stable: file order within a module
    given = config.getoption("--sandbox-options")
    if given:
        names = [name.strip() for name in given.split(",") if name.strip()]
        unknown = [name for name in names if name not in STREAM_NAMES]
        if unknown:
            raise pytest.UsageError("--sandbox-options: %s not one of %s" % (", ".join(unknown), ", ".join(STREAM_NAMES)))
        wanted = {STREAM_NAMES[name] for name in names}
        # A variant (VARIANTS) runs in the stream of its option.
        deselected = [item for item in items if VARIANTS.get(_option_of(item), (_option_of(item),))[0] not in wanted]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item not in deselected]


class SandboxPool:
    def __init__(self, home, inventories):
        self.home = home
        self.inventories = inventories
        self.current = None
        self.state = None
        self.convergence = None

    def get(self, option):
        """The running sandbox of ``option`` (or of a VARIANTS name), its state read afresh from disk.

        Tests restart processes (new pids in state.json), so a cached state would name dead pids; a sandbox
        with a dead process is replaced instead of being handed out half broken.
        """
        real, openshift = VARIANTS.get(option, (option, ()))
        if self.current == option:
            fresh = core.status(real)
            if fresh is not None and fresh["healthy"]:
                self.state = fresh
                return self.state
        self.close()
        self.convergence = None
        self.state = core.up(real, openshift=openshift)
        self.current = option
        return self.state

    def converged(self, option, env):
        """(state, runs): the sandbox of ``option`` converged by its playbook, once per sandbox lifetime.

        ``runs`` are the results of the converging runs (CONVERGE_RUNS); tests that change something
        leave the sandbox converged again, so every later test of the option starts from this state.
        """
        state = self.get(option)
        if self.convergence is None:
            runs = []
            for name, extra, snapshot in CONVERGE_RUNS.get(option, [(None, (), None)]):
                result = playbook(state, env, *extra, name=name and "common/" + name)
                assert_ok(result)
                result.snapshot = snapshot(state) if snapshot else None
                runs.append(result)
            self.convergence = runs
        return state, self.convergence

    def any(self):
        """Whatever sandbox is up (all have Keycloak and OpenBao), or the smallest one."""
        return self.get(self.current or "shared")

    def close(self):
        if self.current is not None:
            core.down(VARIANTS.get(self.current, (self.current,))[0])
            self.current = None
            self.state = None
            self.convergence = None


@pytest.fixture(scope="session")
def sandbox_pool(tmp_path_factory):
    home = tmp_path_factory.mktemp("sandbox-home")
    inventories = tmp_path_factory.mktemp("inventories")
    for option in ("shared", "separated", "isolated"):  # as inventories/local/ has them (molecule links them)
        (inventories / option).mkdir()
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


def run_with_api_server_stopped(argv, env, option, cluster, marker, timeout=600):
    """Run a playbook and stop ``cluster``'s API server once a line starts with ``marker``; returns (stopped, output,
    returncode).

    The run is frozen (SIGSTOP) while the API server goes down, so its next task finds it down for sure. The API
    server is back as soon as that cluster's host failed: a longer outage outlives the node monitor's grace period,
    and the controller-manager marks kwok's pods unready (kwok never marks them ready again).
    """
    name = "%s/kube-apiserver" % cluster
    proc = subprocess.Popen([str(a) for a in argv], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines, stopped, restarted = [], False, False
    try:
        for line in proc.stdout:
            lines.append(line)
            if not stopped and line.startswith(marker):
                os.killpg(proc.pid, signal.SIGSTOP)
                try:
                    core.stop_process(option, name)
                    stopped = True
                finally:
                    os.killpg(proc.pid, signal.SIGCONT)
            elif stopped and not restarted and line.startswith("fatal: [%s]" % cluster):
                core.start_process(option, name)
                restarted = True
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        if stopped and not restarted:
            core.start_process(option, name)
    return stopped, "".join(lines), proc.returncode


def kube_client(cluster):
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=cluster["kubeconfig"])
    return client, api_client


def static_volumes(cluster, prefix, count, size="10Gi"):
    """``count`` PersistentVolumes of the sandbox's storage class (it has no provisioner), kept if there."""
    client, api = kube_client(cluster)
    core_v1 = client.CoreV1Api(api)
    for index in range(count):
        try:
            core_v1.create_persistent_volume({"metadata": {"name": "%s-%d" % (prefix, index)}, "spec": {
                "capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"], "storageClassName": "krci-sandbox",
                "hostPath": {"path": "/tmp/%s-%d" % (prefix, index)}}})
        except client.exceptions.ApiException as exc:
            assert exc.status == 409, exc


def playbook(state, env, *extra, name=None):
    """ansible-playbook of the sandbox's option (or playbooks/<name>.yml) against its inventory."""
    path = REPO / "playbooks" / ("%s.yml" % (name or state["option"]))
    return run(["ansible-playbook", "-i", state["inventory"], str(path)] + list(extra), env)


def playbooks_at_once(state, env, *variants, name=None, timeout=900):
    """The option playbook (or playbooks/<name>.yml) run several times at the same time, one per tuple of extra
    arguments: runs that must not write anything, such as a re-run and a check run of a converged sandbox
    (together they use both CPUs)."""
    path = REPO / "playbooks" / ("%s.yml" % (name or state["option"]))
    procs_ = [subprocess.Popen(["ansible-playbook", "-i", str(state["inventory"]), str(path)] + list(extra), env=env,
                               cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for extra in variants]
    results = []
    for proc, extra in zip(procs_, variants):
        stdout, stderr = proc.communicate(timeout=timeout)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    return results


def play(state, env, name, *extra):
    """One play of the option playbook alone (playbooks/common/<name>.yml), as a user may run it."""
    return playbook(state, env, *extra, name="common/" + name)


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


def start_moto(log_path):
    """moto in server mode on a free loopback port, its request recorder on (sandbox/moto.py). Returns (url, process)."""
    return moto.start(log_path)


def load_yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


__all__ = ["start_moto", "run", "kube_client", "static_volumes", "load_yaml", "procs", "playbook", "playbooks_at_once", "play", "recap", "assert_ok", "changed_tasks"]
