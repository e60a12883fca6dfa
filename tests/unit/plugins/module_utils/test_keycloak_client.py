"""How the Keycloak client classifies what a restarting Keycloak answers (see _keycloak_client's docstring)."""
import json

import pytest
import requests

from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils import _retry

BASE = "https://kc.example"
PARSE_400 = (400, {"error": "unknown_error", "error_description": "Cannot parse the JSON"})
TOKEN = (200, {"access_token": "t"})


def reply(status, body):
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response


class ScriptedSession:
    """Answers each request with the next scripted (status, body) of its kind: token or admin."""

    def __init__(self, admin, tokens=None):
        self.admin = list(admin)
        self.tokens = list(tokens or [TOKEN] * 10)
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, (kwargs.get("headers") or {}).get("Authorization")))
        script = self.tokens if url.endswith("/token") else self.admin
        item = script.pop(0)
        if isinstance(item, Exception):
            raise item
        return reply(*item)


@pytest.fixture(name="client")
def client_fixture(monkeypatch):
    monkeypatch.setattr(_retry.time, "sleep", lambda seconds: None)

    def make(admin, tokens=None):
        client = kc.KeycloakClient(BASE, username="admin", password="pw", retry_timeout=60)
        client.session = ScriptedSession(admin, tokens)
        return client
    return make


def test_a_parse_error_on_a_read_is_a_reply_keycloak_could_not_finish_and_is_retried(client):
    c = client([PARSE_400, (200, [{"name": "profile"}])])
    assert c.get("/r/client-scopes", "read client scopes") == [{"name": "profile"}]
    assert c.requests_sent == {"TOKEN": 1, "GET": 2}


def test_a_parse_error_that_stays_is_reported_with_its_cause_after_a_few_attempts(client):
    c = client([PARSE_400] * (kc.AMBIGUOUS_ATTEMPTS + 1))
    with pytest.raises(kc.KeycloakError) as err:
        c.get("/r/client-scopes", "read client scopes")
    assert "read client scopes: HTTP 400: unknown_error" in str(err.value) or "Cannot parse the JSON" in str(err.value)
    assert "check the types of the fields" in str(err.value)
    assert c.requests_sent["GET"] == kc.AMBIGUOUS_ATTEMPTS + 1


def test_a_conflict_on_a_read_is_a_shutting_down_keycloak_and_is_retried_but_on_a_create_is_the_verdict(client):
    # Measured in CI: a GET of client-scopes while Keycloak shut down answered 409 "Duplicate resource error".
    duplicate = (409, {"errorMessage": "Duplicate resource error"})
    c = client([duplicate, (200, [{"name": "profile"}])])
    assert c.get("/r/client-scopes", "read client scopes") == [{"name": "profile"}]
    assert c.requests_sent["GET"] == 2
    c = client([(409, {"errorMessage": "Client Scope profile already exists"})])
    with pytest.raises(kc.KeycloakError, match="already exists"):
        c.request("POST", "/r/client-scopes", "create client scope profile", body={"name": "profile"})
    assert c.requests_sent["POST"] == 1


def test_a_real_bad_request_fails_at_once(client):
    c = client([(400, {"errorMessage": "Password policy not met"})])
    with pytest.raises(kc.KeycloakError, match="Password policy not met"):
        c.put("/r", {"passwordPolicy": "x"}, "update realm r")
    assert c.requests_sent["PUT"] == 1


def test_a_reply_cut_off_mid_body_is_retried_like_a_reset_connection(client):
    c = client([(200, b'[{"clientId": "a"}, {"clie'), requests.exceptions.ChunkedEncodingError("ended"),
                requests.exceptions.ConnectionError("refused"), (200, [{"clientId": "a"}])])
    assert c.get("/r/clients", "read clients") == [{"clientId": "a"}]
    assert c.requests_sent["GET"] == 4


def test_a_401_from_a_half_started_server_gets_a_new_token_and_a_retry(client):
    c = client([(401, {"error": "HTTP 401 Unauthorized"}), (401, {"error": "HTTP 401 Unauthorized"}), (200, {"realm": "r"})],
               tokens=[TOKEN, (200, {"access_token": "t2"}), (200, {"access_token": "t3"})])
    assert c.get("/r", "read realm r") == {"realm": "r"}
    assert c.requests_sent == {"TOKEN": 3, "GET": 3}
    assert [auth for method, url, auth in c.session.sent if method == "GET" and not url.endswith("/token")] == ["Bearer t", "Bearer t2", "Bearer t3"]


def test_wrong_admin_credentials_fail_at_once_without_retries(client):
    c = client([], tokens=[(401, {"error": "invalid_grant", "error_description": "Invalid user credentials"})])
    with pytest.raises(kc.KeycloakError, match="Invalid user credentials"):
        c.get("/r", "read realm r")
    assert c.requests_sent == {"TOKEN": 1}


@pytest.mark.parametrize("body", [{"error": "HTTP 404 Not Found"}, b"", b"<html>Not Found</html>"])
def test_a_404_that_is_not_keycloaks_word_on_an_object_is_a_route_not_deployed_yet(client, body):
    c = client([(404, body), (200, [])])
    assert c.get("/r/groups", "read groups") == []


def test_a_404_about_an_object_is_a_verdict(client):
    c = client([(404, {"error": "Could not find client"})])
    assert c.get_or_none("/r/clients/x", "read client x") is None
    assert c.requests_sent["GET"] == 1


def test_realm_not_found_is_a_verdict_for_an_unknown_realm_and_an_artefact_for_a_known_one(client):
    c = client([(404, {"error": "Realm not found."})])
    assert c.get_or_none("/r", "read realm r") is None
    c = client([(404, {"error": "Realm not found."}), (200, [])])
    c.known_realms.add("r")
    assert c.get("/r/client-scopes", "read client scopes") == []


def test_a_403_that_stays_names_the_missing_role(client):
    c = client([(403, {"error": "HTTP 403 Forbidden"})] * (kc.AMBIGUOUS_ATTEMPTS + 1))
    with pytest.raises(kc.KeycloakError, match="lacks a role"):
        c.get("/r", "read realm r")


def test_an_outage_longer_than_retry_timeout_names_the_server(client, monkeypatch):
    clock = iter(range(0, 10000, 7))
    monkeypatch.setattr(_retry.time, "monotonic", lambda: next(clock))
    c = client([requests.exceptions.ConnectionError("refused")] * 50)
    with pytest.raises(kc.KeycloakError, match="did not answer within retry_timeout"):
        c.get("/r", "read realm r")


@pytest.mark.parametrize("url,realm", [
    (BASE + "/admin/realms/krci/clients", "krci"), (BASE + "/admin/realms/krci", "krci"),
    (BASE + "/admin/realms", None), (BASE + "/realms/master/protocol/openid-connect/token", None)])
def test_realm_of_an_admin_url(url, realm):
    assert kc._realm_of(url) == realm  # pylint: disable=protected-access


def test_a_realm_whose_create_conflicts_is_read_again_until_keycloak_serves_it(client):
    """A create sent again after a timeout gets 409 while the first one still finishes: the read that follows may
    get "Realm not found." for a while; it is retried, and the realm is reconciled as an existing one."""
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_context import RealmContext
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_realm import reconcile_realm_settings

    not_found = (404, {"error": "Realm not found."})
    c = client([not_found, (409, {"errorMessage": "Conflict detected. See logs for details"}), not_found, not_found,
                (200, {"realm": "krci", "enabled": True, "displayName": "old"}), (204, b"")])
    ctx = RealmContext(c, "krci")
    reconcile_realm_settings(ctx, {"displayName": "KubeRocketCI"})
    assert [(method, url.rsplit("/admin", 1)[-1]) for method, url, _auth in c.session.sent if "/token" not in url] == [
        ("GET", "/realms/krci"), ("POST", "/realms"), ("GET", "/realms/krci"), ("GET", "/realms/krci"),
        ("GET", "/realms/krci"), ("PUT", "/realms/krci")]
    assert [(o["ref"], o["action"]) for o in ctx.objects] == [("realm krci", "updated")]


def test_a_realm_that_stays_missing_after_a_conflict_is_reported_after_a_few_attempts(client):
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_context import RealmContext
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_realm import reconcile_realm_settings

    not_found = (404, {"error": "Realm not found."})
    c = client([not_found, (409, {"errorMessage": "Conflict detected. See logs for details"})]
               + [not_found] * (kc.AMBIGUOUS_ATTEMPTS + 1))
    with pytest.raises(kc.KeycloakError, match="read realm krci: HTTP 404: Realm not found."):
        reconcile_realm_settings(RealmContext(c, "krci"), {})
    assert c.requests_sent["GET"] == 1 + kc.AMBIGUOUS_ATTEMPTS + 1
