"""One real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, and a kwok node controller with one node so workloads become Ready."""

import base64
import json
from pathlib import Path

import requests
import yaml

from sandbox import procs
from sandbox.log import Step
from sandbox.pki import service_account_keypair, write_private

SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.1/16"
NODE_NAME = "kwok-node-0"


def _b64(path):
    return base64.b64encode(Path(path).read_bytes()).decode()


def node_body():
    """The kwok node every sandbox cluster gets (kwok makes it Ready and runs its pods as fakes)."""
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": NODE_NAME,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64", "type": "kwok"},
        },
        "spec": {"providerID": "kwok://" + NODE_NAME},
        "status": {"allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                   "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"}},
    }


class ControlPlane:
    def __init__(self, name, directory, binaries, ca, oidc=None):
        self.name = name
        self.dir = Path(directory)
        self.k8s_bin = binaries["kubernetes"]
        self.etcd_bin = binaries["etcd"] / "etcd"
        self.kwok_bin = binaries["kwok"] / "kwok"
        self.ca = ca
        self.oidc = oidc
        self.ports = {
            "etcd_client": procs.free_port(),
            "etcd_peer": procs.free_port(),
            "apiserver": procs.free_port(),
            "controller_manager": procs.free_port(),
            "scheduler": procs.free_port(),
            "kwok": procs.free_port(),
        }
        self.api_url = "https://127.0.0.1:%d" % self.ports["apiserver"]
        self.kubeconfig = self.dir / "kubeconfig"

    # --- files ---
    def _prepare(self):
        pki = self.dir / "pki"
        pki.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        self.serving = self.ca.issue(
            "%s-serving" % self.name, "kube-apiserver", dns_names=(
                "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local"),
            ip_addresses=("127.0.0.1", "10.96.0.1"), server=True, client=False)
        self.admin = self.ca.issue("%s-admin" % self.name, "krci-sandbox-admin", organizations=("system:masters",),
                                   client=True)
        self.sa_key, self.sa_pub = service_account_keypair(pki)
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": self.name, "cluster": {
                "server": self.api_url, "certificate-authority-data": _b64(self.ca.cert_path)}}],
            "users": [{"name": "%s-admin" % self.name, "user": {
                "client-certificate-data": _b64(self.admin[0]), "client-key-data": _b64(self.admin[1])}}],
            "contexts": [{"name": self.name, "context": {"cluster": self.name, "user": "%s-admin" % self.name}}],
            "current-context": self.name,
        }
        write_private(self.kubeconfig, yaml.safe_dump(kubeconfig))
        self.authn_config = None
        if self.oidc:
            self.authn_config = self.dir / "authentication-config.yaml"
            self.authn_config.write_text(yaml.safe_dump({
                "apiVersion": "apiserver.config.k8s.io/v1beta1",
                "kind": "AuthenticationConfiguration",
                "jwt": [{
                    "issuer": {"url": self.oidc["issuer"], "audiences": [self.oidc["client_id"]],
                               "certificateAuthority": self.ca.pem},
                    "claimMappings": {
                        "username": {"claim": "preferred_username", "prefix": "oidc:"},
                        "groups": {"claim": "groups", "prefix": "oidc:"},
                    },
                }],
            }))

    def _session(self):
        session = requests.Session()
        # REQUESTS_CA_BUNDLE and friends would override session.verify (requests #3829); loopback needs no proxy.
        session.trust_env = False
        session.cert = (str(self.admin[0]), str(self.admin[1]))
        session.verify = str(self.ca.cert_path)
        return session

    # --- processes ---
    def _argv_etcd(self):
        client = "http://127.0.0.1:%d" % self.ports["etcd_client"]
        peer = "http://127.0.0.1:%d" % self.ports["etcd_peer"]
        return [self.etcd_bin, "--name=node0", "--data-dir=%s" % (self.dir / "etcd"),
                "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
                "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
                "--initial-cluster=node0=" + peer, "--auto-compaction-retention=1",
                "--quota-backend-bytes=2147483648", "--unsafe-no-fsync=true", "--log-level=warn"]

    def _argv_apiserver(self):
        argv = [
            self.k8s_bin / "kube-apiserver",
            "--etcd-servers=http://127.0.0.1:%d" % self.ports["etcd_client"],
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            "--secure-port=%d" % self.ports["apiserver"],
            "--tls-cert-file=%s" % self.serving[0], "--tls-private-key-file=%s" % self.serving[1],
            "--client-ca-file=%s" % self.ca.cert_path,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=%s" % self.sa_pub,
            "--service-account-signing-key-file=%s" % self.sa_key,
            "--service-cluster-ip-range=" + SERVICE_CIDR,
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction,PodSecurity",
            "--allow-privileged=true",
            "--profiling=false",
            # A loopback advertise address cannot be written to the kubernetes Endpoints; nothing in-cluster needs it.
            "--endpoint-reconciler-type=none",
        ]
        if self.authn_config:
            argv.append("--authentication-config=%s" % self.authn_config)
        return argv

    def _argv_controller_manager(self):
        return [
            self.k8s_bin / "kube-controller-manager", "--kubeconfig=%s" % self.kubeconfig,
            "--bind-address=127.0.0.1", "--secure-port=%d" % self.ports["controller_manager"],
            "--tls-cert-file=%s" % self.serving[0], "--tls-private-key-file=%s" % self.serving[1],
            "--leader-elect=false", "--service-account-private-key-file=%s" % self.sa_key,
            "--root-ca-file=%s" % self.ca.cert_path, "--use-service-account-credentials=true",
            "--authentication-kubeconfig=%s" % self.kubeconfig, "--authorization-kubeconfig=%s" % self.kubeconfig,
            # kwok renews the node's lease but never marks pods ready again once the node lifecycle controller
            # marked them unready: an API server stopped by a fault test for longer than the default grace
            # period (50 s) would leave every Deployment of the cluster unavailable for good.
            "--node-monitor-grace-period=10m",
        ]

    def _argv_scheduler(self):
        return [
            self.k8s_bin / "kube-scheduler", "--kubeconfig=%s" % self.kubeconfig,
            "--bind-address=127.0.0.1", "--secure-port=%d" % self.ports["scheduler"],
            "--tls-cert-file=%s" % self.serving[0], "--tls-private-key-file=%s" % self.serving[1],
            "--leader-elect=false",
            "--authentication-kubeconfig=%s" % self.kubeconfig, "--authorization-kubeconfig=%s" % self.kubeconfig,
        ]

    def _argv_kwok(self):
        return [
            self.kwok_bin, "--kubeconfig=%s" % self.kubeconfig, "--manage-all-nodes=true",
            "--cidr=" + POD_CIDR, "--node-ip=127.0.0.1", "--node-name=localhost",
            "--node-port=%d" % self.ports["kwok"], "--server-address=127.0.0.1:%d" % self.ports["kwok"],
            "--tls-cert-file=%s" % self.serving[0], "--tls-private-key-file=%s" % self.serving[1],
            "--node-lease-duration-seconds=40",
        ]

    def _start(self, record, component, argv):
        entry = procs.start("%s/%s" % (self.name, component), argv, self.dir / "logs" / ("%s.log" % component))
        record(entry)
        return entry

    def start(self, record):
        """Start all processes in order and wait until a node is Ready. ``record`` stores each pid."""
        with Step(self.name, "control plane on %s" % self.api_url):
            self._prepare()
            etcd = self._start(record, "etcd", self._argv_etcd())
            procs.wait_until(etcd, self._etcd_healthy, 60, "GET /health")
            apiserver = self._start(record, "kube-apiserver", self._argv_apiserver())
            session = self._session()
            procs.wait_until(apiserver, lambda: session.get(self.api_url + "/readyz", timeout=5).status_code == 200,
                             120, "GET %s/readyz" % self.api_url)
            kcm = self._start(record, "kube-controller-manager", self._argv_controller_manager())
            sched = self._start(record, "kube-scheduler", self._argv_scheduler())
            kwok = self._start(record, "kwok", self._argv_kwok())
            self._create_node(session)
            procs.wait_until(kcm, lambda: self._healthz(session, "controller_manager"), 60, "controller-manager /healthz")
            procs.wait_until(sched, lambda: self._healthz(session, "scheduler"), 60, "scheduler /healthz")
            procs.wait_until(kcm, lambda: session.get(
                self.api_url + "/api/v1/namespaces/default/serviceaccounts/default", timeout=5).status_code == 200,
                60, "ServiceAccount default/default created by the controller-manager")
            procs.wait_until(kwok, lambda: self._node_ready(session), 60, "node %s Ready (kwok)" % NODE_NAME)

    def _etcd_healthy(self):
        reply = requests.get("http://127.0.0.1:%d/health" % self.ports["etcd_client"], timeout=3)
        return reply.status_code == 200 and json.loads(reply.text).get("health") == "true"

    def _healthz(self, session, component):
        return session.get("https://127.0.0.1:%d/healthz" % self.ports[component], timeout=3).status_code == 200

    def _create_node(self, session):
        reply = session.post(self.api_url + "/api/v1/nodes", json=node_body(), timeout=10)
        if reply.status_code not in (201, 409):
            raise procs.ComponentError("%s: creating node %s failed: %s %s" % (self.name, NODE_NAME, reply.status_code, reply.text))

    def _node_ready(self, session):
        node = session.get(self.api_url + "/api/v1/nodes/" + NODE_NAME, timeout=5).json()
        conditions = node.get("status", {}).get("conditions", [])
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

    def describe(self):
        return {"api_url": self.api_url, "kubeconfig": str(self.kubeconfig), "context": self.name,
                "ports": self.ports, "logs": str(self.dir / "logs")}
