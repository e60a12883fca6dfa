"""Day 2 on the converged separated sandbox: the backup (playbooks/backup.yml) against the real Keycloak, OpenBao and
Sealed Secrets controllers, to a controller directory and to S3 (moto), encrypted for a key the test holds; its bad
input; OpenBao going away mid-backup.

The archive is opened here with the private key, as a restore would: every artifact is checked against what the
servers hold (the realm's users, groups and client secrets; a raft snapshot; the controllers' keys).
"""

import json
import subprocess
import tarfile
import time
import io
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from conftest import REPO, assert_ok, kube_client, run
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
    restore.yml puts back the realm and OpenBao's data (unsealed with the original keys, which the archive does not
    hold) and the option playbook converges the rest. Everything written before the backup is back; everything after
    it is lost, and nothing else; production comes back from Git and the converge alone."""
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
