"""An option playbook through ansible-runner, laid out as AWX lays out a job, against the sandbox of that option
(OPTION: the shared one, whose stream of tests/run-all.sh has room; nothing here depends on the option).

AWX gives ansible-runner a private data directory: env/extravars (survey answers), env/envvars
(what the credentials inject: here the krci.platform kubeconfig and Keycloak admin types, see
awx/credential_types/), the inventory (the project's topology file, with kubeconfig_from:
environment so no path or secret is in it) and the project. Nothing secret is in the inventory,
the extra vars or the project.
"""

import base64
import json
import shutil
from pathlib import Path

import ansible_runner
import pytest
import yaml

from conftest import REPO, kube_client
from vault_client import key_store

CREDENTIAL_TYPES = REPO / "awx" / "credential_types"


def merged_kubeconfig(state, path):
    """What the krci.platform kubeconfig credential holds: one kubeconfig, a context per cluster."""
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
              "current-context": "platform"}
    for name, cluster in state["clusters"].items():
        config = yaml.safe_load(Path(cluster["kubeconfig"]).read_text())
        context = next(c for c in config["contexts"] if c["name"] == cluster["context"])
        entry = next(c for c in config["clusters"] if c["name"] == context["context"]["cluster"])
        user = next(u for u in config["users"] if u["name"] == context["context"]["user"])
        merged["clusters"].append({"name": name, "cluster": entry["cluster"]})
        merged["users"].append({"name": name + "-admin", "user": user["user"]})
        merged["contexts"].append({"name": name, "context": {"cluster": name, "user": name + "-admin"}})
    path.write_text(yaml.safe_dump(merged))
    path.chmod(0o600)
    return merged


def injected_env(kubeconfig_path, keycloak_creds):
    """Render the credential types' env injectors the way AWX does (file path, field values)."""
    values = {"tower": {"filename": {"kubeconfig": str(kubeconfig_path)}},
              "username": keycloak_creds["keycloak_admin_username"],
              "password": keycloak_creds["keycloak_admin_password"], "database_password": ""}
    env = {}
    for name in ("kubeconfig.yml", "keycloak_admin.yml"):
        injectors = yaml.safe_load((CREDENTIAL_TYPES / name).read_text())["injectors"]
        for key, template in injectors["env"].items():
            import jinja2

            env[key] = jinja2.Template(template).render(**values)
    return env


OPTION = "shared"
pytestmark = pytest.mark.sandbox(OPTION)


@pytest.fixture(scope="module")
def awx_job(sandbox_pool, tools_env, tmp_path_factory):
    """The sandbox the ansible-playbook runs converged: the job must find nothing to change.

    (Converging from nothing is proven by test_baseline; what this module proves is the job as AWX
    runs it: credentials injected as environment only, inventory without paths or secrets.)
    """
    state, _ = sandbox_pool.converged(OPTION, tools_env)
    data = tmp_path_factory.mktemp("awx-job")
    (data / "env").mkdir()
    (data / "inventory").mkdir()
    kubeconfig = data / "credential-kubeconfig"
    merged = merged_kubeconfig(state, kubeconfig)
    creds = json.loads(Path(state["keycloak"]["credentials_file"]).read_text())
    envvars = injected_env(kubeconfig, creds)
    envvars["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".collections")  # in AWX: the execution environment's
    (data / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    (data / "env" / "extravars").write_text(yaml.safe_dump({"keycloak_base_domain": "krci.test",
                                                            "krci_report_dir": str(data / "reports")}))
    # The project's inventory file for AWX: contexts only, no kubeconfig path, no secret.
    sandbox_inventory = yaml.safe_load(Path(state["inventory"]).read_text())
    awx_vars = {k: v for k, v in sandbox_inventory["vars"].items() if k != "krci_keycloak_credentials_file"}
    (data / "inventory" / "topology.yml").write_text(yaml.safe_dump({
        "plugin": "krci.platform.topology", "option": OPTION, "kubeconfig_from": "environment",
        "clusters": {name: {"context": name} for name in state["clusters"]}, "vars": awx_vars}))
    secrets = [creds["keycloak_admin_password"]]
    secrets += [u["user"][k] for u in merged["users"] for k in ("client-key-data", "token") if u["user"].get(k)]
    return state, data, secrets


def run_job(data, ident):
    return ansible_runner.run(private_data_dir=str(data), project_dir=str(REPO), playbook="playbooks/%s.yml" % OPTION,
                              inventory=str(data / "inventory" / "topology.yml"), ident=ident, quiet=True,
                              fact_cache_type="jsonfile", settings={"suppress_ansible_output": True})


def per_host(events):
    counts = {}
    for event in events:
        host = (event.get("event_data") or {}).get("host")
        if event["event"] in ("runner_on_ok", "runner_on_failed") and host:
            entry = counts.setdefault(host, {"ok": 0, "changed": 0, "failed": 0})
            if event["event"] == "runner_on_failed" and not event["event_data"].get("ignore_errors"):
                entry["failed"] += 1
            else:
                entry["ok"] += 1
                entry["changed"] += bool(event["event_data"].get("res", {}).get("changed"))
    return counts


def artifact_text(data, ident):
    """What AWX keeps of a job: stdout, the job events and the fact cache.

    (ansible-runner's own 'command' file records the environment it was given, credentials
    included; AWX does not keep it.)
    """
    root = data / "artifacts" / ident
    paths = [root / "stdout"] + sorted((root / "job_events").glob("*.json")) + sorted(
        p for p in (root / "fact_cache").rglob("*") if p.is_file())
    return "\n".join(p.read_text(errors="replace") for p in paths if p.exists())


def test_job_runs_as_awx_runs_it_and_changes_no_cluster_of_the_converged_platform(awx_job):
    state, data, secrets = awx_job
    first = run_job(data, "job-1")
    assert first.status == "successful", first.stdout.read()[-3000:]
    assert first.rc == 0
    stats = first.stats
    assert sorted(stats["ok"]) == sorted(list(state["clusters"]) + ["localhost"])
    assert not stats["failures"] and not stats["dark"]
    events = list(first.events)
    counts = per_host(events)
    assert set(counts) >= set(state["clusters"])
    assert all(counts[name]["failed"] == 0 for name in state["clusters"])
    # The event stream tells the same story as the recap: which hosts changed something. The
    # clusters: nothing (the CLI runs converged them, the job reads them through the credential);
    # the controller: at most the report, written to the survey's new report directory.
    assert {h for h, c in counts.items() if c["changed"]} == {h for h, n in stats["changed"].items() if n}
    assert {h for h, n in stats["changed"].items() if n} <= {"localhost"}, stats["changed"]

    # No secret in any artifact: the injected credentials, the Vault keys and the client secrets.
    client, api = kube_client(state["clusters"]["platform"])
    core = client.CoreV1Api(api)
    stored = key_store(state)  # the key shares' Secret and the admin credential's file
    secrets += stored["keys"] + [stored["admin"]["secret_id"]]
    for namespace in ("argocd", "vault", "krci"):
        secrets.append(base64.b64decode(core.read_namespaced_secret("keycloak-oidc-client", namespace)
                                        .data["clientSecret"]).decode())
    for ident in ("job-1",):
        text = artifact_text(data, ident)
        assert len(text) > 1000
        for secret in secrets:
            assert secret not in text, "a secret leaked into the artifacts of %s" % ident
    assert (data / "reports" / "report.md").exists()


def test_missing_credential_is_named_before_any_change(awx_job):
    state, data, _ = awx_job
    bare = data.parent / "awx-job-without-credential"
    shutil.copytree(data, bare, ignore=shutil.ignore_patterns("artifacts"))
    envvars = yaml.safe_load((bare / "env" / "envvars").read_text())
    envvars.pop("K8S_AUTH_KUBECONFIG")
    (bare / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    result = run_job(bare, "job-no-kubeconfig")
    assert result.status == "failed"
    text = result.stdout.read()
    assert "K8S_AUTH_KUBECONFIG is not set" in " ".join(text.split())
    assert sum(result.stats["changed"].values()) == 0
