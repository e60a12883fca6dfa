"""krci.platform.keycloak_realm against the sandbox's real Keycloak (HTTPS, sandbox CA)."""

import json
import uuid

import pytest
import yaml

from conftest import REPO, run
from keycloak_admin import KeycloakAdmin


def realm_spec(realm, **overrides):
    spec = {
        "realm": realm,
        "settings": {"displayName": "KubeRocketCI", "sslRequired": "external", "bruteForceProtected": True,
                     "passwordPolicy": "length(12) and notUsername", "accessTokenLifespan": 300,
                     "eventsEnabled": True, "adminEventsEnabled": True},
        "client_scopes": [{"name": "groups", "type": "default", "protocolMappers": [{
            "name": "groups", "protocolMapper": "oidc-group-membership-mapper",
            "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                       "access.token.claim": "true"}}]}],
        "roles": [{"name": "krci-admin"}, {"name": "krci-developer"}, {"name": "krci-viewer"},
                  {"name": "krci-all", "composites": ["krci-developer", "krci-viewer"]}],
        "groups": [{"name": "krci-administrators", "realmRoles": ["krci-admin"]},
                   {"name": "krci-developers", "realmRoles": ["krci-developer"], "subGroups": [{"name": "team-a"}]},
                   {"name": "krci-viewers", "realmRoles": ["krci-viewer"]}],
        "clients": [
            {"clientId": "kubernetes", "publicClient": True, "standardFlowEnabled": False,
             "directAccessGrantsEnabled": True, "defaultClientScopes": ["groups"]},
            {"clientId": "argocd-hub", "publicClient": False,
             "redirectUris": ["https://argocd.example.invalid/auth/callback"],
             "webOrigins": ["https://argocd.example.invalid"], "defaultClientScopes": ["groups"]},
            {"clientId": "vault", "publicClient": False, "serviceAccountsEnabled": True,
             "redirectUris": ["https://vault.example.invalid/oidc/callback"], "serviceAccountRealmRoles": ["krci-viewer"]},
        ],
        "identity_providers": [{"alias": "corporate", "providerId": "oidc", "config": {
            "clientId": "krci", "clientSecret": "corp-" + uuid.uuid4().hex,
            "authorizationUrl": "https://idp.example.invalid/auth", "tokenUrl": "https://idp.example.invalid/token"},
            "mappers": [{"name": "developers", "identityProviderMapper": "oidc-hardcoded-group-idp-mapper",
                         "config": {"group": "/krci-developers", "syncMode": "INHERIT"}}]}],
        "users": [{"username": "breakglass", "email": "breakglass@example.invalid",
                   "password": "Pw-" + uuid.uuid4().hex, "groups": ["krci-administrators"]}],
    }
    spec.update(overrides)
    return spec


def apply(state, env, tmp_path, spec, *extra, prune=False, secrets=False, no_log=False):
    with open(state["keycloak"]["credentials_file"]) as handle:
        creds = json.load(handle)
    task = dict(spec, auth_keycloak_url=state["keycloak"]["url"], auth_username=creds["keycloak_admin_username"],
                auth_password=creds["keycloak_admin_password"], ca_path=state["keycloak"]["ca_file"], prune=prune,
                return_client_secrets=secrets)
    name = uuid.uuid4().hex[:6]
    out = tmp_path / ("result-%s.json" % name)
    playbook = [{"name": "realm", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Reconcile the realm", "krci.platform.keycloak_realm": task, "register": "realm", "no_log": no_log},
        {"name": "Keep the result", "ansible.builtin.copy": {"content": "{{ realm | to_json }}", "dest": str(out),
                                                             "mode": "0600"}, "check_mode": False, "no_log": no_log}]}]
    path = tmp_path / ("play-%s.yml" % name)
    path.write_text(yaml.safe_dump(playbook))
    result = run(["ansible-playbook", str(path)] + list(extra), env)  # implicit localhost: the venv Python
    data = json.loads(out.read_text()) if out.exists() else None
    return result, data


def changes(data):
    return sorted((o["ref"], o["action"]) for o in data["objects"] if o["action"] != "unchanged")


@pytest.fixture
def env(tools_env):
    return dict(tools_env, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_LOCALHOST_WARNING="false")


def test_converge_rerun_reads_only_and_check_reports_nothing(sandbox_pool, env, tmp_path):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    first, data = apply(state, env, tmp_path, spec)
    assert first.returncode == 0, first.stdout[-3000:]
    assert data["changed"] and data["summary"]["created"] >= 20
    assert data["issuer"] == "%s/realms/%s" % (state["keycloak"]["url"], spec["realm"])
    second, data = apply(state, env, tmp_path, spec)
    assert not data["changed"], changes(data)
    assert set(data["requests"]) <= {"GET", "TOKEN"}
    check, data = apply(state, env, tmp_path, spec, "--check", "--diff")
    assert not data["changed"]


def test_drift_is_reported_by_check_and_repaired(sandbox_pool, env, tmp_path):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    assert apply(state, env, tmp_path, spec)[0].returncode == 0
    admin = KeycloakAdmin(state)
    base = admin.base + "/" + spec["realm"]
    client = admin.session.get(base + "/clients", params={"clientId": "argocd-hub"}, timeout=30).json()[0]
    client["redirectUris"] = ["https://evil.example.invalid/*"]
    assert admin.session.put(base + "/clients/" + client["id"], json=client, timeout=30).status_code == 204
    viewers = [g for g in admin.session.get(base + "/groups", timeout=30).json() if g["name"] == "krci-viewers"][0]
    assert admin.session.delete(base + "/groups/" + viewers["id"], timeout=30).status_code == 204

    check, data = apply(state, env, tmp_path, spec, "--check", "--diff")
    assert changes(data) == [("client argocd-hub", "updated"), ("group /krci-viewers", "created"),
                             ("group /krci-viewers realm roles", "created")]
    assert "-- https://evil.example.invalid/*" in check.stdout
    assert "+- https://argocd.example.invalid/auth/callback" in check.stdout
    live = admin.session.get(base + "/clients/" + client["id"], timeout=30).json()
    assert live["redirectUris"] == ["https://evil.example.invalid/*"]  # check mode changed nothing

    repair, data = apply(state, env, tmp_path, spec)
    assert data["changed"]
    live = admin.session.get(base + "/clients/" + client["id"], timeout=30).json()
    assert live["redirectUris"] == ["https://argocd.example.invalid/auth/callback"]
    assert not apply(state, env, tmp_path, spec)[1]["changed"]


def test_prune_deletes_only_managed_objects_and_never_users(sandbox_pool, env, tmp_path):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    assert apply(state, env, tmp_path, spec)[0].returncode == 0
    admin = KeycloakAdmin(state)
    base = admin.base + "/" + spec["realm"]
    assert admin.session.post(base + "/clients", json={"clientId": "hand-made"}, timeout=30).status_code == 201
    assert admin.session.post(base + "/users", json={"username": "hand-user", "enabled": True},
                              timeout=30).status_code == 201
    smaller = dict(spec, clients=[c for c in spec["clients"] if c["clientId"] != "vault"], users=[])

    _, data = apply(state, env, tmp_path, smaller)
    assert not data["changed"]  # without prune, nothing is deleted
    _, data = apply(state, env, tmp_path, smaller, prune=True)
    assert changes(data) == [("client vault", "deleted")]
    client_ids = {c["clientId"] for c in admin.session.get(base + "/clients", timeout=30).json()}
    assert "hand-made" in client_ids and "vault" not in client_ids and "argocd-hub" in client_ids
    usernames = {u["username"] for u in admin.session.get(base + "/users", timeout=30).json()}
    assert {"hand-user", "breakglass"} <= usernames


@pytest.mark.parametrize("mutate,message", [
    (lambda s: s["clients"][0].update(protocol="cas"), "clients[kubernetes].protocol: unknown client protocol 'cas'"),
    (lambda s: s["clients"][1].update(redirectUris=["not a uri"]),
     "clients[argocd-hub].redirectUris: 'not a uri' is not a URI"),
    (lambda s: s["groups"][0].update(realmRoles=["krci-superuser"]),
     "groups[/krci-administrators].realmRoles: role 'krci-superuser' is not defined"),
    (lambda s: s["clients"].append({"clientId": "vault"}), "clients: clientId 'vault' is given twice"),
])
def test_bad_input_fails_before_any_change(sandbox_pool, env, tmp_path, mutate, message):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    mutate(spec)
    result, _ = apply(state, env, tmp_path, spec)
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split())
    admin = KeycloakAdmin(state)
    assert admin.session.get(admin.base + "/" + spec["realm"], timeout=30).status_code == 404  # nothing created


def test_password_policy_rejected_by_keycloak_is_surfaced(sandbox_pool, env, tmp_path):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    assert apply(state, env, tmp_path, spec)[0].returncode == 0
    spec["settings"]["passwordPolicy"] = "lengthh(12)"
    result, _ = apply(state, env, tmp_path, spec)
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert "update realm %s settings" % spec["realm"] in flat and "HTTP 400" in flat


def test_no_secret_in_output_at_vvv(sandbox_pool, env, tmp_path):
    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    spec["clients"][1]["secret"] = "given-" + uuid.uuid4().hex
    # Without no_log on the task: no secret the module is given or handles reaches the output.
    result, _ = apply(state, env, tmp_path, spec, "-vvv")
    assert result.returncode == 0, result.stdout[-2000:]
    with open(state["keycloak"]["credentials_file"]) as handle:
        admin_password = json.load(handle)["keycloak_admin_password"]
    admin = KeycloakAdmin(state)
    base = admin.base + "/" + spec["realm"]
    vault = admin.session.get(base + "/clients", params={"clientId": "vault"}, timeout=30).json()[0]
    generated = admin.session.get(base + "/clients/%s/client-secret" % vault["id"], timeout=30).json()["value"]
    output = result.stdout + result.stderr
    for secret in (admin_password, spec["clients"][1]["secret"], generated,
                   spec["identity_providers"][0]["config"]["clientSecret"], spec["users"][0]["password"]):
        assert secret not in output
    # Asked for, generated secrets come back usable (the task is no_log, as documented).
    result, data = apply(state, env, tmp_path, spec, "-vvv", secrets=True, no_log=True)
    assert data["client_secrets"]["vault"] == generated
    assert generated not in result.stdout + result.stderr


def test_expired_admin_token_is_refreshed(sandbox_pool):
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakClient

    state = sandbox_pool.any()
    with open(state["keycloak"]["credentials_file"]) as handle:
        creds = json.load(handle)
    client = KeycloakClient(state["keycloak"]["url"], username=creds["keycloak_admin_username"],
                            password=creds["keycloak_admin_password"], verify=state["keycloak"]["ca_file"])
    assert client.get("/master", "read master")["realm"] == "master"
    client._token = client._token[:-8] + "AAAAAAAA"  # what an expired token looks like to Keycloak: 401
    assert client.get("/master", "read master")["realm"] == "master"
    assert client.requests_sent["TOKEN"] == 2


def test_keycloak_role_configures_the_platform_realm_from_the_topology(sandbox_pool, tools_env):
    state = sandbox_pool.any()
    result = run(["ansible-playbook", "-i", state["inventory"], str(REPO / "playbooks" / ("%s.yml" % state["option"])),
                  "--tags", "all"], tools_env)
    assert result.returncode == 0, result.stdout[-3000:]
    admin = KeycloakAdmin(state)
    base = admin.base + "/krci"
    clients = {c["clientId"]: c for c in admin.session.get(base + "/clients", timeout=30).json()}
    pull = [name for name, c in state["clusters"].items() if c["gitops"] == "pull"]
    expected = {"kubernetes", "argocd-hub", "vault", "portal"} | {"argocd-%s" % name for name in pull}
    assert expected <= set(clients)
    push_only = [name for name, c in state["clusters"].items() if c["gitops"] == "push" and name != "platform"]
    assert not {"argocd-%s" % name for name in push_only} & set(clients)  # push targets have no own Argo CD
    for client_id in expected:
        client = clients[client_id]
        assert all("*" not in uri for uri in client.get("redirectUris", [])), client_id
        assert client["attributes"].get("krci.platform/managed") == "true"
    assert clients["kubernetes"]["publicClient"] is True
    assert clients["kubernetes"]["attributes"]["pkce.code.challenge.method"] == "S256"
    assert clients["argocd-hub"]["publicClient"] is False
    groups = {g["name"] for g in admin.session.get(base + "/groups", timeout=30).json()}
    assert {"krci-administrators", "krci-developers", "krci-viewers"} <= groups
    realm = admin.session.get(base, timeout=30).json()
    assert realm["bruteForceProtected"] is True and realm["sslRequired"] == "external"
    flat = " ".join(result.stdout.split())
    assert "Keycloak issuer %s/realms/krci" % state["keycloak"]["url"] in flat


def test_keycloak_restarted_mid_run_is_retried_to_success(sandbox_pool, env, tmp_path):
    import subprocess
    import threading
    import time as _time

    from sandbox import core

    state = sandbox_pool.any()
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    spec["groups"] = spec["groups"] + [{"name": "team-%03d" % i} for i in range(250)]
    with open(state["keycloak"]["credentials_file"]) as handle:
        creds = json.load(handle)
    task = dict(spec, auth_keycloak_url=state["keycloak"]["url"], auth_username=creds["keycloak_admin_username"],
                auth_password=creds["keycloak_admin_password"], ca_path=state["keycloak"]["ca_file"])
    play = tmp_path / "restart.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Reconcile the realm", "krci.platform.keycloak_realm": task}]}]))
    proc = subprocess.Popen(["ansible-playbook", str(play)], env=env, stdout=subprocess.PIPE,  # pylint: disable=consider-using-with
                            stderr=subprocess.STDOUT, text=True)
    admin = KeycloakAdmin(state)
    deadline = _time.monotonic() + 60
    # Restart once the run is under way: the realm exists and groups are being created.
    while _time.monotonic() < deadline:
        if admin.session.get(admin.base + "/" + spec["realm"], timeout=30).status_code == 200:
            break
        _time.sleep(0.2)
    restarter = threading.Thread(target=core.restart, args=(state["option"], "keycloak"))
    restarter.start()
    output, _ = proc.communicate(timeout=400)
    restarter.join()
    assert proc.returncode == 0, output[-3000:]
    assert "retrying in" in output  # the outage was met and retried, not skipped
    _, data = apply(state, env, tmp_path, spec)
    assert not data["changed"], changes(data)
