#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_service_account_issuer
short_description: The issuer and public keys that verify a cluster's ServiceAccount tokens
version_added: 0.1.0
description:
  - Reads the API server's OIDC discovery document and JWKS (C(/.well-known/openid-configuration),
    C(/openid/v1/jwks)) and returns the issuer and the public keys as PEM.
  - With them, a verifier outside the cluster (for example Vault's JWT auth) checks audience-bound
    ServiceAccount tokens offline, and no credential of the cluster ever leaves it.
  - Public information only; reads nothing else and changes nothing.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options: {}
attributes:
  check_mode:
    description: Reads only; runs in check mode too.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Public keys of the production cluster's ServiceAccount tokens
  krci.platform.k8s_service_account_issuer:
    kubeconfig: /etc/krci/production.kubeconfig
  register: production_issuer
"""

RETURN = r"""
issuer:
  description: The C(iss) claim of the cluster's ServiceAccount tokens.
  returned: always
  type: str
  sample: https://kubernetes.default.svc.cluster.local
public_keys_pem:
  description: The signing keys' public halves, PEM encoded.
  returned: always
  type: list
  elements: str
jwks:
  description: The JWKS document as the API server serves it.
  returned: always
  type: dict
api_url:
  description: The API server that was asked.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    module = module_class(argument_spec=dict(KUBE_CONNECTION_SPEC), supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    try:
        client = client_from_params(module)
        issuer, jwks = client.service_account_issuer()
        keys = _kube.jwks_to_pem(jwks)
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc))
    if not keys:
        module.fail_json(msg="%s serves no RSA or EC signing key at /openid/v1/jwks" % client.api_url)
    module.exit_json(changed=False, issuer=issuer, public_keys_pem=keys, jwks=jwks, api_url=client.api_url)


if __name__ == "__main__":
    main()
