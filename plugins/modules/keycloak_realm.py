#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_realm
short_description: Reconcile a whole Keycloak realm in one call
version_added: 0.1.0
description:
  - Realm settings, client scopes with their mappers, realm roles with composites, nested groups
    with realm role mappings, clients with mappers, scopes and service account roles, identity
    providers with mappers, and explicitly listed users, through Keycloak's admin REST API.
  - Objects are given in Keycloak's own representation (the admin API's camelCase keys). Only the
    keys given are compared, so Keycloak's defaults are never drift. Reads, compares, and writes
    only the difference; a converged realm receives no write.
  - Reads are few and whole (all clients with their mappers and scopes in one paged listing,
    groups with their role mappings). New roles, group trees and clients are created together in
    one partial import request; if another writer created one of them meanwhile, the module falls
    back to creating them one by one and reconciles what it finds.
  - Never deletes what it does not manage. Objects it creates carry the marker
    C(krci.platform/managed) (an attribute, or an IdP config key). With O(prune=true) it deletes
    marked clients, client scopes, realm roles, groups and identity providers that left the input.
    Users are never deleted; mappers and scope assignments are only added or updated.
  - The input is validated before any change (duplicate names, unknown protocol, malformed
    redirect URIs, roles that are not defined). Keycloak's own message is surfaced when it rejects
    a value (for example a password policy).
  - Survives a Keycloak restart at any point of the run (rolling update, node drain). Connection
    errors (refused, reset, a reply cut off mid-body), 429 and 5xx are retried with backoff until
    O(retry_timeout). The answers a shutting-down or half-started Keycloak gives that are also real
    verdicts (400 "Cannot parse the JSON", 401 with a valid token, 403, a 404 that is not about an
    object or says "Realm not found." for a realm this run has seen) are retried a few times in a
    row, a 401 with a new token, and then reported with their cause.
  - A run cut off half-way resumes from what exists - a 409 on create (a concurrent writer, or this
    run's own create whose reply was lost) is reconciled as an existing object, and the partial
    import falls back to one-by-one creation.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.keycloak_connection
options:
  realm:
    description: The realm to reconcile; created if missing.
    type: str
    required: true
  settings:
    description: RealmRepresentation keys, for example C(displayName), C(sslRequired), C(bruteForceProtected),
      C(passwordPolicy), C(accessTokenLifespan), C(eventsEnabled), C(adminEventsEnabled).
    type: dict
    default: {}
  client_scopes:
    description: ClientScopeRepresentation items (by C(name)), with C(protocolMappers) and C(type)
      (C(default) or C(optional) realm default scope, or C(none)).
    type: list
    elements: dict
    default: []
  roles:
    description: Realm roles (by C(name)); C(composites) is the exact list of realm roles it includes.
    type: list
    elements: dict
    default: []
  groups:
    description: Groups (by C(name)), nested with C(subGroups); C(realmRoles) is the exact list of realm roles mapped.
    type: list
    elements: dict
    default: []
  clients:
    description:
      - ClientRepresentation items (by C(clientId)) with C(protocolMappers), C(defaultClientScopes),
        C(optionalClientScopes) and C(serviceAccountRealmRoles) (exact list).
      - A C(secret) given is set; otherwise Keycloak generates one (see O(return_client_secrets)).
    type: list
    elements: dict
    default: []
  identity_providers:
    description: IdentityProviderRepresentation items (by C(alias)) with C(mappers).
    type: list
    elements: dict
    default: []
  users:
    description:
      - Users to ensure (by C(username)), for break-glass or test accounts only. C(password) is set
        when the user is created; C(groups) (paths) are added.
    type: list
    elements: dict
    default: []
  prune:
    description: Delete marked objects that are no longer in the input.
    type: bool
    default: false
  return_client_secrets:
    description: Return RV(client_secrets) for the tasks that follow; set C(no_log) on the task then.
    type: bool
    default: false
  client_secrets_of:
    description:
      - With O(return_client_secrets=true), return the secrets of these client IDs only (the clients whose
        consumers run where this task runs); all confidential clients of the input when not set.
      - A client whose consumer is another cluster reads its own secret there with
        M(krci.platform.keycloak_client_secret_info), so it never passes through this host.
    type: list
    elements: str
attributes:
  check_mode:
    description: Reports what would change; writes nothing.
    support: full
  diff_mode:
    description: A before/after per changed object, secrets masked.
    support: full
"""

EXAMPLES = r"""
- name: The platform realm
  krci.platform.keycloak_realm:
    auth_keycloak_url: https://sso.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: krci
    settings:
      displayName: KubeRocketCI
      sslRequired: external
      bruteForceProtected: true
      passwordPolicy: "length(12) and notUsername"
    client_scopes:
      - name: groups
        type: default
        protocolMappers:
          - name: groups
            protocolMapper: oidc-group-membership-mapper
            config: {claim.name: groups, full.path: "false", id.token.claim: "true", access.token.claim: "true"}
    groups:
      - name: krci-administrators
      - name: krci-developers
    clients:
      - clientId: argocd
        publicClient: false
        redirectUris: [https://argocd.example.com/auth/callback]
        defaultClientScopes: [groups]
  no_log: true
"""

RETURN = r"""
summary:
  description: Number of objects per action.
  returned: always
  type: dict
  sample: {created: 3, updated: 1, deleted: 0, unchanged: 40}
objects:
  description: Every object looked at, with its action (C(created), C(updated), C(deleted), C(unchanged)).
  returned: always
  type: list
  elements: dict
issuer:
  description: The realm's OIDC issuer URL.
  returned: always
  type: str
requests:
  description: HTTP requests sent, per method (C(TOKEN) counts authentications).
  returned: always
  type: dict
client_secrets:
  description: Client ID to secret of the confidential clients in the input (a secret you gave comes back masked).
  returned: when O(return_client_secrets=true); in check mode only for clients that exist already
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils._keycloak_args import (
    KEYCLOAK_CONNECTION_RULES, KEYCLOAK_CONNECTION_SPEC, client_from_params)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_realm import RealmReconciler


def _dump(obj):
    import yaml  # pylint: disable=import-outside-toplevel

    return yaml.safe_dump(obj, default_flow_style=False, sort_keys=True)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        realm=dict(type="str", required=True),
        settings=dict(type="dict", default={}),
        client_scopes=dict(type="list", elements="dict", default=[]),
        roles=dict(type="list", elements="dict", default=[]),
        groups=dict(type="list", elements="dict", default=[]),
        clients=dict(type="list", elements="dict", default=[]),
        identity_providers=dict(type="list", elements="dict", default=[]),
        users=dict(type="list", elements="dict", default=[]),
        prune=dict(type="bool", default=False),
        return_client_secrets=dict(type="bool", default=False),
        client_secrets_of=dict(type="list", elements="str", no_log=False),
    )
    argument_spec.update(KEYCLOAK_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **KEYCLOAK_CONNECTION_RULES)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    # Secrets inside the free-form lists are masked wherever they would appear.
    for client in params["clients"]:
        if client.get("secret"):
            module.no_log_values.add(client["secret"])
    for user in params["users"]:
        if user.get("password"):
            module.no_log_values.add(user["password"])
    for provider in params["identity_providers"]:
        if (provider.get("config") or {}).get("clientSecret"):
            module.no_log_values.add(provider["config"]["clientSecret"])

    client = client_from_params(module)
    reconciler = RealmReconciler(client, params["realm"], module.check_mode, params["prune"], _dump)
    kinds = ("settings", "client_scopes", "roles", "groups", "clients", "identity_providers", "users")
    spec = dict((k, params[k]) for k in kinds)
    spec["realm"] = params["realm"]
    try:
        changed, summary = reconciler.run(spec)
        result = dict(changed=changed, summary=summary, objects=reconciler.objects,
                      issuer="%s/realms/%s" % (client.base_url, params["realm"]))
        if params["return_client_secrets"]:
            secrets = {}
            wanted = params["client_secrets_of"]
            for item in params["clients"]:
                if not item.get("publicClient") and (wanted is None or item["clientId"] in wanted):
                    value = reconciler.client_secret(item["clientId"])
                    if value:
                        secrets[item["clientId"]] = value
            result["client_secrets"] = secrets
    except kc.KeycloakError as exc:
        module.fail_json(msg=str(exc), objects=reconciler.objects, requests=client.requests_sent)
    result["requests"] = client.requests_sent
    if module._diff:
        result["diff"] = reconciler.diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
