"""GitOps in the sandbox: a Git server with the GitOps repository, and the real Argo CD per instance.

The Git server (``sandbox.git_http``: git's own http-backend behind TLS and basic auth) starts with
the sandbox; it serves one repository, ``gitops.git``, created with the teams' part of the
app-of-apps layout (``environments/<env>/``: a small Deployment per environment). The platform's
part (``argocd/<instance>/<env>.yaml``) is what the collection's run report writes from the plan
(``reports/gitops/``); :func:`publish` commits it, as an operator would.

Argo CD runs as host processes per instance against the instance's cluster, started after the
collection installed and configured it (:func:`start_instances`): redis (Debian's, downloaded into
the cache), repo-server, application-controller and argocd-server of the release whose install
manifest the sandbox gives the collection. They authenticate with tokens of the ServiceAccounts
upstream's manifest creates (so the ClusterRoles the collection installed are what they may do),
and the repo-server reads the TLS and SSH data the collection wrote (argocd-tls-certs-cm,
argocd-ssh-known-hosts-cm) from directories the sandbox projects them into, as the kubelet's
ConfigMap volumes do. Nothing else is configured for them. Where the OpenShift GitOps operator reconciled the
instance (an ``ArgoCD`` resource), they run as the ServiceAccounts the operator created, so the Roles it granted
(its own namespace, and the namespaces labelled as managed by it) are what they may do.
"""

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests
import yaml

from sandbox import procs
from sandbox.log import Step
from sandbox.pki import write_private

REPOSITORY = "gitops.git"
READER = "argocd"
WRITER = "ci"
NAMESPACE = "argocd"
# The ServiceAccounts of upstream's install manifest the processes run as (as their pods would).
SERVICE_ACCOUNTS = {"application-controller": "argocd-application-controller", "server": "argocd-server",
                    "repo-server": "argocd-repo-server"}
# Short enough for tests to see a new commit soon after it lands (upstream's default is 120 s).
APP_RESYNC_SECONDS = 15


def _git(args, cwd, env=None):
    proc = subprocess.run(["git"] + list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise procs.ComponentError("git %s failed in %s: %s" % (" ".join(args), cwd, proc.stderr.strip()))
    return proc.stdout


DEMO_REPOSITORY = "krci/krci-demo"


def sample_workload(env, namespace, image="registry.krci.test/krci-demo:1.0.0"):
    """The teams' content of environment ``env``: a Deployment the restricted Pod Security level admits."""
    labels = {"app.kubernetes.io/name": "krci-demo", "app.kubernetes.io/part-of": "krci-demo"}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "krci-demo", "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "krci-demo"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "app", "image": image,
                        "env": [{"name": "KRCI_ENVIRONMENT", "value": env}],
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                      "limits": {"cpu": "100m", "memory": "64Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                },
            },
        },
    }
    config = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": "krci-demo", "namespace": namespace, "labels": labels},
              "data": {"environment": env}}
    return {"deployment.yaml": deployment, "configmap.yaml": config}


class GitServer:
    """Git over HTTPS (sandbox CA) with a read-only user for Argo CD and a read-write one for CI."""

    def __init__(self, directory, ca):
        self.dir = Path(directory)
        self.ca = ca
        self.port = procs.free_port()
        self.url = "https://127.0.0.1:%d/" % self.port
        self.record = None

    def start(self, record, environments, namespace_prefix="krci-", image="registry.krci.test/krci-demo:1.0.0"):
        import secrets

        with Step("git", "GitOps repository on %s%s" % (self.url, REPOSITORY)):
            repos = self.dir / "repos"
            repos.mkdir(parents=True, exist_ok=True)
            users = {READER: {"password": secrets.token_urlsafe(18), "write": False},
                     WRITER: {"password": secrets.token_urlsafe(18), "write": True}}
            write_private(self.dir / "users.json", json.dumps({"users": users}))
            cert, key = self.ca.issue("git", "git", dns_names=("localhost",), ip_addresses=("127.0.0.1",), server=True)
            self._create_repository(repos / REPOSITORY, environments, namespace_prefix, image)
            import sys

            self.record = procs.start(
                "git", [sys.executable, "-m", "sandbox.git_http", "--root", repos, "--listen", "127.0.0.1:%d" % self.port,
                        "--cert", cert, "--key", key, "--users", self.dir / "users.json"],
                self.dir / "git.log", cwd=str(Path(__file__).resolve().parent.parent))
            record(self.record)
            ca_file = str(self.ca.cert_path)
            procs.wait_until(self.record, lambda: requests.get(self.url + REPOSITORY + "/info/refs", verify=ca_file,
                                                               timeout=3).status_code == 401, 30, "GET " + self.url)

    def _create_repository(self, bare, environments, namespace_prefix, image):
        _git(["init", "-q", "--bare", "-b", "main", str(bare)], cwd=str(self.dir))
        _git(["config", "http.receivepack", "true"], cwd=str(bare))
        with tempfile.TemporaryDirectory(dir=str(self.dir)) as work:
            _git(["init", "-q", "-b", "main"], cwd=work)
            readme = Path(work) / "README.md"
            readme.write_text("# GitOps repository of the krci sandbox\n\n"
                              "- `argocd/<instance>/`: the platform's Applications, one per environment "
                              "(the collection's report writes them under reports/gitops/)\n"
                              "- `environments/<environment>/`: what each environment runs\n")
            for env in environments:
                folder = Path(work) / "environments" / env
                folder.mkdir(parents=True)
                for name, obj in sample_workload(env, namespace_prefix + env, image).items():
                    (folder / name).write_text(yaml.safe_dump(obj, sort_keys=False))
            commit(work, "The environments' workloads")
            _git(["push", "-q", str(bare), "main"], cwd=work)

    def describe(self):
        return {"url": self.url, "repository": self.url + REPOSITORY, "ca_file": str(self.ca.cert_path),
                "users_file": str(self.dir / "users.json"), "reader": READER, "writer": WRITER,
                "bare": str(self.dir / "repos" / REPOSITORY), "log": str(self.dir / "git.log")}


def users(git_state):
    return json.loads(Path(git_state["users_file"]).read_text())["users"]


def commit(work, message):
    env = {"GIT_AUTHOR_NAME": "krci sandbox", "GIT_AUTHOR_EMAIL": "sandbox@krci.test",
           "GIT_COMMITTER_NAME": "krci sandbox", "GIT_COMMITTER_EMAIL": "sandbox@krci.test", "PATH": "/usr/bin:/bin"}
    _git(["add", "-A"], cwd=work)
    if not _git(["status", "--porcelain"], cwd=work).strip():
        return None
    _git(["commit", "-q", "-m", message], cwd=work, env=env)
    return _git(["rev-parse", "HEAD"], cwd=work).strip()


class Checkout:
    """A working copy of the sandbox's GitOps repository, cloned over HTTPS as the CI user."""

    def __init__(self, git_state, directory):
        self.git = git_state
        self.dir = Path(directory)
        password = users(git_state)[WRITER]["password"]
        self.remote = git_state["repository"].replace("https://", "https://%s:%s@" % (WRITER, password))
        self.env = {"GIT_SSL_CAINFO": git_state["ca_file"], "PATH": "/usr/bin:/bin", "HOME": str(self.dir.parent)}

    def clone(self):
        if self.dir.exists():
            shutil.rmtree(self.dir)
        _git(["clone", "-q", self.remote, str(self.dir)], cwd=str(self.dir.parent), env=self.env)
        return self

    def write(self, path, obj):
        target = self.dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(obj, (dict, list)):
            obj = yaml.safe_dump(obj, sort_keys=False)
        target.write_text(obj)

    def remove(self, path):
        target = self.dir / path
        if target.exists():
            target.unlink()

    def push(self, message):
        """Commit everything and push to main; the new commit's SHA (None when nothing changed)."""
        sha = commit(str(self.dir), message)
        if sha is not None:
            _git(["push", "-q", "origin", "main"], cwd=str(self.dir), env=self.env)
        return sha


def publish(git_state, layout_dir, work_dir):
    """Commit the platform's app-of-apps files (the report's ``gitops/`` directory) to the repository."""
    checkout = Checkout(git_state, work_dir).clone()
    for path in sorted(Path(layout_dir).rglob("*.yaml")):
        checkout.write(str(path.relative_to(layout_dir)), path.read_text())
    return checkout.push("The platform's Applications (from the krci.platform run report)")


class ArgoCDInstance:
    """One Argo CD instance's programs on this host, against its cluster's API server."""

    def __init__(self, directory, instance, cluster, argocd_home, redis_bin, ca, kubectl):
        self.dir = Path(directory)
        self.instance = instance
        self.cluster = cluster
        self.bin = Path(argocd_home) / "bin"
        self.redis_bin = Path(redis_bin)
        self.ca = ca
        self.kubectl = str(kubectl)
        self.ports = {name: procs.free_port() for name in ("redis", "repo", "repo_metrics", "controller_metrics",
                                                         "server", "server_metrics")}
        self.records = []
        self.accounts = None

    def _kubectl(self, *args):
        proc = subprocess.run([self.kubectl, "--kubeconfig", self.cluster["kubeconfig"], "--context",
                               self.cluster["context"]] + list(args), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise procs.ComponentError("argocd-%s: kubectl %s: %s" % (self.instance, " ".join(args[:3]),
                                                                      proc.stderr.strip()))
        return proc.stdout

    def service_accounts(self):
        """The ServiceAccounts the components' pods run as: upstream's manifest's, or, where the OpenShift GitOps
        operator reconciled an ArgoCD resource, the ones it created (<resource>-argocd-*; the repo-server's is
        the namespace's default)."""
        found = json.loads(self._kubectl("get", "argocds.argoproj.io", "-n", NAMESPACE, "-o", "json",
                                         "--ignore-not-found") or '{"items": []}').get("items") \
            if self._serves_argocd_kind() else []
        if not found:
            return dict(SERVICE_ACCOUNTS)
        name = found[0]["metadata"]["name"]
        return {"application-controller": "%s-argocd-application-controller" % name,
                "server": "%s-argocd-server" % name, "repo-server": "default"}

    def _serves_argocd_kind(self):
        proc = subprocess.run([self.kubectl, "--kubeconfig", self.cluster["kubeconfig"], "--context",
                               self.cluster["context"], "api-resources", "--api-group", "argoproj.io", "-o", "name"],
                              capture_output=True, text=True, check=False)
        return "argocds.argoproj.io" in proc.stdout.split()

    def _kubeconfig(self, component):
        """A kubeconfig with a token of the component's ServiceAccount, like its pod's projected token."""
        if self.accounts is None:
            self.accounts = self.service_accounts()
        token = self._kubectl("create", "token", self.accounts[component], "-n", NAMESPACE,
                              "--duration=48h").strip()
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "in-cluster",
            "clusters": [{"name": "in-cluster", "cluster": {"server": self.cluster["api_url"],
                                                            "certificate-authority": str(self.ca.cert_path)}}],
            "users": [{"name": component, "user": {"token": token}}],
            "contexts": [{"name": "in-cluster", "context": {"cluster": "in-cluster", "user": component,
                                                            "namespace": NAMESPACE}}],
        }
        path = self.dir / ("%s.kubeconfig" % component)
        write_private(path, yaml.safe_dump(config))
        return path

    def _project(self, config_map, directory):
        """Write a ConfigMap's keys as files, as a ConfigMap volume would (what the collection wrote)."""
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.iterdir():
            old.unlink()
        data = json.loads(self._kubectl("get", "configmap", config_map, "-n", NAMESPACE, "-o", "json")).get("data") or {}
        for key, value in data.items():
            (directory / key).write_text(value)

    def _env(self, component, extra=None):
        env = {"KUBECONFIG": str(self._kubeconfig(component)), "ARGOCD_FAKE_IN_CLUSTER": "true",
               "PATH": "%s:/usr/local/bin:/usr/bin:/bin" % self.bin, "HOME": str(self.dir)}
        env.update(extra or {})
        return env

    def start(self, record):
        name = "argocd-%s" % self.instance
        with Step(name, "redis, repo-server, application-controller and server against %s" % self.cluster["api_url"]):
            self.dir.mkdir(parents=True, exist_ok=True)
            tls, ssh, gpg, tmp = (self.dir / d for d in ("tls", "ssh", "gnupg", "tmp"))
            self._project("argocd-tls-certs-cm", tls)
            self._project("argocd-ssh-known-hosts-cm", ssh)
            for folder in (gpg, tmp):
                folder.mkdir(parents=True, exist_ok=True)
            gpg.chmod(0o700)
            redis = "127.0.0.1:%d" % self.ports["redis"]
            repo = "127.0.0.1:%d" % self.ports["repo"]
            self._run(record, "redis", [self.redis_bin, "--port", self.ports["redis"], "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no", "--protected-mode", "yes"], {})
            procs.wait_until(self.records[-1], lambda: procs.port_in_use(self.ports["redis"]), 30, "redis on " + redis)
            self._run(record, "repo-server", [
                self.bin / "argocd-repo-server", "--address", "127.0.0.1", "--port", self.ports["repo"],
                "--metrics-address", "127.0.0.1", "--metrics-port", self.ports["repo_metrics"],
                # Plaintext on loopback; since v3.6 mTLS must then be switched off explicitly.
                "--disable-tls", "--client-ca-path", "", "--redis", redis, "--loglevel", "info",
                # How long a branch's commit is cached (upstream: 3 min; a Git webhook refreshes sooner).
                "--revision-cache-expiration", "%ds" % APP_RESYNC_SECONDS],
                self._env("repo-server", {"TMPDIR": str(tmp), "ARGOCD_GPG_ENABLED": "false",
                                          "ARGOCD_ASK_PASS_SOCK": str(self.dir / "askpass.sock"),
                                          "ARGOCD_TLS_DATA_PATH": str(tls), "ARGOCD_SSH_DATA_PATH": str(ssh),
                                          "ARGOCD_GNUPGHOME": str(gpg)}))
            procs.wait_until(self.records[-1], lambda: procs.port_in_use(self.ports["repo"]), 60, "repo-server on " + repo)
            self._run(record, "application-controller", [
                self.bin / "argocd-application-controller", "--repo-server", repo, "--repo-server-plaintext",
                "--redis", redis, "--metrics-port", self.ports["controller_metrics"],
                "--app-resync", APP_RESYNC_SECONDS, "--app-resync-jitter", "0", "--loglevel", "info"],
                self._env("application-controller", {"HOSTNAME": "argocd-application-controller-0"}))
            self._run(record, "server", [
                self.bin / "argocd-server", "--insecure", "--address", "127.0.0.1", "--port", self.ports["server"],
                "--metrics-address", "127.0.0.1", "--metrics-port", self.ports["server_metrics"],
                "--repo-server", repo, "--repo-server-plaintext", "--redis", redis, "--loglevel", "info"],
                self._env("server"))
            url = "http://127.0.0.1:%d" % self.ports["server"]
            server = self.records[-1]
            procs.wait_until(server, lambda: requests.get(url + "/healthz", timeout=3).ok, 120, "GET %s/healthz" % url)

    def _run(self, record, component, argv, env):
        entry = procs.start("argocd-%s/%s" % (self.instance, component), argv,
                            self.dir / ("%s.log" % component), env=env)
        entry["env"] = env
        self.records.append(entry)
        record(entry)

    def describe(self):
        return {"instance": self.instance, "cluster": self.cluster["name"],
                "server_url": "http://127.0.0.1:%d" % self.ports["server"],
                "repo_server": "127.0.0.1:%d" % self.ports["repo"], "redis": "127.0.0.1:%d" % self.ports["redis"],
                "processes": [r["name"] for r in self.records], "dir": str(self.dir)}


# --- Sealed Secrets: the real controller per cluster where the collection installed it ---

SEALED_NAMESPACE = "sealed-secrets"
SEALED_CONTROLLER = "sealed-secrets-controller"
# Run in a private mount namespace: the controller only takes in-cluster configuration, so its
# ServiceAccount files are put where a pod has them, on a tmpfs over /run that only it sees.
_IN_CLUSTER = ('mount -t tmpfs -o size=1m,mode=0755 krci-sa /run && '
               'mkdir -p /run/secrets/kubernetes.io/serviceaccount && '
               'cp "$KRCI_SA_DIR"/token "$KRCI_SA_DIR"/ca.crt "$KRCI_SA_DIR"/namespace '
               '/run/secrets/kubernetes.io/serviceaccount/ && exec "$@"')


class SealedSecretsController:
    """The Sealed Secrets controller of one cluster, as the ServiceAccount the installed chart created."""

    def __init__(self, directory, cluster, home, ca, kubectl):
        self.dir = Path(directory)
        self.cluster = cluster
        self.binary = Path(home) / "bin" / "controller"
        self.ca = ca
        self.kubectl = str(kubectl)
        self.port = procs.free_port()
        self.metrics_port = procs.free_port()
        self.record = None

    def _kubectl(self, *args):
        proc = subprocess.run([self.kubectl, "--kubeconfig", self.cluster["kubeconfig"], "--context",
                               self.cluster["context"]] + list(args), capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise procs.ComponentError("sealed-secrets %s: kubectl %s: %s" % (self.cluster["name"], " ".join(args[:3]),
                                                                           proc.stderr.strip()))
        return proc.stdout

    def installed(self):
        proc = subprocess.run([self.kubectl, "--kubeconfig", self.cluster["kubeconfig"], "--context",
                               self.cluster["context"], "get", "deployment", SEALED_CONTROLLER, "-n", SEALED_NAMESPACE,
                               "-o", "name"], capture_output=True, text=True, check=False)
        return proc.returncode == 0

    def start(self, record):
        from urllib.parse import urlparse

        name = "sealed-secrets-%s" % self.cluster["name"]
        with Step(name, "controller against %s" % self.cluster["api_url"]):
            sa_dir = self.dir / "serviceaccount"
            sa_dir.mkdir(parents=True, exist_ok=True)
            write_private(sa_dir / "token", self._kubectl("create", "token", SEALED_CONTROLLER, "-n", SEALED_NAMESPACE,
                                                          "--duration=48h").strip())
            (sa_dir / "ca.crt").write_text(Path(self.ca.cert_path).read_text())
            (sa_dir / "namespace").write_text(SEALED_NAMESPACE)
            api = urlparse(self.cluster["api_url"])
            # The arguments of the Deployment the collection installed (its namespaces, its key prefix), with
            # the listen addresses on loopback.
            deployment = json.loads(self._kubectl("get", "deployment", SEALED_CONTROLLER, "-n", SEALED_NAMESPACE,
                                                  "-o", "json"))
            installed = list(deployment["spec"]["template"]["spec"]["containers"][0].get("args") or [])
            args = []
            while installed:
                arg = installed.pop(0)
                if arg in ("--listen-addr", "--listen-metrics-addr"):
                    installed.pop(0)
                elif not arg.startswith(("--listen-addr=", "--listen-metrics-addr=")):
                    args.append(arg)
            argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _IN_CLUSTER, "sh",
                    self.binary] + args + ["--listen-addr", "127.0.0.1:%d" % self.port,
                                           "--listen-metrics-addr", "127.0.0.1:%d" % self.metrics_port]
            env = {"KRCI_SA_DIR": str(sa_dir), "KUBERNETES_SERVICE_HOST": api.hostname,
                   "KUBERNETES_SERVICE_PORT": str(api.port or 443)}
            self.record = procs.start(name, argv, self.dir / "controller.log", env=env)
            self.record["env"] = env
            record(self.record)
            url = "http://127.0.0.1:%d/v1/cert.pem" % self.port
            procs.wait_until(self.record, lambda: requests.get(url, timeout=3).status_code == 200, 60, "GET " + url)

    def describe(self):
        return {"cluster": self.cluster["name"], "url": "http://127.0.0.1:%d" % self.port,
                "cert_url": "http://127.0.0.1:%d/v1/cert.pem" % self.port, "log": str(self.dir / "controller.log")}


# --- Images: small OCI images pushed to the sandbox's registry, to promote by digest ---

def push_image(registry, repository, tag, content):
    """Push a one-layer OCI image whose only file holds ``content``; returns its manifest digest."""
    import gzip
    import hashlib
    import io
    import tarfile

    session = requests.Session()
    session.trust_env = False
    session.verify = registry["ca_file"]
    base = "https://%s/v2/%s" % (registry["host"], repository)

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if session.head("%s/blobs/%s" % (base, digest), timeout=10).status_code != 200:
            start = session.post(base + "/blobs/uploads/", timeout=10)
            start.raise_for_status()
            location = start.headers["Location"]
            if location.startswith("/"):
                location = "https://%s%s" % (registry["host"], location)
            put = session.put(location, params={"digest": digest}, data=data,
                              headers={"Content-Type": "application/octet-stream"}, timeout=30)
            put.raise_for_status()
        return digest, len(data)

    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = content.encode()
        info = tarfile.TarInfo("krci/content.txt")
        info.size = len(data)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(data))
    layer = gzip.compress(raw.getvalue(), mtime=0)
    diff_id = "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/krci"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}, sort_keys=True).encode()
    config_digest, config_size = blob(config)
    layer_digest, layer_size = blob(layer)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": layer_size}]}, sort_keys=True).encode()
    put = session.put("%s/manifests/%s" % (base, tag), data=manifest,
                      headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"}, timeout=30)
    put.raise_for_status()
    return "sha256:" + hashlib.sha256(manifest).hexdigest()
