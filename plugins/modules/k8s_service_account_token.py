#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_service_account_token
short_description: A bounded ServiceAccount token from the TokenRequest API
version_added: 0.1.0
description:
  - Asks the API server for a token of an existing ServiceAccount, with an expiry and audiences,
    through the TokenRequest API. No legacy token Secret is created.
  - A TokenRequest stores nothing in the cluster, so C(changed) is always false.
  - The token is returned for the tasks that follow, so set C(no_log=true) on the task (as in the
    example). In check mode no token is requested and RV(token) is empty.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  namespace:
    description: Namespace of the ServiceAccount.
    type: str
    required: true
  name:
    description: Name of the ServiceAccount.
    type: str
    required: true
  audiences:
    description: Audiences of the token; the API server's own when empty.
    type: list
    elements: str
    default: []
  expiration_seconds:
    description: Lifetime of the token, 600 to 86400 seconds.
    type: int
    default: 3600
attributes:
  check_mode:
    description: Requests no token.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: A token for Vault's TokenReview calls
  krci.platform.k8s_service_account_token:
    kubeconfig: /etc/krci/dev.kubeconfig
    namespace: krci-system
    name: vault-token-reviewer
    expiration_seconds: 86400
  register: reviewer
  no_log: true
"""

RETURN = r"""
token:
  description: The token. Register it under C(no_log).
  returned: success, not in check mode
  type: str
expiration_timestamp:
  description: When the token expires.
  returned: success, not in check mode
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    argument_spec = dict(
        namespace=dict(type="str", required=True),
        name=dict(type="str", required=True),
        audiences=dict(type="list", elements="str", default=[]),
        expiration_seconds=dict(type="int", default=3600),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    params = module.params
    if not 600 <= params["expiration_seconds"] <= 86400:
        module.fail_json(msg="expiration_seconds must be between 600 and 86400 (a bounded token), got %d"
                         % params["expiration_seconds"])
    if module.check_mode:
        module.exit_json(changed=False, token="", expiration_timestamp=None)
    try:
        client = client_from_params(module)
        token, expires = client.request_token(params["namespace"], params["name"], params["audiences"],
                                              params["expiration_seconds"])
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, token=token, expiration_timestamp=expires)


if __name__ == "__main__":
    main()
