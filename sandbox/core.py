"""Bring the sandbox of one allocation option up and down, and describe it.

Layout of a sandbox home (``$KRCI_SANDBOX_HOME/<option>``, default
``~/.local/state/krci-platform/sandbox/<option>``), all secret files mode 0600:

    state.json          what runs (pids, ports, paths): the only source for ``status``/``down``
    pki/ca.crt          the sandbox CA (trusted by API servers, Keycloak and OpenBao clients)
    credentials.json    Keycloak admin user/password (generated)
    clusters/<name>/    etcd data, certificates, kubeconfig, logs of one control plane
    keycloak/ openbao/  data and logs of the services
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox import build, charts, gitops, procs, topology
from sandbox.cluster import ControlPlane
from sandbox.log import Step, say
from sandbox.services import Keycloak, OciRegistry, OpenBao

OIDC_REALM = "krci"
OIDC_CLIENT_ID = "kubernetes"
REPO_ROOT = Path(__file__).resolve().parent.parent


class SandboxError(Exception):
    """Bad input or a sandbox that cannot be brought up; the message says what to do."""


MANIFEST_ARGOCD_ON_OPENSHIFT = (("isolated", "production"),)


def sandbox_home(option):
    base = Path(os.environ.get("KRCI_SANDBOX_HOME", "~/.local/state/krci-platform/sandbox")).expanduser()
    return base / option


def inventory_root():
    """Where ``up`` writes ``<option>/hosts.yml``: $KRCI_SANDBOX_INVENTORY_DIR or inventories/local/."""
    return Path(os.environ.get("KRCI_SANDBOX_INVENTORY_DIR", str(REPO_ROOT / "inventories" / "local"))).expanduser()


def _load_state(home):
    path = home / "state.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _save_state(home, state):
    tmp = home / "state.json.tmp"
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.chmod(0o600)
    tmp.replace(home / "state.json")


def _all_processes(state):
    return list(state.get("processes", []))


def status(option):
    """The state of the sandbox of ``option`` with a liveness flag per process, or None."""
    topology.clusters(option)
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        return None
    for record in state["processes"]:
        record["alive"] = procs.alive(record["pid"])
    state["healthy"] = all(r["alive"] for r in state["processes"])
    return state


def check_prerequisites():
    missing = []
    if shutil.which("go") is None:
        missing.append("go (Go >= 1.24 builds Kubernetes, etcd, kwok and helm)")
    if Keycloak.find_java() is None:
        missing.append("java (a JDK >= 17 runs Keycloak; set KRCI_JAVA_HOME to choose one)")
    if shutil.which("mvn") is None and build.build_info("keycloak", build.versions.KEYCLOAK) is None:
        missing.append("mvn (Maven fetches Keycloak from Maven Central)")
    if missing:
        raise SandboxError("missing prerequisites: " + "; ".join(missing))


def up(option, with_keycloak=True, with_openbao=True, timeout=300, openshift=()):
    """Start every component of ``option``; no-op if it already runs. Returns the state.

    ``openshift``: names of the option's clusters that get the sandbox's openshift flavour (sandbox.openshift:
    OpenShift's API groups as CRDs, seeded objects, and the test stand-ins named there).
    """
    clusters = topology.clusters(option)
    openshift = sorted(set(openshift or ()))
    unknown = [name for name in openshift if name not in [c["name"] for c in clusters]]
    if unknown:
        raise SandboxError("--openshift %s: not a cluster of the %s option (it has: %s)"
                           % (", ".join(unknown), option, ", ".join(c["name"] for c in clusters)))
    home = sandbox_home(option)
    existing = status(option)
    if existing is not None:
        if existing["healthy"]:
            running = sorted(existing.get("openshift") or [])
            if running != openshift:
                raise SandboxError("sandbox %s is up with OpenShift clusters [%s], not [%s]; run 'python -m sandbox "
                                   "down --option %s' first" % (option, ", ".join(running), ", ".join(openshift), option))
            say("sandbox", "%s is already up (%s); nothing to do" % (option, home))
            return existing
        dead = [r["name"] for r in existing["processes"] if not r["alive"]]
        raise SandboxError(
            "sandbox %s is half up (not running: %s); run 'python -m sandbox down --option %s' first"
            % (option, ", ".join(dead), option)
        )
    check_prerequisites()
    started = time.monotonic()
    binaries = build.build_all(["kubernetes", "etcd", "kwok", "helm"] + (["keycloak"] if with_keycloak else []))
    bao = build.openbao() if with_openbao else None

    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    home.chmod(0o700)
    from sandbox.pki import CertificateAuthority, write_private

    ca = CertificateAuthority(home / "pki")
    state = {"option": option, "home": str(home), "processes": [], "clusters": {}, "started_at": time.time()}
    _save_state(home, state)

    lock = threading.Lock()

    def record(entry):
        # Control planes start in parallel threads: one writer at a time, or a pid could be lost.
        with lock:
            state["processes"].append(entry)
            _save_state(home, state)

    try:
        keycloak = None
        if with_keycloak:
            admin_password = secrets.token_urlsafe(18)
            write_private(home / "credentials.json", json.dumps({"keycloak_admin_username": "admin",
                                                                 "keycloak_admin_password": admin_password}))
            keycloak = Keycloak(home / "keycloak", binaries["keycloak"], ca, "admin", admin_password)
            keycloak.start(record)
            state["keycloak"] = keycloak.describe()
            state["keycloak"]["credentials_file"] = str(home / "credentials.json")
        oidc = None
        if keycloak is not None:
            oidc = {"issuer": "%s/realms/%s" % (keycloak.url, OIDC_REALM), "client_id": OIDC_CLIENT_ID}
        planes = [
            ControlPlane(c["name"], home / "clusters" / c["name"], binaries, ca, oidc)
            for c in clusters
        ]
        openbao = OpenBao(home / "openbao", bao, ca) if with_openbao else None
        # The registry the applications' images are promoted from (CNCF Distribution, the operators'
        # OCI chart mirror too), before the Git server whose sample workload names its repository.
        oci = OciRegistry(home / "registry", build.registry() / "registry", ca)
        oci.start(record)
        state["registry"] = oci.describe()
        git = gitops.GitServer(home / "git", ca)
        git.start(record, [env for env in topology.ENVIRONMENTS
                           if any(env in (c.get("environments") or []) for c in clusters)],
                  image="%s/%s:1.0.0" % (oci.host, gitops.DEMO_REPOSITORY))
        state["git"] = git.describe()
        with ThreadPoolExecutor(max_workers=len(planes) + 1) as pool:
            futures = [pool.submit(plane.start, record) for plane in planes]
            if openbao is not None:
                futures.append(pool.submit(openbao.start, record))
            for future in futures:
                future.result()
        for plane, cluster in zip(planes, clusters):
            described = plane.describe()
            described.update(cluster)
            described["flavour"] = "openshift" if cluster["name"] in openshift else "kubernetes"
            state["clusters"][cluster["name"]] = described
        if openshift:
            _openshift_flavour(home, state, binaries, openshift, record)
        if openbao is not None:
            state["openbao"] = openbao.describe()
        if keycloak is not None:
            with Step("keycloak", "wait for /health/ready"):
                keycloak.wait_ready(timeout)
        state["bin_dir"] = str(_link_tools(home, binaries, bao))
        state["inventory"] = str(_write_inventory(option, state))
        state["up_seconds"] = round(time.monotonic() - started, 1)
        _save_state(home, state)
    except BaseException:
        say("sandbox", "start failed; stopping what was started")
        _stop_all(state)
        raise
    say("sandbox", "%s is up in %.1fs; inventory: %s" % (option, state["up_seconds"], state["inventory"]))
    return state


def _openshift_flavour(home, state, binaries, names, record):
    """The openshift flavour of some clusters (sandbox.openshift): CRDs and seeds, then one stand-ins process."""
    import sys

    from sandbox import openshift

    kubectl = binaries["kubernetes"] / "kubectl"
    chosen = [state["clusters"][name] for name in names]
    with ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        for future in [pool.submit(openshift.prepare, kubectl, cluster) for cluster in chosen]:
            future.result()
    # The GitOps operator's reconciler, started by the OLM stand-in once a Subscription of it is installed.
    argv = [sys.executable, "-m", "sandbox.openshift", "--kubectl", str(kubectl), "--gitops-operator",
            str(build.argocd_operator()), "--home", str(home / "gitops-operator")]
    for cluster in chosen:
        argv += ["--cluster", "%s=%s@%s" % (cluster["name"], cluster["kubeconfig"], cluster["context"])]
    entry = procs.start("openshift-stand-ins", argv, home / "openshift-stand-ins.log", cwd=str(REPO_ROOT))
    record(entry)
    procs.wait_until(entry, lambda: "stand-ins running" in (home / "openshift-stand-ins.log").read_text(), 60,
                     "the OpenShift stand-ins")
    state["openshift"] = list(names)


def _link_tools(home, binaries, bao):
    """One bin/ directory with kubectl, helm, kwok, etcd and bao, for PATH."""
    bin_dir = home / "bin"
    bin_dir.mkdir(exist_ok=True)
    tools = {
        "kubectl": binaries["kubernetes"] / "kubectl",
        "helm": binaries["helm"] / "helm",
        "etcd": binaries["etcd"] / "etcd",
        "kwok": binaries["kwok"] / "kwok",
    }
    if bao is not None:
        tools["bao"] = bao
    for name, target in tools.items():
        link = bin_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return bin_dir


def _write_inventory(option, state):
    """A krci.platform.topology inventory file: the same format users write for real clusters."""
    import yaml

    inv_dir = inventory_root() / option
    inv_dir.mkdir(parents=True, exist_ok=True)
    all_vars = {"krci_sandbox_ca_file": str(Path(state["home"]) / "pki" / "ca.crt")}
    if "keycloak" in state:
        all_vars["krci_keycloak_url"] = state["keycloak"]["url"]
        all_vars["krci_keycloak_credentials_file"] = state["keycloak"]["credentials_file"]
        all_vars["krci_keycloak_ca_file"] = state["keycloak"]["ca_file"]
        # Test users log in with the password grant; nothing here is reachable from outside.
        all_vars["keycloak_password_grant_clients"] = ["kubernetes"]
        all_vars["keycloak_base_domain"] = "krci.test"
    if "openbao" in state:
        all_vars["krci_vault_addr"] = state["openbao"]["addr"]
        all_vars["krci_vault_ca_file"] = state["openbao"]["ca_file"]
        # The admin credential apart from the key shares (which stay in the platform cluster's Secret):
        # on this machine, next to the sandbox. The platform cluster's administrators can read its
        # Secrets, so keeping both there would put the whole of Vault in one principal's reach.
        all_vars["vault_credential_destination"] = {"type": "file",
                                                    "path": str(Path(state["home"]) / "vault-admin-credential.json")}
        # The audit device the sandbox declares in OpenBao's configuration.
        all_vars["vault_audit_devices"] = {"krci-audit": {"type": "file",
                                                          "options": {"file_path": state["openbao"]["audit_log"]}}}
        # Test users get Vault tokens through the vault client's password grant.
        if "keycloak" in state:
            all_vars["keycloak_password_grant_clients"].append("vault")
    # Argo CD: the install manifest of the release the sandbox runs (from its Go module, built once),
    # so the objects the collection installs are the ones these programs expect.
    all_vars["argocd_version"] = "v" + build.versions.ARGOCD
    all_vars["argocd_install_manifest"] = str(build.argocd() / "install.yaml")
    if "git" in state:
        # The GitOps repository on the sandbox's Git server; Argo CD reads it as the read-only user.
        git = state["git"]
        all_vars["argocd_root_repo"] = git["repository"]
        all_vars["argocd_source_repos"] = [git["repository"]]
        all_vars["argocd_git_url"] = git["url"]
        all_vars["argocd_git_username"] = git["reader"]
        all_vars["argocd_git_password"] = gitops.users(git)[git["reader"]]["password"]
        all_vars["argocd_git_ca_file"] = git["ca_file"]
        # Promotion: the demo application in the sandbox's registry, committed as the CI user.
        all_vars["promotion_git_username"] = git["writer"]
        all_vars["promotion_git_password"] = gitops.users(git)[git["writer"]]["password"]
    if "registry" in state:
        all_vars["krci_applications"] = [{"name": "krci-demo", "image": "%s/%s" % (state["registry"]["host"],
                                                                               gitops.DEMO_REPOSITORY)}]
        all_vars["promotion_registry_ca_file"] = state["registry"]["ca_file"]
    # The operators from charts written for the sandbox around the upstream CRDs of ../shared/testdata
    # (an air-gapped site points operators_chart_dir at its mirror of the upstream charts the same way).
    if charts.available():
        chart_dir = Path(state["home"]) / "charts"
        all_vars["operators_overrides"] = charts.write_all(chart_dir)
        # Sealed Secrets: upstream's own chart, from the module zip of the controller the sandbox runs.
        sealed = build.sealed_secrets() / "chart" / "sealed-secrets"
        sealed_version = yaml.safe_load((sealed / "Chart.yaml").read_text())["version"]
        if not (chart_dir / ("sealed-secrets-%s" % sealed_version)).exists():
            shutil.copytree(str(sealed), str(chart_dir / ("sealed-secrets-%s" % sealed_version)))
        all_vars["operators_chart_dir"] = str(chart_dir)
        all_vars["operators_helm_binary"] = str(Path(state["bin_dir"]) / "helm")
    else:
        all_vars["krci_operators"] = False
    clusters = {name: {"kubeconfig": c["kubeconfig"], "context": c["context"]} for name, c in state["clusters"].items()}
    # Both ways Argo CD installs on OpenShift get converged: isolated's production keeps upstream's manifest (UID
    # pins dropped, the collection's Route), every other OpenShift instance is the GitOps operator's ArgoCD resource.
    for name in state.get("openshift") or []:
        if (option, name) in MANIFEST_ARGOCD_ON_OPENSHIFT:
            clusters[name]["vars"] = {"argocd_install": "manifest"}
    inventory = {
        "plugin": "krci.platform.topology",
        "option": option,
        "clusters": clusters,
        "vars": all_vars,
    }
    path = inv_dir / "topology.yml"
    path.write_text("# Written by 'python -m sandbox up --option %s'; do not edit.\n" % option
                    + yaml.safe_dump(inventory, sort_keys=False))
    return path


def _stop_all(state):
    killed = []
    for record in reversed(_all_processes(state)):
        if procs.stop(record):
            killed.append(record["name"])
    return killed


def down(option):
    """Stop every process of the sandbox and delete its home. Safe to run twice."""
    topology.clusters(option)
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        say("sandbox", "%s is not up; nothing to do" % option)
        return []
    with Step("sandbox", "stop %d processes of %s" % (len(state["processes"]), option), heartbeat=0):
        killed = _stop_all(state)
    left = [r["name"] for r in state["processes"] if procs.alive(r["pid"])]
    if left:
        raise SandboxError("could not stop: %s (pids in %s)" % (", ".join(left), home / "state.json"))
    shutil.rmtree(home)
    # Empty the option's inventory directory but keep it: molecule scenarios link it before create.
    inv = inventory_root() / option
    for entry in (inv.iterdir() if inv.exists() else []):
        if entry.name == ".gitkeep":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    return killed


def _process(option, name):
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        raise SandboxError("sandbox %s is not up" % option)
    record = next((r for r in state["processes"] if r["name"] == name), None)
    if record is None:
        raise SandboxError("sandbox %s has no process %r (known: %s)"
                           % (option, name, ", ".join(r["name"] for r in state["processes"])))
    return home, state, record


def stop_process(option, name):
    """Stop one process of a running sandbox (e.g. ``workloads/kube-apiserver``), for fault tests."""
    _home, _state, record = _process(option, name)
    procs.stop(record)


def start_process(option, name, timeout=120):
    """Start a stopped process again with its recorded command line and wait until it answers."""
    with _STATE_LOCK:  # recreate() starts several at once: each read-change-write of state.json whole
        home, state, record = _process(option, name)
        if procs.alive(record["pid"]):
            raise SandboxError("%s of sandbox %s is running; stop it first" % (name, option))
        env = Keycloak.java_env() if name == "keycloak" else record.get("env", {})
        fresh = procs.start(name, record["argv"], record["log"], env=env)
        record.update(fresh)
        if env and name != "keycloak":
            record["env"] = env
        _save_state(home, state)
    ca_file = str(Path(state["home"]) / "pki" / "ca.crt")
    if name == "keycloak":
        url = state["keycloak"]["health_url"]
        procs.wait_until(record, lambda: _get(url, ca_file).status_code == 200, timeout, "GET " + url)
    elif name == "openbao":
        url = state["openbao"]["addr"] + "/v1/sys/health"
        procs.wait_until(record, lambda: _get(url, ca_file).status_code in (200, 429, 501, 503), timeout, "GET " + url)
    elif name == "git":
        url = state["git"]["url"] + gitops.REPOSITORY + "/info/refs"
        procs.wait_until(record, lambda: _get(url, ca_file).status_code == 401, timeout, "GET " + url)
    elif name == "registry":
        url = "https://%s/v2/" % state["registry"]["host"]
        procs.wait_until(record, lambda: _get(url, ca_file).status_code == 200, timeout, "GET " + url)
    elif name.startswith("sealed-secrets-"):
        url = state["sealed_secrets"][name[len("sealed-secrets-"):]]["cert_url"]
        procs.wait_until(record, lambda: _get(url, ca_file).status_code == 200, timeout, "GET " + url)
    elif name.endswith("/server") and name.startswith("argocd-"):
        url = state["argocd"][name.split("/")[0][len("argocd-"):]]["server_url"] + "/healthz"
        procs.wait_until(record, lambda: _get(url, ca_file).ok, timeout, "GET " + url)
    elif name.endswith("/etcd"):
        # Its API server gives up on an etcd that does not answer within its own storage timeout: wait for /health
        # first, as 'up' does (a recreated control plane starts the API server right after it).
        client = next(a.split("=", 1)[1] for a in record["argv"] if a.startswith("--listen-client-urls="))
        procs.wait_until(record, lambda: _get(client + "/health", ca_file).status_code == 200, timeout,
                         "GET %s/health" % client)
    elif name.endswith("/kube-apiserver"):
        cluster = state["clusters"][name.split("/")[0]]
        url = cluster["api_url"] + "/readyz"
        procs.wait_until(record, lambda: _get(url, ca_file).status_code in (200, 401, 403), timeout, "GET " + url)
    return record


def restart(option, name, timeout=120):
    """Stop and start one process of a running sandbox (``keycloak``, ``openbao``, ``<cluster>/kube-apiserver``).

    OpenBao comes back sealed, as after any restart; Keycloak keeps its database, an API server its etcd.
    """
    stop_process(option, name)
    return start_process(option, name, timeout)


_STATE_LOCK = threading.Lock()
CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


def recreate(option, names, timeout=180):
    """Destroy the state of components of a running sandbox and start them fresh at the same addresses, for
    disaster-recovery drills: a cluster (its etcd wiped: a new, empty control plane on the same API URL, CA and
    ServiceAccount keys, with its kwok node), ``keycloak`` (its database wiped; the same bootstrap admin), ``openbao``
    (its raft data wiped: uninitialized and sealed). Other processes keep running."""
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        raise SandboxError("sandbox %s is not up" % option)
    unknown = [n for n in names if n not in ("keycloak", "openbao") and n not in state["clusters"]]
    if unknown:
        raise SandboxError("recreate: %s not keycloak, openbao or a cluster of %s" % (", ".join(unknown), option))

    def kill(name):  # destroyed, not shut down: no graceful stop to wait for
        procs.stop(_process(option, name)[2], timeout=0)

    def one(name):
        if name == "keycloak":
            kill("keycloak")
            shutil.rmtree(home / "keycloak" / "h2", ignore_errors=True)
            _start_keycloak_fresh(option, home, timeout)
        elif name == "openbao":
            kill("openbao")
            shutil.rmtree(home / "openbao" / "data", ignore_errors=True)
            (home / "openbao" / "data").mkdir()
            start_process(option, "openbao", timeout)
        else:
            with Step(name, "recreated empty on %s" % state["clusters"][name]["api_url"]):
                for component in reversed(CONTROL_PLANE):
                    kill("%s/%s" % (name, component))
                shutil.rmtree(home / "clusters" / name / "etcd")
                for component in CONTROL_PLANE:
                    start_process(option, "%s/%s" % (name, component), timeout)
                _fresh_node(home, state["clusters"][name], name, timeout)

    # All at once: each start's read-change-write of state.json holds _STATE_LOCK; the waits run in parallel.
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        for future in [pool.submit(one, name) for name in names]:
            future.result()


def _start_keycloak_fresh(option, home, timeout):
    """Keycloak on an empty database: the bootstrap admin of the sandbox's credentials is created again."""
    creds = json.loads((home / "credentials.json").read_text())
    env = dict(Keycloak.java_env(), KC_BOOTSTRAP_ADMIN_USERNAME=creds["keycloak_admin_username"],
               KC_BOOTSTRAP_ADMIN_PASSWORD=creds["keycloak_admin_password"])
    with _STATE_LOCK:
        _home, state, record = _process(option, "keycloak")
        record.update(procs.start("keycloak", record["argv"], record["log"], env=env))
        _save_state(home, state)
    url = state["keycloak"]["health_url"]
    ca_file = str(home / "pki" / "ca.crt")
    procs.wait_until(record, lambda: _get(url, ca_file).status_code == 200, timeout, "GET " + url)


def _fresh_node(home, cluster, name, timeout):
    """The kwok node and the default ServiceAccount of an emptied cluster, as its first start made them."""
    import requests  # pylint: disable=import-outside-toplevel
    from sandbox.cluster import NODE_NAME, node_body  # pylint: disable=import-outside-toplevel

    session = requests.Session()
    session.trust_env = False
    session.cert = (str(home / "pki" / ("%s-admin.crt" % name)), str(home / "pki" / ("%s-admin.key" % name)))
    session.verify = str(home / "pki" / "ca.crt")
    api = cluster["api_url"]
    reply = session.post(api + "/api/v1/nodes", json=node_body(), timeout=10)
    if reply.status_code not in (201, 409):
        raise SandboxError("%s: creating node %s failed: %s %s" % (name, NODE_NAME, reply.status_code, reply.text))
    deadline = time.monotonic() + timeout

    def ready():
        node = session.get(api + "/api/v1/nodes/" + NODE_NAME, timeout=5).json()
        account = session.get(api + "/api/v1/namespaces/default/serviceaccounts/default", timeout=5)
        return account.status_code == 200 and any(
            c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))

    while not ready():
        if time.monotonic() > deadline:
            raise SandboxError("%s: node %s not Ready or no default ServiceAccount after %ss" % (name, NODE_NAME, timeout))
        time.sleep(0.5)


def start_oci_registry(option):
    """Start an OCI registry (built once) in a running sandbox; ``down`` stops it with the rest.

    Returns ``{"host": "127.0.0.1:<port>", "ca_file": ...}``. Idempotent: a running one is reused.
    """
    from sandbox.pki import CertificateAuthority
    from sandbox.services import OciRegistry

    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        raise SandboxError("sandbox %s is not up" % option)
    running = next((r for r in state["processes"] if r["name"] == "registry"), None)
    if running is not None and procs.alive(running["pid"]) and "registry" in state:
        return state["registry"]
    binary = build.registry() / "registry"
    oci = OciRegistry(home / "registry", binary, CertificateAuthority(home / "pki"))
    oci.start(lambda entry: state["processes"].append(entry))
    state["registry"] = oci.describe()
    _save_state(home, state)
    return state["registry"]


def argocd_instances(option):
    """{instance: cluster name}: the hub on the platform cluster, a dedicated instance in each pull cluster."""
    result = {}
    for cluster in topology.clusters(option):
        if cluster.get("role") == "platform":
            result["hub"] = cluster["name"]
        elif cluster.get("gitops") == "pull":
            result[cluster["name"]] = cluster["name"]
    return result


def _start_all(home, state, components, timeout):
    """Start components at once (each ``start(record)``); their processes replace same-named ones in the state."""
    lock = threading.Lock()

    def record(entry):
        with lock:
            state["processes"] = [r for r in state["processes"] if r["name"] != entry["name"]] + [entry]
            _save_state(home, state)

    if components:
        with ThreadPoolExecutor(max_workers=len(components)) as pool:
            for future in [pool.submit(component.start, record) for component in components]:
                future.result(timeout=timeout)


def _deployment_release(option, cluster, namespace, name):
    """The release a Deployment of ``cluster`` names (its first container's image tag, without a leading v), or None."""
    state = _load_state(sandbox_home(option))
    found = state["clusters"][cluster]
    proc = subprocess.run([str(Path(state["bin_dir"]) / "kubectl"), "--kubeconfig", found["kubeconfig"], "--context",
                           found["context"], "get", "deployment", name, "-n", namespace, "-o",
                           "jsonpath={.spec.template.spec.containers[0].image}"], capture_output=True, text=True,
                          check=False)
    tag = proc.stdout.strip().rpartition(":")[2] if proc.returncode == 0 else ""
    return (tag[1:] if tag.startswith("v") else tag) or None


def installed_argocd_version(option, cluster):
    """The release the argocd-server Deployment of ``cluster`` names (without the v), or None."""
    return _deployment_release(option, cluster, gitops.NAMESPACE, "argocd-server")


def follow_keycloak_version(option, namespace="keycloak", timeout=300, empty_database=False):
    """The sandbox as the kubelet of an installed Keycloak's upgrade: when the platform cluster's ``keycloak``
    Deployment (kwok runs its pods) names another release than the real Keycloak runs, the real one is stopped and
    started from that release's build (built once) on the same database, which it migrates as a pod would; with
    ``empty_database``, on a new, empty one (the way back: an older release on the database of its time, which the
    restore fills), with the sandbox's bootstrap admin. Returns the release that runs. Call it repeatedly while a run
    goes."""
    platform = next(c["name"] for c in topology.clusters(option) if c.get("role") == "platform")
    wanted = _deployment_release(option, platform, namespace, "keycloak")
    with _STATE_LOCK:
        home, state, record = _process(option, "keycloak")
        running = Path(record["argv"][0]).parent.parent.name[len("keycloak-"):]
    if not wanted or wanted == running:
        return running
    if empty_database:
        procs.stop(record, timeout=0)
    else:
        stop_process(option, "keycloak")
    with _STATE_LOCK:
        home, state, record = _process(option, "keycloak")
        record["argv"][0] = str(build.keycloak(wanted) / "bin" / "kc.sh")
        _save_state(home, state)
    if empty_database:
        shutil.rmtree(home / "keycloak" / "h2", ignore_errors=True)
        _start_keycloak_fresh(option, home, timeout)
    else:
        start_process(option, "keycloak", timeout)
    return wanted


def follow_openbao_version(option, namespace="vault", timeout=120):
    """The sandbox as the kubelet of an installed OpenBao's upgrade: when the pod ``openbao-0`` of the platform
    cluster (kwok runs it) names another release than the real OpenBao runs, the real one is stopped and started from
    that release (the pinned wheel's ``bao``, or another release's wheel from PyPI) on the same raft data: it comes
    back sealed, as a replaced pod does. Returns the release that runs. Call it repeatedly while an upgrade runs."""
    platform = next(c["name"] for c in topology.clusters(option) if c.get("role") == "platform")
    state = _load_state(sandbox_home(option))
    found = state["clusters"][platform]
    proc = subprocess.run([str(Path(state["bin_dir"]) / "kubectl"), "--kubeconfig", found["kubeconfig"], "--context",
                           found["context"], "get", "pod", "openbao-0", "-n", namespace, "-o",
                           "jsonpath={.spec.containers[0].image}"], capture_output=True, text=True, check=False)
    wanted = proc.stdout.strip().rpartition(":")[2] if proc.returncode == 0 else ""
    with _STATE_LOCK:
        _home, _state, record = _process(option, "openbao")
        pinned = Path(record["argv"][0]) == build.openbao()
        running = build.versions.OPENBAO if pinned else Path(record["argv"][0]).parent.name[len("openbao-"):]
    if not wanted or wanted == running:
        return running
    stop_process(option, "openbao")
    with _STATE_LOCK:
        home, state, record = _process(option, "openbao")
        record["argv"][0] = str(build.openbao() if wanted == build.versions.OPENBAO else build.openbao_release(wanted))
        _save_state(home, state)
    start_process(option, "openbao", timeout)
    return wanted


def start_argocd(option, timeout=180, follow_installed_version=False):
    """Start the real Argo CD of every instance of a running, converged sandbox; ``down`` stops them.

    Each instance's programs read what the collection installed and configured in its cluster, so
    this runs after the option's playbook. Idempotent: running instances are kept. Returns
    ``{instance: {server_url, cluster, version, ...}}``.

    ``follow_installed_version``: the sandbox stands in for the kubelet of an upgrade. An instance whose cluster's
    argocd-server Deployment names another release than its programs are restarted from that release's build
    (built once, like the pinned one).
    """
    from sandbox.pki import CertificateAuthority

    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        raise SandboxError("sandbox %s is not up" % option)
    running = state.get("argocd", {})
    wanted = argocd_instances(option)
    versions = dict((name, build.versions.ARGOCD) for name in wanted)
    if follow_installed_version:
        for name, cluster in wanted.items():
            versions[name] = installed_argocd_version(option, cluster) or build.versions.ARGOCD
            if name in running and running[name].get("version", build.versions.ARGOCD) != versions[name]:
                _stop_prefixed(option, "argocd-%s/" % name, None)
                state = _load_state(home)
    alive = {r["name"] for r in state["processes"] if procs.alive(r["pid"])}
    todo = [i for i in wanted if "argocd-%s/server" % i not in alive]
    if not todo:
        return running
    redis_bin = build.redis()
    ca = CertificateAuthority(home / "pki")
    kubectl = Path(state["bin_dir"]) / "kubectl"
    instances = [gitops.ArgoCDInstance(home / "argocd" / name, name, dict(state["clusters"][wanted[name]],
                                                                           name=wanted[name]),
                                       build.argocd(versions[name]), redis_bin, ca, kubectl) for name in todo]
    _start_all(home, state, instances, timeout)
    for instance in instances:
        running[instance.instance] = dict(instance.describe(), version=versions[instance.instance])
    state["argocd"] = running
    _save_state(home, state)
    return running


def _stop_prefixed(option, prefix, key):
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        return []
    stopped = [r for r in state["processes"] if r["name"].startswith(prefix)]
    for entry in reversed(stopped):
        procs.stop(entry)
    state["processes"] = [r for r in state["processes"] if not r["name"].startswith(prefix)]
    if key:
        state.pop(key, None)
    _save_state(home, state)
    return [r["name"] for r in stopped]


def stop_argocd(option):
    """Stop every Argo CD process of a running sandbox (the rest keeps running); returns their names."""
    return _stop_prefixed(option, "argocd-", "argocd")


def stop_sealed_secrets(option):
    """Stop every Sealed Secrets controller of a running sandbox; returns their names."""
    return _stop_prefixed(option, "sealed-secrets-", "sealed_secrets")


def start_sealed_secrets(option, timeout=120):
    """Start the real Sealed Secrets controller in every cluster where the collection installed it.

    Runs after the option's playbook (which installs upstream's chart where the plan says: the
    clusters of dev and test). Idempotent. Returns ``{cluster: {url, cert_url, ...}}``.
    """
    from sandbox.pki import CertificateAuthority

    home = sandbox_home(option)
    state = _load_state(home)
    if state is None:
        raise SandboxError("sandbox %s is not up" % option)
    running = state.get("sealed_secrets", {})
    alive = {r["name"] for r in state["processes"] if procs.alive(r["pid"])}
    ca = CertificateAuthority(home / "pki")
    kubectl = Path(state["bin_dir"]) / "kubectl"
    controllers = []
    for name in sorted(state["clusters"]):
        if "sealed-secrets-%s" % name in alive:
            continue
        controller = gitops.SealedSecretsController(home / "sealed-secrets" / name, dict(state["clusters"][name], name=name),
                                                    build.sealed_secrets(), ca, kubectl)
        if controller.installed():
            controllers.append(controller)
    _start_all(home, state, controllers, timeout)
    for controller in controllers:
        running[controller.cluster["name"]] = controller.describe()
    state["sealed_secrets"] = running
    _save_state(home, state)
    return running


def publish_gitops(option, layout_dir):
    """Commit the run report's app-of-apps files (``reports/gitops``) to the sandbox's GitOps repository."""
    home = sandbox_home(option)
    state = _load_state(home)
    if state is None or "git" not in state:
        raise SandboxError("sandbox %s is not up (or has no Git server)" % option)
    if not Path(layout_dir).is_dir():
        raise SandboxError("%s does not exist: run the option's playbook first (its report writes it)" % layout_dir)
    return gitops.publish(state["git"], layout_dir, home / "git" / "publish")


def _get(url, ca_file):
    import requests

    session = requests.Session()
    session.trust_env = False
    return session.get(url, verify=ca_file, timeout=5)


def env_lines(state):
    """Shell exports to use the sandbox's tools and first cluster from a terminal."""
    first = next(iter(state["clusters"].values()))
    lines = ['export PATH="%s:$PATH"' % state["bin_dir"], 'export KUBECONFIG="%s"' % first["kubeconfig"]]
    if "git" in state:
        lines += ['export GIT_SSL_CAINFO="%s"' % state["git"]["ca_file"]]
    if "openbao" in state:
        lines += ['export VAULT_ADDR="%s"' % state["openbao"]["addr"],
                  'export VAULT_CACERT="%s"' % state["openbao"]["ca_file"]]
    return lines


def main_status(option):
    state = status(option)
    if state is None:
        print("%s: down" % option)
        return 1
    print(json.dumps(state, indent=2, sort_keys=True))
    return 0 if state["healthy"] else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m sandbox")
