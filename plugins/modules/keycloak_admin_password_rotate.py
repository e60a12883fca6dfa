#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_admin_password_rotate
short_description: Rotate the password of the Keycloak admin the collection logs in as, where it keeps it
version_added: 0.9.0
description:
  - Replaces the password of the admin user of realm C(master) by a new random one (32 letters and
    digits) and keeps it where the collection reads it, O(destination). Proves the new one logs in and
    the old one no longer does.
  - O(destination.type=file) is the JSON credentials file of C(keycloak_credentials_file) (keys
    C(keycloak_admin_username), C(keycloak_admin_password)); O(destination.type=secret) is the Secret
    C(keycloak-bootstrap-admin) the keycloak role keeps for a Keycloak it installed (key C(password)).
  - The new password is first written to the destination as C(next), then given to Keycloak, then made
    the destination's password. A run that stopped between two steps is finished by the next run, so no
    failure leaves the only working password unwritten.
  - The destination records O(rotation_id); a re-run with the same name changes nothing.
  - No password is returned.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  auth_keycloak_url:
    description: Keycloak's URL.
    type: str
    required: true
  ca_path:
    description: CA bundle that signed Keycloak's certificate.
    type: path
  validate_certs:
    description: Verify Keycloak's certificate.
    type: bool
    default: true
  timeout:
    description: Seconds per request.
    type: int
    default: 30
  destination:
    description: Where the admin's username and password are kept.
    type: dict
    required: true
    suboptions:
      type:
        description: C(file) (a credentials file on the controller) or C(secret) (a Kubernetes Secret).
        type: str
        choices: [file, secret]
        required: true
      path:
        description: The credentials file (O(destination.type=file)).
        type: path
      namespace:
        description: Namespace of the Secret (O(destination.type=secret)); the cluster is O(kubeconfig).
        type: str
        default: keycloak
      name:
        description: Name of the Secret (O(destination.type=secret)).
        type: str
        default: keycloak-bootstrap-admin
      username:
        description: The admin's username (O(destination.type=secret); the file holds its own).
        type: str
        default: bootstrap-admin
  rotation_id:
    description: The rotation's name, recorded in the destination.
    type: str
    required: true
attributes:
  check_mode:
    description: Says whether it would rotate; writes nothing.
    support: full
  diff_mode:
    description: Not supported; passwords are never shown.
    support: none
"""

EXAMPLES = r"""
- name: Rotate the admin password kept in the credentials file
  krci.platform.keycloak_admin_password_rotate:
    auth_keycloak_url: https://keycloak.example.com
    destination: {type: file, path: /etc/krci/keycloak-credentials.json}
    rotation_id: "2026-12-04"

- name: Rotate the installed Keycloak's bootstrap admin
  krci.platform.keycloak_admin_password_rotate:
    auth_keycloak_url: https://keycloak.example.com
    kubeconfig: /etc/krci/platform.kubeconfig
    destination: {type: secret, namespace: keycloak, name: keycloak-bootstrap-admin, username: bootstrap-admin}
    rotation_id: "2026-12-04"
"""

RETURN = r"""
username:
  description: The admin whose password was rotated.
  returned: always
  type: str
rotated:
  description: Whether this run set a new password (or finished a rotation an earlier run began).
  returned: always
  type: bool
store:
  description: Where the password is kept.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_rotation
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params
from ansible_collections.krci.platform.plugins.module_utils._rotation import check_rotation_id


def _store(module):
    dest = module.params["destination"]
    if dest["type"] == "file":
        if not dest["path"]:
            module.fail_json(msg="destination.path: the credentials file is required with destination.type file")
        return _keycloak_rotation.FilePassword(dest["path"])
    try:
        return _keycloak_rotation.SecretPassword(client_from_params(module), dest["namespace"], dest["name"],
                                                 dest["username"])
    except _kube.KubeError as exc:
        module.fail_json(msg="destination: %s" % exc)
    return None


def main(module_class=AnsibleModule):
    argument_spec = dict(
        auth_keycloak_url=dict(type="str", required=True, no_log=False),
        ca_path=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
        destination=dict(type="dict", required=True, no_log=False, options=dict(
            type=dict(type="str", required=True, choices=["file", "secret"]),
            path=dict(type="path"),
            namespace=dict(type="str", default="keycloak"),
            name=dict(type="str", default="keycloak-bootstrap-admin"),
            username=dict(type="str", default="bootstrap-admin"),
        )),
        rotation_id=dict(type="str", required=True),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    check_rotation_id(module)
    verify = (params["ca_path"] or True) if params["validate_certs"] else False
    store = _store(module)
    try:
        changed, info = _keycloak_rotation.rotate_admin_password(params["auth_keycloak_url"], store, params["rotation_id"],
                                                                 module.check_mode, verify=verify, timeout=params["timeout"])
    except (kc.KeycloakError, _kube.KubeError, OSError) as exc:
        module.fail_json(msg="rotate the Keycloak admin's password: %s" % exc)
    module.exit_json(changed=changed, **info)


if __name__ == "__main__":
    main()
