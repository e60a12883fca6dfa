"""Test set-up against the sandbox's real Keycloak through its admin REST API (no fakes).

Creates what the sandbox API servers trust: realm 'krci', public client 'kubernetes' with a
'groups' claim, groups and users. Idempotent, so several tests can call it.
"""

import base64
import json

import requests


class KeycloakAdmin:
    def __init__(self, state):
        self.url = state["keycloak"]["url"]
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.session.verify = state["keycloak"]["ca_file"]
        with open(state["keycloak"]["credentials_file"]) as handle:
            creds = json.load(handle)
        reply = self.session.post(self.url + "/realms/master/protocol/openid-connect/token", timeout=30, data={
            "grant_type": "password", "client_id": "admin-cli",
            "username": creds["keycloak_admin_username"], "password": creds["keycloak_admin_password"]})
        reply.raise_for_status()
        self.session.headers["Authorization"] = "Bearer " + reply.json()["access_token"]
        self.base = self.url + "/admin/realms"

    def _create(self, path, body):
        reply = self.session.post(self.base + path, json=body, timeout=30)
        assert reply.status_code in (201, 409), reply.text

    def ensure_realm(self, realm="krci", client_id="kubernetes"):
        self._create("", {"realm": realm, "enabled": True})
        self._create("/%s/clients" % realm, {
            "clientId": client_id, "publicClient": True, "directAccessGrantsEnabled": True,
            "standardFlowEnabled": False, "protocol": "openid-connect",
            "protocolMappers": [{
                "name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
                "config": {"claim.name": "groups", "full.path": "false", "id.token.claim": "true",
                           "access.token.claim": "true", "userinfo.token.claim": "true"}}]})

    def ensure_user(self, username, password, groups=(), realm="krci"):
        for group in groups:
            self._create("/%s/groups" % realm, {"name": group})
        self._create("/%s/users" % realm, {
            "username": username, "enabled": True, "email": "%s@example.invalid" % username, "emailVerified": True,
            "firstName": username.title(), "lastName": "Test",
            "credentials": [{"type": "password", "value": password, "temporary": False}]})
        users = self.session.get(self.base + "/%s/users" % realm, params={"username": username, "exact": "true"},
                                 timeout=30).json()
        user_id = users[0]["id"]
        # The password may differ from an earlier run of the same test session: reset it.
        reply = self.session.put(self.base + "/%s/users/%s/reset-password" % (realm, user_id), timeout=30,
                                 json={"type": "password", "value": password, "temporary": False})
        assert reply.status_code == 204, reply.text
        known = {g["name"]: g["id"] for g in self.session.get(self.base + "/%s/groups" % realm, timeout=30).json()}
        for group in groups:
            reply = self.session.put(self.base + "/%s/users/%s/groups/%s" % (realm, user_id, known[group]), timeout=30)
            assert reply.status_code == 204, reply.text

    def id_token(self, username, password, realm="krci", client_id="kubernetes"):
        reply = self.session.post(self.url + "/realms/%s/protocol/openid-connect/token" % realm, timeout=30, data={
            "grant_type": "password", "client_id": client_id, "username": username, "password": password,
            "scope": "openid"}, headers={"Authorization": None})
        reply.raise_for_status()
        return reply.json()["id_token"]


def claims(token):
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
