"""krci.platform.keycloak_realm against the sandbox's real Keycloak (HTTPS, sandbox CA)."""

import base64
import json
import os
import signal
import threading
import time
import uuid

import pytest
import requests
import yaml

from conftest import REPO, kube_client, run
from keycloak_admin import KeycloakAdmin

pytestmark = pytest.mark.sandbox("shared")


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


@pytest.mark.sandbox("separated")
def test_keycloak_role_configures_the_platform_realm_from_the_topology(sandbox_pool, tools_env):
    """The realm the separated playbook's identity play configured (conftest.SandboxPool.converged)."""
    state, runs = sandbox_pool.converged("separated", tools_env)
    result = runs[0]  # the run that created the realm's clients and wrote their secrets (at -vvv)
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

    # Each client secret is in its consumer's cluster only, equal to Keycloak's, and never in output.
    def secret_in(cluster, namespace):
        kube, api_client = kube_client(state["clusters"][cluster])
        core = kube.CoreV1Api(api_client)
        try:
            found = core.read_namespaced_secret("keycloak-oidc-client", namespace)
        except Exception:  # pylint: disable=broad-except
            return None
        return {k: base64.b64decode(v).decode() for k, v in found.data.items()}, found.metadata.labels or {}

    def keycloak_secret(client_id):
        return admin.session.get(base + "/clients/%s/client-secret" % clients[client_id]["id"], timeout=30).json()["value"]

    expected_place = {"argocd-hub": ("platform", "argocd"), "vault": ("platform", "vault"),
                      "portal": ("platform", "krci")}
    expected_place.update({"argocd-%s" % name: (name, "argocd") for name in pull})
    for client_id, (cluster, namespace) in expected_place.items():
        found = secret_in(cluster, namespace)
        assert found is not None, (client_id, cluster, namespace)
        data, labels = found
        assert data == {"clientID": client_id, "clientSecret": keycloak_secret(client_id)}
        assert data["clientSecret"] not in result.stdout
        if client_id.startswith("argocd-"):
            assert labels.get("app.kubernetes.io/part-of") == "argocd"
    for name in pull:  # the platform cluster holds no pull instance's credential
        data, _ = secret_in("platform", "argocd")
        assert data["clientID"] == "argocd-hub"
        assert keycloak_secret("argocd-%s" % name) not in json.dumps(data)


@pytest.mark.sandbox("separated")
def test_keycloak_role_installs_keycloak_and_a_rerun_changes_nothing(sandbox_pool, tools_env, tmp_path):
    """Install on the platform cluster (kwok runs the pods), configure the sandbox's real Keycloak. On separated's
    plain Kubernetes platform: an Ingress publishes it (test_openshift installs it on OpenShift, with a Route)."""
    state = sandbox_pool.get("separated")
    play = tmp_path / "install.yml"
    play.write_text(yaml.safe_dump([{"hosts": "role_platform", "gather_facts": False, "roles": [
        {"role": "krci.platform.keycloak", "vars": {
            "keycloak_install": True, "keycloak_replicas": 2, "keycloak_hostname": "keycloak.krci.test",
            "keycloak_database": {"host": "postgres.db.svc", "port": 5432, "database": "keycloak",
                                  "username": "keycloak", "vendor": "postgres"}}}]}]))
    db_password = "db-" + uuid.uuid4().hex
    env = dict(tools_env, KEYCLOAK_DB_PASSWORD=db_password)
    first = run(["ansible-playbook", "-i", state["inventory"], str(play)], env)
    assert first.returncode == 0, first.stdout[-3000:]
    kube, api_client = kube_client(state["clusters"]["platform"])
    apps, core = kube.AppsV1Api(api_client), kube.CoreV1Api(api_client)
    deployment = apps.read_namespaced_deployment("keycloak", "keycloak")
    assert deployment.spec.template.spec.containers[0].image == "quay.io/keycloak/keycloak:26.4.7"
    conditions = {c.type: c.status for c in deployment.status.conditions}
    assert conditions["Available"] == "True" and deployment.status.available_replicas == 2
    namespace = core.read_namespace("keycloak")
    assert namespace.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    ingress = kube.NetworkingV1Api(api_client).read_namespaced_ingress("keycloak", "keycloak")
    assert ingress.spec.rules[0].host == "keycloak.krci.test"
    bootstrap = core.read_namespaced_secret("keycloak-bootstrap-admin", "keycloak").data
    database = core.read_namespaced_secret("keycloak-database", "keycloak").data
    assert base64.b64decode(database["password"]).decode() == db_password
    password = base64.b64decode(bootstrap["password"]).decode()
    assert len(password) == 32
    assert password not in first.stdout and db_password not in first.stdout

    second = run(["ansible-playbook", "-i", state["inventory"], str(play)], env)
    assert second.returncode == 0, second.stdout[-3000:]
    assert "changed=0" in second.stdout.split("PLAY RECAP")[1], second.stdout[-3000:]
    again = core.read_namespaced_secret("keycloak-bootstrap-admin", "keycloak").data
    assert again["password"] == bootstrap["password"]  # generated once, then kept

    check = run(["ansible-playbook", "-i", state["inventory"], str(play), "--check", "--diff"], env)
    assert check.returncode == 0 and "changed=0" in check.stdout.split("PLAY RECAP")[1], check.stdout[-3000:]

    bad = run(["ansible-playbook", "-i", state["inventory"], str(play)], dict(tools_env, KEYCLOAK_DB_PASSWORD=""))
    assert bad.returncode != 0 and "KEYCLOAK_DB_PASSWORD" in bad.stdout


class FrozenAt:
    """Freezes the reconciler in front of the ``nth`` request that ``match`` picks and runs one restart ``phase``.

    Keycloak is a real process of the sandbox; the freeze only decides *when* it restarts, so every case
    meets the same phase of a restart each time (no timing left to the scheduler). Phases:
    ``down``: stopped (SIGTERM, gone) and started again in the background, the request meets a refused
    connection, then a starting and a warming server; ``shutting-down``: SIGTERM sent and the request sent
    at once, into the shutdown; ``killed-in-flight``: Keycloak frozen (SIGSTOP), the request written to its
    socket, then SIGKILL: never processed, the connection reset; ``reply-lost``: the request is processed
    and committed, then Keycloak is killed before the client reads the reply (the client sees the reset).
    Before a SIGKILL the freeze waits ``H2_FLUSH`` seconds: the sandbox's H2 file database writes commits
    to disk up to a second after them, so a kill within that second loses committed work, which no
    production database (PostgreSQL) does and no reconciler could notice.
    """

    H2_FLUSH = 2.0

    def __init__(self, option, session, match, nth, phase):
        self.option, self.match, self.nth, self.phase = option, match, nth, phase
        self.real = session.request
        session.request = self.request
        self.hits = 0
        self.fired = None
        self.background = None

    def _pid(self):
        from sandbox import core

        return core._process(self.option, "keycloak")[2]["pid"]  # pylint: disable=protected-access

    def _in_background(self, func):
        self.background = threading.Thread(target=func)
        self.background.start()

    def _kill_and_start(self, pid):
        from sandbox import core, procs

        os.killpg(pid, signal.SIGKILL)
        while procs.alive(pid):
            time.sleep(0.05)
        core.start_process(self.option, "keycloak")

    def request(self, method, url, **kwargs):
        from sandbox import core

        if self.fired is not None or not self.match(method, url):
            return self.real(method, url, **kwargs)
        self.hits += 1
        if self.hits < self.nth:
            return self.real(method, url, **kwargs)
        self.fired = "%s %s" % (method, url.split("/admin/realms", 1)[-1])
        pid = self._pid()
        if self.phase == "down":
            core.stop_process(self.option, "keycloak")
            self._in_background(lambda: core.start_process(self.option, "keycloak"))
        elif self.phase == "shutting-down":
            os.killpg(pid, signal.SIGTERM)
            self._in_background(lambda: core.restart(self.option, "keycloak"))
        elif self.phase == "killed-in-flight":
            time.sleep(self.H2_FLUSH)
            os.killpg(pid, signal.SIGSTOP)

            def later():
                time.sleep(1.5)  # the request is in Keycloak's socket by now; it is never read
                self._kill_and_start(pid)
            self._in_background(later)
        elif self.phase == "reply-lost":
            self.real(method, url, **kwargs)  # processed and committed by Keycloak
            time.sleep(self.H2_FLUSH)
            self._in_background(lambda: self._kill_and_start(pid))
            time.sleep(0.2)
            raise requests.exceptions.ConnectionError("connection reset before the reply was read")
        return self.real(method, url, **kwargs)


def _is(method, suffix, contains=None):
    return lambda m, u: m == method and u.split("?", 1)[0].endswith(suffix) and (contains is None or contains in u)


RESTART_POINTS = {
    # before the realm exists: its create meets a stopped Keycloak
    "realm-create-down": (_is("POST", "/admin/realms"), 1, "down"),
    # after it: the first read of the new realm lands in the shutdown (CI's 400 "Cannot parse the JSON")
    "after-realm-shutting-down": (_is("GET", "/client-scopes"), 1, "shutting-down"),
    # during the partial import: never processed, or committed with the reply lost (409 on the retry)
    "partial-import-killed-in-flight": (_is("POST", "/partialImport"), 1, "killed-in-flight"),
    "partial-import-reply-lost": (_is("POST", "/partialImport"), 1, "reply-lost"),
    # during per-object updates of an existing realm (every group gets a new attribute)
    "group-updates-shutting-down": (_is("PUT", "", contains="/groups/"), 10, "shutting-down"),
}


@pytest.mark.parametrize("point", sorted(RESTART_POINTS))
@pytest.mark.parametrize("repeat", range(int(os.environ.get("KRCI_FAULT_REPEAT", "1"))))  # e.g. 20 to measure
def test_keycloak_restarted_at_a_fixed_point_of_a_reconcile_is_retried_to_a_complete_realm(sandbox_pool, env, tmp_path,
                                                                                            point, repeat):
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakClient
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_realm import RealmReconciler

    del repeat  # only tells the runs of KRCI_FAULT_REPEAT apart
    state = sandbox_pool.any()
    match, nth, phase = RESTART_POINTS[point]
    spec = realm_spec("kr-%s" % uuid.uuid4().hex[:6])
    spec["groups"] = spec["groups"] + [{"name": "team-%03d" % i} for i in range(40)]
    if point.startswith("group-updates"):
        apply(state, env, tmp_path, spec)  # the realm exists; the frozen run updates it object by object
        spec["groups"] = [dict(g, attributes={"krci.platform/owner": ["platform-team"]}) for g in spec["groups"]]
    with open(state["keycloak"]["credentials_file"]) as handle:
        creds = json.load(handle)
    retries = []
    client = KeycloakClient(state["keycloak"]["url"], username=creds["keycloak_admin_username"],
                            password=creds["keycloak_admin_password"], verify=state["keycloak"]["ca_file"],
                            on_retry=lambda what, attempt, exc, delay: retries.append((what, str(exc)[:200])))
    frozen = FrozenAt(state["option"], client.session, match, nth, phase)
    try:
        changed, _summary = RealmReconciler(client, spec["realm"]).run(spec)
    finally:
        if frozen.background is not None:
            frozen.background.join()
    assert frozen.fired, "the reconcile never reached the restart point %s" % point
    assert retries, "Keycloak's restart at %s was not met (no retry)" % frozen.fired
    assert changed
    # The realm is complete: the module's re-run finds nothing to change and writes nothing.
    _, data = apply(state, env, tmp_path, spec)
    assert not data["changed"], (frozen.fired, changes(data), retries[:5])
    assert set(data["requests"]) <= {"GET", "TOKEN"}
    assert data["summary"]["unchanged"] == len(data["objects"])
