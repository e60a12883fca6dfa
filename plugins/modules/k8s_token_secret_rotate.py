#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_token_secret_rotate
short_description: Rotate a ServiceAccount's long-lived token Secret, make-before-break
version_added: 0.9.0
description:
  - Rotates the token of a ServiceAccount whose consumer outside the cluster holds a long-lived token
    (the hub Argo CD's ServiceAccount in a push target), in two steps with the consumer's update between them.
  - The ServiceAccount's annotation C(krci.platform/token-secret) names the Secret whose token is current
    (the ServiceAccount's own name when it has none); the converge hands that token to its consumer.
  - O(step=issue) makes the Secret C(<name>-<rotation_id>) of type C(kubernetes.io/service-account-token),
    waits until the token controller filled its token, and points the annotation at it. The old Secret
    stays, so the old token keeps working until the consumer has the new one. Unchanged when the current
    Secret already carries the annotation C(krci.platform/rotation) with O(rotation_id), so a re-run after
    a failure rotates only what was left.
  - O(step=retire) deletes every other token Secret of the ServiceAccount; the API server refuses their
    tokens from then on. Unchanged when there is none.
  - No token is returned.
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
  rotation_id:
    description:
      - The rotation's name, recorded on the new Secret and ending its name.
      - 1 to 32 lowercase letters, digits and C(-), starting and ending with a letter or digit.
    type: str
    required: true
  step:
    description: C(issue) a new token, or C(retire) the others once the consumer has the new one.
    type: str
    choices: [issue, retire]
    required: true
  wait_timeout:
    description: Seconds to wait for the token controller to fill the new Secret's token.
    type: int
    default: 30
attributes:
  check_mode:
    description: Reports what it would make or delete; writes nothing.
    support: full
  diff_mode:
    description: Not supported; RV(secret) and RV(retired) name the Secrets.
    support: none
"""

EXAMPLES = r"""
- name: A new token for the hub in this push target
  krci.platform.k8s_token_secret_rotate:
    kubeconfig: /etc/krci/workloads.kubeconfig
    namespace: krci-argocd-manager
    name: argocd-manager
    rotation_id: "2026-12-04"
    step: issue

- name: The old tokens refused, once the hub holds the new one
  krci.platform.k8s_token_secret_rotate:
    kubeconfig: /etc/krci/workloads.kubeconfig
    namespace: krci-argocd-manager
    name: argocd-manager
    rotation_id: "2026-12-04"
    step: retire
"""

RETURN = r"""
secret:
  description: The Secret whose token is current (O(step=issue)).
  returned: when O(step=issue)
  type: str
  sample: argocd-manager-2026-12-04
retired:
  description: The token Secrets deleted (or that would be, in check mode) (O(step=retire)).
  returned: when O(step=retire)
  type: list
  elements: str
api_url:
  description: The API server's URL.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils import _token_secrets
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params
from ansible_collections.krci.platform.plugins.module_utils._rotation import check_rotation_id


def main(module_class=AnsibleModule):
    argument_spec = dict(
        namespace=dict(type="str", required=True),
        name=dict(type="str", required=True),
        rotation_id=dict(type="str", required=True),
        step=dict(type="str", required=True, choices=["issue", "retire"]),
        wait_timeout=dict(type="int", default=30),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    params = module.params
    check_rotation_id(module)
    client = None
    try:
        client = client_from_params(module)
        if params["step"] == "issue":
            changed, secret = _token_secrets.issue(client, params["namespace"], params["name"], params["rotation_id"],
                                                   module.check_mode, params["wait_timeout"])
            module.exit_json(changed=changed, secret=secret, api_url=client.api_url)
        retired = _token_secrets.retire(client, params["namespace"], params["name"], module.check_mode)
    except _kube.KubeError as exc:
        module.fail_json(msg="rotate the token of ServiceAccount %s/%s: %s" % (params["namespace"], params["name"], exc),
                         api_url=client.api_url if client else None)
    module.exit_json(changed=bool(retired), retired=retired, api_url=client.api_url)


if __name__ == "__main__":
    main()
