#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_client_secret_rotate
short_description: Give named confidential clients of a Keycloak realm new secrets, once per rotation
version_added: 0.9.0
description:
  - For each client of O(client_ids), sets a new random secret (32 letters and digits) and the client
    attribute C(krci.platform/rotation) to O(rotation_id) in one update. Keycloak refuses the old secret
    from then on.
  - A client whose attribute already holds O(rotation_id) is left alone, so a re-run after a failure
    rotates only what was left, and reports C(changed) for nothing else.
  - The new secrets are not returned. The consumers read them from Keycloak as in a converge (the option
    playbooks' identity play), each in its own cluster (M(krci.platform.keycloak_client_secret_info)).
  - A client that does not exist, or is public, fails the module, naming it.
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
    description: The C(clientId)s of the confidential clients to rotate.
    type: list
    elements: str
    required: true
  rotation_id:
    description: The rotation's name, recorded on each client it rotates.
    type: str
    required: true
attributes:
  check_mode:
    description: Lists the clients it would rotate; writes nothing.
    support: full
  diff_mode:
    description: Not supported; secrets are never shown.
    support: none
"""

EXAMPLES = r"""
- name: New secrets for the hub Argo CD's and Vault's clients
  krci.platform.keycloak_client_secret_rotate:
    auth_keycloak_url: https://keycloak.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: krci
    client_ids: [argocd-hub, vault]
    rotation_id: "2026-12-04"
"""

RETURN = r"""
rotated:
  description: The clients given a new secret (in check mode, those that would be).
  returned: always
  type: list
  elements: str
unchanged:
  description: The clients this rotation had already rotated.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils._keycloak_args import (
    KEYCLOAK_CONNECTION_RULES, KEYCLOAK_CONNECTION_SPEC, client_from_params)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_rotation import rotate_client_secrets
from ansible_collections.krci.platform.plugins.module_utils._rotation import check_rotation_id


def main(module_class=AnsibleModule):
    argument_spec = dict(
        realm=dict(type="str", required=True),
        client_ids=dict(type="list", elements="str", required=True),
        rotation_id=dict(type="str", required=True),
    )
    argument_spec.update(KEYCLOAK_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **KEYCLOAK_CONNECTION_RULES)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    check_rotation_id(module)
    try:
        rotated, unchanged = rotate_client_secrets(client_from_params(module), params["realm"], params["client_ids"],
                                                   params["rotation_id"], module.check_mode)
    except kc.KeycloakError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=bool(rotated), rotated=rotated, unchanged=unchanged)


if __name__ == "__main__":
    main()
