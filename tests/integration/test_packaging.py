"""The collection artifact and the AWX execution environment's build context, built with the real tools.

Building the EE image needs a container engine, which CI machines lack; what can be built and
checked without one is: the artifact, its clean install, its modules importing with only the
pinned runtime requirements, the ansible-builder context and the pip resolution of its requirements.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO

VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
DEPENDENCIES = ("kubernetes/core", "amazon/aws", "community/aws")


def tool(name):
    return str(Path(sys.executable).parent / name)


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    result = subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return out / ("krci-platform-%s.tar.gz" % VERSION)


def test_artifact_holds_the_collection_and_nothing_of_the_test_ground(artifact):
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    for expected in ("MANIFEST.json", "FILES.json", "meta/runtime.yml", "plugins/modules/keycloak_realm.py",
                     "roles/vault/meta/argument_specs.yml", "playbooks/separated.yml", "requirements.txt",
                     "awx/credential_types/kubeconfig.yml"):
        assert expected in names, expected
    for name in names:
        assert not name.startswith(("sandbox/", "bench/", "inventories/local/", "tests/unit/sandbox", ".collections")), name


@pytest.fixture(scope="module")
def runtime_python():
    """A venv with only ansible-core and the pinned runtime requirements (cached by their hash)."""
    digest = hashlib.sha256(((REPO / "requirements.txt").read_bytes() + (REPO / "constraints.txt").read_bytes())
                            ).hexdigest()[:12]
    venv = Path.home() / ".cache" / "krci-platform" / ("runtime-venv-%s" % digest)
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        core = next(line for line in (REPO / "constraints.txt").read_text().splitlines()
                    if line.startswith("ansible-core=="))
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", core,
                        "-r", str(REPO / "requirements.txt"), "-c", str(REPO / "constraints.txt")], check=True)
        (venv / ".complete").write_text("ok")
    return venv / "bin" / "python"


def test_artifact_installs_into_a_clean_path_and_every_module_imports(artifact, runtime_python, tmp_path):
    clean = tmp_path / "collections"
    # Outside the repository, so its ansible.cfg (collections_path) does not count the source tree as installed.
    result = subprocess.run([tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(clean),
                             str(artifact)], cwd=str(tmp_path), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    root = clean / "ansible_collections" / "krci" / "platform"
    modules = sorted(p.stem for p in (root / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    assert modules == sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
    env = dict(os.environ, PYTHONPATH=str(clean), ANSIBLE_COLLECTIONS_PATH=str(clean), ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"))
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    code = "import importlib, sys\nfor m in sys.argv[1:]:\n    importlib.import_module(m)\n"
    names = ["ansible_collections.krci.platform.plugins.modules.%s" % m for m in modules]
    names += ["ansible_collections.krci.platform.plugins.module_utils.%s" % p.stem
              for p in (root / "plugins" / "module_utils").glob("_*.py")]
    result = subprocess.run([str(runtime_python), "-c", code] + names, env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    doc = subprocess.run([str(runtime_python.parent / "ansible-doc"), "-t", "module", "--json"]
                         + ["krci.platform.%s" % m for m in modules], env=env, capture_output=True, text=True,
                         check=False)
    assert doc.returncode == 0, doc.stderr
    documented = json.loads(doc.stdout)
    assert sorted(documented) == sorted("krci.platform.%s" % m for m in modules)
    assert all(d["doc"].get("short_description") for d in documented.values())


def test_execution_environment_context_and_its_requirements_resolve(artifact, tmp_path):
    """ansible-builder create, then the collections' requirements combined as the image build would, resolved by pip."""
    work = tmp_path / "project"
    (work / "build").mkdir(parents=True)
    for name in ("execution-environment.yml", "requirements.txt", "constraints.txt"):
        shutil.copy(REPO / name, work / name)
    shutil.copytree(REPO / "awx", work / "awx")
    shutil.copy(artifact, work / "build" / artifact.name)
    context = tmp_path / "context"
    result = subprocess.run([tool("ansible-builder"), "create", "-f", "execution-environment.yml", "-c", str(context)],
                            cwd=str(work), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    core = next(line for line in (REPO / "constraints.txt").read_text().splitlines() if line.startswith("ansible-core=="))
    assert core in containerfile and "ENV PIP_CONSTRAINT=/build/configs/constraints.txt" in containerfile
    assert (context / "_build" / "collections" / artifact.name).exists()
    assert (context / "_build" / "requirements.txt").read_text() == (REPO / "requirements.txt").read_text()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    wanted = {c["name"] for c in galaxy}
    # What galaxy.yml declares (the collections the code calls) and awx.awx for awx/setup.yml.
    assert wanted - {c["name"] for c in galaxy if c.get("type") == "file"} == {
        "kubernetes.core", "amazon.aws", "community.aws", "awx.awx"}
    assert any(c.get("type") == "file" and c["name"].endswith(artifact.name) for c in galaxy)

    # The galaxy stage, offline: the same collection versions (from the pinned ansible package) and the artifact.
    collections = tmp_path / "ee-collections"
    # The ansible package (pinned) installs its collections in site-packages/ansible_collections.
    site = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    for dep in DEPENDENCIES:
        shutil.copytree(site / dep, collections / "ansible_collections" / dep)
        version = json.loads((site / dep / "MANIFEST.json").read_text())["collection_info"]["version"]
        assert {"name": dep.replace("/", "."), "version": version} in galaxy, dep
    result = subprocess.run([tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p",
                             str(collections), str(artifact)], cwd=str(tmp_path), capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    combined = tmp_path / "ee-requirements.txt"
    argv = [sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
            "--user-pip", str(context / "_build" / "requirements.txt"), "--write-pip", str(combined)]
    if (context / "_build" / "exclude-requirements.txt").exists():
        argv += ["--exclude-pip-reqs", str(context / "_build" / "exclude-requirements.txt")]
    result = subprocess.run(argv + [str(collections)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    text = combined.read_text()
    assert "kubernetes" in text and "hvac" in text and "boto3" in text
    assert "azure-identity" not in text  # no collection of the image asks for it

    # pip resolves them under the constraints (PIP_CONSTRAINT in the image), to exactly the pinned versions.
    report = tmp_path / "report.json"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                             "--disable-pip-version-check", "--report", str(report), "-r", str(combined),
                             "-c", str(context / "_build" / "configs" / "constraints.txt")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    pins = dict(line.lower().split("==") for line in (REPO / "constraints.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    resolved = {item["metadata"]["name"].lower(): item["metadata"]["version"]
                for item in json.loads(report.read_text())["install"]}
    assert resolved, "pip resolved nothing"
    unpinned = sorted(name for name in resolved if name.replace("_", "-") not in pins and name not in pins)
    assert not unpinned, "not in constraints.txt: %s" % unpinned
    for name, version in resolved.items():
        assert pins.get(name, pins.get(name.replace("_", "-"))) == version, name
