"""The sandbox's real services run as host processes: Keycloak (HTTPS) and OpenBao (raft, uninitialized)."""

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import requests

from sandbox import procs
from sandbox.log import Step

KEYCLOAK_HEAP = "-Xms64m -Xmx640m -XX:MaxMetaspaceSize=384m"


class Keycloak:
    """Keycloak's Quarkus distribution in production mode on HTTPS, with a per-sandbox H2 file database."""

    def __init__(self, directory, home, ca, admin_user, admin_password):
        self.dir = Path(directory)
        self.home = Path(home)
        self.ca = ca
        self.admin_user = admin_user
        self.admin_password = admin_password
        self.port = procs.free_port()
        self.management_port = procs.free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.record = None

    @staticmethod
    def find_java():
        """JAVA_HOME for Keycloak: $KRCI_JAVA_HOME, else a JDK 21, else 17, else 25, else java on PATH."""
        explicit = os.environ.get("KRCI_JAVA_HOME")
        if explicit:
            return explicit if Path(explicit, "bin", "java").exists() else None
        for pattern in ("/usr/lib/jvm/*21*", "/usr/lib/jvm/*-17-*", "/usr/lib/jvm/*17*", "/usr/lib/jvm/*25*"):
            for candidate in sorted(glob.glob(pattern)):
                if Path(candidate, "bin", "java").exists():
                    return candidate
        java = shutil.which("java")
        return str(Path(java).resolve().parent.parent) if java else None

    @classmethod
    def java_env(cls):
        env = {"JAVA_HOME": cls.find_java() or "", "JAVA_OPTS_KC_HEAP": KEYCLOAK_HEAP}
        return env

    @classmethod
    def augment(cls, home, log_path):
        """``kc.sh build`` once per cached distribution, so every start can use --optimized."""
        env = dict(os.environ)
        env.update(cls.java_env())
        with open(log_path, "ab") as log:
            subprocess.run([str(Path(home) / "bin" / "kc.sh"), "build", "--db=dev-file", "--health-enabled=true"],
                           env=env, stdout=log, stderr=subprocess.STDOUT, check=True)

    def start(self, record):
        self.dir.mkdir(parents=True, exist_ok=True)
        cert, key = self.ca.issue("keycloak", "keycloak", dns_names=("localhost",), ip_addresses=("127.0.0.1",),
                                  server=True)
        argv = [
            self.home / "bin" / "kc.sh", "start", "--optimized",
            "--hostname=%s" % self.url, "--http-enabled=false", "--http-host=127.0.0.1",
            "--https-port=%d" % self.port, "--http-management-port=%d" % self.management_port,
            "--https-certificate-file=%s" % cert, "--https-certificate-key-file=%s" % key,
            "--cache=local", "--db-url=jdbc:h2:file:%s/h2/keycloakdb;NON_KEYWORDS=VALUE" % self.dir,
        ]
        env = self.java_env()
        env.update({"KC_BOOTSTRAP_ADMIN_USERNAME": self.admin_user, "KC_BOOTSTRAP_ADMIN_PASSWORD": self.admin_password})
        self.record = procs.start("keycloak", argv, self.dir / "keycloak.log", env=env)
        record(self.record)

    def wait_ready(self, timeout):
        health = "https://127.0.0.1:%d/health/ready" % self.management_port
        procs.wait_until(self.record, lambda: requests.get(health, verify=str(self.ca.cert_path), timeout=5).ok,
                         timeout, "GET " + health)

    def describe(self):
        return {"url": self.url, "health_url": "https://127.0.0.1:%d/health/ready" % self.management_port,
                "admin_username": self.admin_user, "log": str(self.dir / "keycloak.log"),
                "ca_file": str(self.ca.cert_path)}


class OpenBao:
    """One OpenBao server with single-node raft storage, started uninitialized and sealed, on TLS."""

    def __init__(self, directory, bao, ca):
        self.dir = Path(directory)
        self.bao = Path(bao)
        self.ca = ca
        self.port = procs.free_port()
        self.cluster_port = procs.free_port()
        self.addr = "https://127.0.0.1:%d" % self.port
        self.audit_log = self.dir / "audit.log"
        self.record = None

    def config(self, cert, key):
        return "\n".join([
            'storage "raft" {',
            '  path    = "%s"' % (self.dir / "data"),
            '  node_id = "node1"',
            "}",
            'listener "tcp" {',
            '  address       = "127.0.0.1:%d"' % self.port,
            '  cluster_address = "127.0.0.1:%d"' % self.cluster_port,
            '  tls_cert_file = "%s"' % cert,
            '  tls_key_file  = "%s"' % key,
            "}",
            # Declarative audit device (OpenBao refuses them through the API).
            'audit "file" "krci-audit" {',
            '  options {',
            '    file_path = "%s"' % self.audit_log,
            "  }",
            "}",
            'api_addr     = "%s"' % self.addr,
            'cluster_addr = "https://127.0.0.1:%d"' % self.cluster_port,
            "ui = false",
            "",
        ])

    def start(self, record):
        with Step("openbao", "server on %s (uninitialized, raft)" % self.addr):
            (self.dir / "data").mkdir(parents=True, exist_ok=True)
            self.dir.chmod(0o700)
            cert, key = self.ca.issue("openbao", "openbao", dns_names=("localhost",), ip_addresses=("127.0.0.1",),
                                      server=True)
            config = self.dir / "config.hcl"
            config.write_text(self.config(cert, key))
            self.record = procs.start("openbao", [self.bao, "server", "-config=%s" % config],
                                      self.dir / "openbao.log")
            record(self.record)
            self.wait_answering(60)

    def wait_answering(self, timeout):
        """Wait until /sys/health answers at all (501 uninitialized and 503 sealed count as up)."""
        url = self.addr + "/v1/sys/health"
        procs.wait_until(self.record, lambda: requests.get(url, verify=str(self.ca.cert_path), timeout=3).status_code
                         in (200, 429, 472, 473, 501, 503), timeout, "GET " + url)

    def describe(self):
        return {"addr": self.addr, "ca_file": str(self.ca.cert_path), "config": str(self.dir / "config.hcl"),
                "audit_log": str(self.audit_log),
                "log": str(self.dir / "openbao.log")}


def _bcrypt(password):
    """A bcrypt hash (htpasswd's only scheme Distribution takes), by the C library's crypt (libxcrypt has $2b$)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt  # pylint: disable=deprecated-module
    hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
    if not hashed or not hashed.startswith("$2"):
        raise RuntimeError("this Python's crypt cannot make bcrypt hashes (needed for the registry's htpasswd)")
    return hashed


class OciRegistry:
    """A CNCF Distribution registry on TLS (sandbox CA): the sandbox's Harbor/Nexus stand-in, anonymous; with
    ``users`` ({name: password}, htpasswd basic auth) the registry API behind an ECR registry, whose token is the
    password of user ``AWS``."""

    def __init__(self, directory, binary, ca, users=None):
        self.dir = Path(directory)
        self.binary = Path(binary)
        self.ca = ca
        self.users = dict(users or {})
        self.port = procs.free_port()
        self.host = "127.0.0.1:%d" % self.port
        self.record = None

    def start(self, record):
        with Step("registry", "OCI registry on https://%s" % self.host):
            (self.dir / "data").mkdir(parents=True, exist_ok=True)
            cert, key = self.ca.issue("registry", "registry", dns_names=("localhost",), ip_addresses=("127.0.0.1",),
                                      server=True)
            config = self.dir / "config.yml"
            settings = {
                "version": 0.1,
                "log": {"level": "warn"},
                "storage": {"filesystem": {"rootdirectory": str(self.dir / "data")}, "delete": {"enabled": True}},
                "http": {"addr": self.host, "tls": {"certificate": str(cert), "key": str(key)}},
            }
            if self.users:
                htpasswd = self.dir / "htpasswd"
                htpasswd.write_text("".join("%s:%s\n" % (name, _bcrypt(password))
                                            for name, password in sorted(self.users.items())))
                settings["auth"] = {"htpasswd": {"realm": "registry", "path": str(htpasswd)}}
            config.write_text(json.dumps(settings))
            self.record = procs.start("registry", [self.binary, "serve", config], self.dir / "registry.log",
                                      env={"OTEL_TRACES_EXPORTER": "none"})
            record(self.record)
            url = "https://%s/v2/" % self.host
            procs.wait_until(self.record, lambda: requests.get(url, verify=str(self.ca.cert_path), timeout=3)
                             .status_code in ((401,) if self.users else (200,)), 60, "GET " + url)

    def describe(self):
        return {"host": self.host, "ca_file": str(self.ca.cert_path), "log": str(self.dir / "registry.log")}
