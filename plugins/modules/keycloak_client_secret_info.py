#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_client_secret_info
short_description: Read the secrets of named confidential clients of a Keycloak realm
version_added: 0.3.0
description:
  - Reads the current secret of each client in O(client_ids) through Keycloak's admin REST API
    (one lookup by C(clientId), one read of its secret). Reads only; changes nothing.
  - The collection runs it as each cluster's own host for the clients whose consumer runs in that
    cluster (a pull cluster's Argo CD), so a secret goes from Keycloak straight into its cluster and
    never passes through the platform host.
  - A client that does not exist (yet, in check mode before the realm's first run) or is public is
    left out of RV(client_secrets) and listed in RV(missing).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.keycloak_connection
options:
  realm:
    description: The realm of the clients.
    type: str
    required: true
  client_ids:
    description: The C(clientId)s whose secrets to read.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    description: Reads only; runs in check mode too.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Read this pull cluster's Argo CD client secret
  krci.platform.keycloak_client_secret_info:
    auth_keycloak_url: https://keycloak.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: krci
    client_ids: [argocd-production]
  register: argocd_client
  no_log: true
"""

RETURN = r"""
client_secrets:
  description: Client ID to its current secret. Register the result under C(no_log).
  returned: always
  type: dict
missing:
  description: Client IDs that do not exist or are public (no secret).
  returned: always
  type: list
  elements: str
issuer:
  description: The realm's OIDC issuer URL.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils._keycloak_args import (
    KEYCLOAK_CONNECTION_RULES, KEYCLOAK_CONNECTION_SPEC, client_from_params)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        realm=dict(type="str", required=True),
        client_ids=dict(type="list", elements="str", required=True),
    )
    argument_spec.update(KEYCLOAK_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **KEYCLOAK_CONNECTION_RULES)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    client = client_from_params(module)
    try:
        secrets = kc.client_secrets(client, module.params["realm"], module.params["client_ids"])
    except kc.KeycloakError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, client_secrets=secrets,
                     missing=[c for c in module.params["client_ids"] if c not in secrets],
                     issuer="%s/realms/%s" % (client.base_url, module.params["realm"]))


if __name__ == "__main__":
    main()
