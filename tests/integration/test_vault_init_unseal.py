"""krci.platform.vault_init and vault_unseal against the sandbox's real OpenBao (raft, TLS)."""

import base64
import json
import os
import stat
import uuid

import pytest
import requests
import yaml

from conftest import run, start_moto
from sandbox import core

pytestmark = pytest.mark.sandbox("shared")


@pytest.fixture(scope="module")
def bao(sandbox_pool):
    """A sandbox whose OpenBao is uninitialized (the one test_sandbox checked, or a fresh one); closed after,
    so no later test sees it initialized."""
    state = sandbox_pool.get("shared")
    if health(state).status_code != 501:  # initialized by an earlier test
        sandbox_pool.close()
        state = sandbox_pool.get("shared")
    yield state
    sandbox_pool.close()


def task(module, state, **params):
    if module != "vault_key_custody_info":  # the one that talks to the stores only
        params = dict(params, url=state["openbao"]["addr"], ca_cert=state["openbao"]["ca_file"])
    return {"name": module, "krci.platform.%s" % module: params, "register": "out"}


def play(state, env, tmp_path, module, *extra, **params):
    name = uuid.uuid4().hex[:6]
    out = tmp_path / ("out-%s.json" % name)
    path = tmp_path / ("play-%s.yml" % name)
    path.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        task(module, state, **params),
        {"ansible.builtin.copy": {"content": "{{ out | to_json }}", "dest": str(out), "mode": "0600"},
         "check_mode": False}]}]))
    result = run(["ansible-playbook", str(path)] + list(extra), env)
    return result, (json.loads(out.read_text()) if out.exists() else None)


def health(state):
    session = requests.Session()
    session.trust_env = False
    return session.get(state["openbao"]["addr"] + "/v1/sys/health", verify=state["openbao"]["ca_file"], timeout=10)


INITIALIZED = {}  # the first test's keys and root token, for the configuration test after it


@pytest.fixture
def env(tools_env):
    return dict(tools_env, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")


def test_init_and_unseal_lifecycle(bao, env, tmp_path):
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    keys_file = keys_dir / "bao.json"
    destination = {"type": "file", "path": str(keys_file)}

    # Bad input fails before contacting the server.
    result, _ = play(bao, env, tmp_path, "vault_init", key_shares=3, key_threshold=4, key_destination=destination)
    assert result.returncode != 0 and "key_threshold (4) is greater than key_shares (3)" in result.stdout
    # Keys already at the destination of an uninitialized server: refused as possible data loss.
    keys_file.write_text('{"keys": ["old"]}')
    result, _ = play(bao, env, tmp_path, "vault_init", key_destination=destination)
    assert result.returncode != 0 and "possible data loss" in " ".join(result.stdout.split())
    keys_file.unlink()
    # Check mode predicts and changes nothing.
    result, data = play(bao, env, tmp_path, "vault_init", "--check", key_destination=destination)
    assert result.returncode == 0 and data["changed"] is True
    assert health(bao).status_code == 501 and not keys_file.exists()

    result, data = play(bao, env, tmp_path, "vault_init", "-vvv", key_shares=5, key_threshold=3,
                        key_destination=destination)
    assert result.returncode == 0, result.stdout[-2000:]
    assert data["changed"] is True and data["initialized"] is True
    assert stat.S_IMODE(os.stat(keys_file).st_mode) == 0o600
    secrets = json.loads(keys_file.read_text())
    assert len(secrets["keys"]) == 5 and secrets["root_token"]
    INITIALIZED.update(secrets)
    for value in secrets["keys"] + secrets["keys_base64"] + [secrets["root_token"]]:
        assert value not in result.stdout + result.stderr

    before = keys_file.read_text()
    result, data = play(bao, env, tmp_path, "vault_init", key_destination=destination)
    assert data["changed"] is False and keys_file.read_text() == before  # no new keys, ever

    assert health(bao).status_code == 503  # sealed
    result, data = play(bao, env, tmp_path, "vault_unseal", "-vvv", key_source=destination)
    assert result.returncode == 0 and data["changed"] is True and data["sealed"] is False
    for value in secrets["keys"] + [secrets["root_token"]]:
        assert value not in result.stdout + result.stderr
    assert health(bao).status_code == 200
    result, data = play(bao, env, tmp_path, "vault_unseal", key_source=destination)
    assert data["changed"] is False

    # Data written now survives a restart, which seals the server again.
    session = requests.Session()
    session.trust_env = False
    session.verify = bao["openbao"]["ca_file"]
    session.headers["X-Vault-Token"] = secrets["root_token"]
    addr = bao["openbao"]["addr"]
    assert session.post(addr + "/v1/sys/mounts/kv", json={"type": "kv", "options": {"version": "2"}},
                        timeout=10).status_code == 204
    assert session.post(addr + "/v1/kv/data/probe", json={"data": {"answer": "42"}}, timeout=10).status_code == 200
    core.restart(bao["option"], "openbao")
    assert health(bao).status_code == 503

    result, _ = play(bao, env, tmp_path, "vault_unseal", keys=secrets["keys"][:2])
    flat = " ".join(result.stdout.split())
    assert result.returncode != 0 and "2 key(s) accepted, still sealed (progress 2 of threshold 3)" in flat
    result, data = play(bao, env, tmp_path, "vault_unseal", key_source=destination)
    assert result.returncode == 0 and data["changed"] is True
    reply = session.get(addr + "/v1/kv/data/probe", timeout=10)
    assert reply.status_code == 200 and reply.json()["data"]["data"] == {"answer": "42"}


def test_vault_config_with_kubernetes_auth_against_a_real_api_server(bao, env, tmp_path):
    from conftest import kube_client

    assert INITIALIZED, "runs after test_init_and_unseal_lifecycle"
    root = INITIALIZED["root_token"]
    platform = bao["clusters"]["platform"]
    client, api = kube_client(platform)
    core_v1 = client.CoreV1Api(api)
    for namespace, account in (("vault-auth", "vault-reviewer"), ("external-secrets", "external-secrets")):
        core_v1.create_namespace({"metadata": {"name": namespace}})
        core_v1.create_namespaced_service_account(namespace, {"metadata": {"name": account}})
    client.RbacAuthorizationV1Api(api).create_cluster_role_binding({
        "metadata": {"name": "vault-reviewer-auth-delegator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:auth-delegator"},
        "subjects": [{"kind": "ServiceAccount", "name": "vault-reviewer", "namespace": "vault-auth"}]})

    def token(namespace, account):
        return core_v1.create_namespaced_service_account_token(account, namespace, {"spec": {
            "expirationSeconds": 3600}}).status.token

    reviewer = token("vault-auth", "vault-reviewer")
    params = dict(
        token=root,
        secrets_engines={"kv-dev": {"type": "kv", "options": {"version": "2"}, "description": "dev secrets"},
                         "kv-prod": {"type": "kv", "options": {"version": "2"}}},
        auth_methods={"kubernetes-platform": {"type": "kubernetes", "description": "platform cluster"}},
        policies={"dev-read": 'path "kv-dev/data/*" {\n  capabilities = ["read"]\n}\n'},
        auth_configs=[{"mount": "kubernetes-platform",
                       "config": {"kubernetes_host": platform["api_url"],
                                  "kubernetes_ca_cert": open(bao["openbao"]["ca_file"]).read(),
                                  "token_reviewer_jwt": reviewer},
                       "roles": {"eso": {"bound_service_account_names": ["external-secrets"],
                                         "bound_service_account_namespaces": ["external-secrets"],
                                         "token_policies": ["dev-read"], "token_ttl": 600}}}])
    result, data = play(bao, env, tmp_path, "vault_config", "-vvv", **params)
    assert result.returncode == 0, result.stdout[-3000:]
    assert data["changed"] and data["summary"]["created"] == 6  # 2 mounts, 1 auth method, 1 policy, config, role
    assert reviewer not in result.stdout + result.stderr and root not in result.stdout + result.stderr
    _, data = play(bao, env, tmp_path, "vault_config", **params)
    assert data["changed"] is False, data["objects"]
    _, data = play(bao, env, tmp_path, "vault_config", "--check", "--diff", **params)
    assert data["changed"] is False

    session = requests.Session()
    session.trust_env = False
    session.verify = bao["openbao"]["ca_file"]
    addr = bao["openbao"]["addr"]
    for mount in ("kv-dev", "kv-prod"):
        reply = session.post(addr + "/v1/%s/data/app" % mount, json={"data": {"password": "p"}},
                             headers={"X-Vault-Token": root}, timeout=10)
        assert reply.status_code == 200, reply.text
    # A ServiceAccount token of the platform cluster logs in through Kubernetes auth (TokenReview for real).
    login = session.post(addr + "/v1/auth/kubernetes-platform/login", timeout=10,
                         json={"role": "eso", "jwt": token("external-secrets", "external-secrets")})
    assert login.status_code == 200, login.text
    auth = login.json()["auth"]
    assert "dev-read" in auth["policies"]
    headers = {"X-Vault-Token": auth["client_token"]}
    assert session.get(addr + "/v1/kv-dev/data/app", headers=headers, timeout=10).status_code == 200
    assert session.get(addr + "/v1/kv-prod/data/app", headers=headers, timeout=10).status_code == 403
    # The wrong ServiceAccount is refused.
    assert session.post(addr + "/v1/auth/kubernetes-platform/login", timeout=10,
                        json={"role": "eso", "jwt": token("vault-auth", "vault-reviewer")}).status_code in (400, 403)

    # Bad input, each named, all at once, before any change: a policy with an HCL error (Vault's own
    # message), an unknown auth method type. The new mount of the same call is not created.
    broken = dict(params, policies={"dev-read": params["policies"]["dev-read"], "broken": 'path "x" { capabilities = '},
                  auth_methods=dict(params["auth_methods"], ldapp={"type": "ldapp"}),
                  secrets_engines=dict(params["secrets_engines"], **{"kv-new": {"type": "kv", "options": {"version": "2"}}}))
    result, _ = play(bao, env, tmp_path, "vault_config", **broken)
    flat = " ".join(result.stdout.split())
    assert result.returncode != 0, flat[-2000:]
    assert "invalid input, nothing changed" in flat
    assert "policies[broken]: Vault rejected it: failed to parse policy" in flat
    assert "auth_methods[ldapp].type: unknown type 'ldapp'" in flat
    mounts = session.get(addr + "/v1/sys/mounts", headers={"X-Vault-Token": root}, timeout=10).json()
    assert "kv-new/" not in mounts.get("data", mounts)
    policies = session.get(addr + "/v1/sys/policies/acl?list=true", headers={"X-Vault-Token": root}, timeout=10).json()
    assert not [name for name in policies["data"]["keys"] if name.startswith("krci-validate-") or name == "broken"]


@pytest.fixture
def lone_openbao(tmp_path):
    """Another real OpenBao (raft, TLS), uninitialized, next to the sandbox: for the other key destinations."""
    from sandbox import build, procs
    from sandbox.pki import CertificateAuthority
    from sandbox.services import OpenBao

    server = OpenBao(tmp_path / "bao", build.openbao(), CertificateAuthority(tmp_path / "pki"))
    records = []
    server.start(records.append)
    yield {"openbao": server.describe()}
    for record in records:
        procs.stop(record)


@pytest.fixture
def moto_server(tmp_path):
    """moto in server mode: the one stand-in the integration tests allow (AWS)."""
    url, process = start_moto(tmp_path / "moto.log")
    yield url
    process.terminate()
    process.wait(10)


def test_keys_in_aws_secrets_manager(lone_openbao, moto_server, env, tmp_path):
    import boto3

    aws = dict(env, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-central-1")
    destination = {"type": "aws_secrets_manager", "secret_name": "krci/vault-init", "region": "eu-central-1",
                   "endpoint_url": moto_server}
    result, out = play(lone_openbao, aws, tmp_path, "vault_init", key_shares=3, key_threshold=2,
                       key_destination=destination)
    assert result.returncode == 0, result.stdout[-3000:]
    assert out["changed"] and out["keys_written_to"] == "AWS Secrets Manager secret krci/vault-init"
    manager = boto3.client("secretsmanager", region_name="eu-central-1", endpoint_url=moto_server,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    stored = json.loads(manager.get_secret_value(SecretId="krci/vault-init")["SecretString"])
    assert len(stored["keys"]) == 3 and stored["root_token"]
    for value in stored["keys"] + [stored["root_token"]]:
        assert value not in result.stdout
    result, out = play(lone_openbao, aws, tmp_path, "vault_unseal", key_source=destination)
    assert result.returncode == 0 and out["changed"] and out["sealed"] is False, result.stdout[-3000:]
    again, out = play(lone_openbao, aws, tmp_path, "vault_init", key_shares=3, key_threshold=2,
                      key_destination=destination)
    assert again.returncode == 0 and not out["changed"]  # initialized: no new keys
    assert json.loads(manager.get_secret_value(SecretId="krci/vault-init")["SecretString"]) == stored


def operator_keys(tmp_path, count):
    """``count`` operators' PGP keys made by the real gpg in a keyring of the test's own: (base64 public keys, gpg env)."""
    import subprocess

    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    gpg_env = dict(os.environ, GNUPGHOME=str(home))
    public = []
    for index in range(count):
        params = tmp_path / ("op%d.params" % index)
        params.write_text("Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\n"
                          "Name-Real: operator %d\nName-Email: op%d@krci.test\nExpire-Date: 0\n%%no-protection\n"
                          "%%commit\n" % (index, index))
        subprocess.run(["gpg", "--batch", "--gen-key", str(params)], env=gpg_env, check=True, capture_output=True)
        exported = subprocess.run(["gpg", "--export", "op%d@krci.test" % index], env=gpg_env, check=True,
                                  capture_output=True).stdout
        public.append(base64.b64encode(exported).decode())
    return public, gpg_env


def decrypt(share, gpg_env):
    """What an operator does with a share: echo <share> | base64 -d | gpg -dq."""
    import subprocess

    return subprocess.run(["gpg", "-dq", "--batch"], input=base64.b64decode(share), env=gpg_env, check=True,
                          capture_output=True).stdout.decode().strip()


def test_pgp_encrypted_shares_unseal_nothing_until_operators_decrypt_them(lone_openbao, env, tmp_path):
    """#14 item 5: no single read of the stored shares unseals; the root token is kept apart from them."""
    public, gpg_env = operator_keys(tmp_path, 3)
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    keys = {"type": "file", "path": str(keys_dir / "shares.json")}
    credential = {"type": "file", "path": str(keys_dir / "admin.json")}

    result, _ = play(lone_openbao, env, tmp_path, "vault_init", key_shares=3, key_threshold=2, key_destination=keys,
                     credential_destination=credential, pgp_keys=public[:2])
    assert result.returncode != 0 and "pgp_keys has 2 key(s) but key_shares is 3" in " ".join(result.stdout.split())
    result, out = play(lone_openbao, env, tmp_path, "vault_init", key_shares=3, key_threshold=2, key_destination=keys,
                       credential_destination=credential, pgp_keys=public)
    assert result.returncode == 0 and out["changed"], result.stdout[-3000:]
    assert "[WARNING]" not in result.stdout + result.stderr
    shares = json.loads((keys_dir / "shares.json").read_text())
    admin = json.loads((keys_dir / "admin.json").read_text())
    assert shares["pgp_encrypted"] is True and len(shares["keys_base64"]) == 3 and "root_token" not in shares
    assert admin["root_token"] and "keys" not in admin

    # The stored shares, as stored, are refused; the module says what the operators do.
    result, _ = play(lone_openbao, env, tmp_path, "vault_unseal", key_source=keys)
    flat = " ".join(result.stdout.split())
    assert result.returncode != 0 and "are PGP-encrypted, one per operator: 2 operators decrypt theirs" in flat
    session = requests.Session()
    session.trust_env = False
    session.verify = lone_openbao["openbao"]["ca_file"]
    addr = lone_openbao["openbao"]["addr"]
    assert session.put(addr + "/v1/sys/unseal", json={"key": shares["keys_base64"][0]}, timeout=10).status_code == 400
    session.put(addr + "/v1/sys/unseal", json={"reset": True}, timeout=10)

    # Two operators decrypt theirs with their own keys: that, and only that, unseals.
    decrypted = [decrypt(share, gpg_env) for share in shares["keys_base64"][:2]]
    result, out = play(lone_openbao, env, tmp_path, "vault_unseal", "-vvv", keys=decrypted)
    assert result.returncode == 0 and out["changed"] and out["sealed"] is False, result.stdout[-3000:]
    for value in decrypted:
        assert value not in result.stdout + result.stderr

    # The root token (apart) is handed over to the AppRole in its own store; the shares' store is untouched.
    before = (keys_dir / "shares.json").read_text()
    result, out = play(lone_openbao, env, tmp_path, "vault_admin_credential", key_destination=keys,
                       credential_destination=credential)
    assert result.returncode == 0 and out["changed"] and out["moved"] is None, result.stdout[-3000:]
    assert json.loads((keys_dir / "admin.json").read_text())["admin"]["role"] == "krci-platform-admin"
    assert (keys_dir / "shares.json").read_text() == before

    # Custody: both files are the controller user's, but the shares are encrypted: nothing to warn about.
    result, out = play(lone_openbao, env, tmp_path, "vault_key_custody_info", key_source=keys,
                       credential_source=credential)
    assert result.returncode == 0 and out["custody"]["keys_encrypted"] is True
    assert out["custody"]["shared_readers"] and out["custody"]["warnings"] == []
    assert "[WARNING]" not in result.stdout + result.stderr


def test_a_credential_kept_with_the_shares_is_moved_apart_and_then_warned_about_no_more(lone_openbao, env, tmp_path):
    """An install of an earlier release kept the root token and AppRole with the shares: the next run moves them."""
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir(mode=0o700)
    keys = {"type": "file", "path": str(keys_dir / "init.json")}
    credential = {"type": "file", "path": str(keys_dir / "admin.json")}
    result, _ = play(lone_openbao, env, tmp_path, "vault_init", key_shares=3, key_threshold=2, key_destination=keys)
    assert result.returncode == 0 and "the initial root token is kept with the key shares" in result.stderr
    result, _ = play(lone_openbao, env, tmp_path, "vault_unseal", key_source=keys)
    assert result.returncode == 0, result.stdout[-3000:]
    result, _ = play(lone_openbao, env, tmp_path, "vault_admin_credential", key_destination=keys, revoke_root=False)
    assert result.returncode == 0 and "the admin credential is kept with the key shares" in result.stderr
    together = json.loads((keys_dir / "init.json").read_text())
    assert together["admin"] and together["root_token"]

    result, out = play(lone_openbao, env, tmp_path, "vault_admin_credential", "--check", key_destination=keys,
                       credential_destination=credential)
    assert result.returncode == 0 and out["changed"] and "admin and root_token from" in out["moved"]
    assert not (keys_dir / "admin.json").exists()
    result, out = play(lone_openbao, env, tmp_path, "vault_admin_credential", key_destination=keys,
                       credential_destination=credential)
    assert result.returncode == 0 and out["changed"] and out["root_token_revoked"] is True, result.stdout[-3000:]
    assert "[WARNING]" not in result.stdout + result.stderr
    shares = json.loads((keys_dir / "init.json").read_text())
    admin = json.loads((keys_dir / "admin.json").read_text())
    assert "admin" not in shares and "root_token" not in shares and shares["keys"] == together["keys"]
    assert admin["admin"] == together["admin"] and admin["root_token"] is None
    again, out = play(lone_openbao, env, tmp_path, "vault_admin_credential", key_destination=keys,
                      credential_destination=credential)
    assert again.returncode == 0 and not out["changed"] and out["moved"] is None
