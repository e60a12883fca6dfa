#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sealed_secret
short_description: Seal values into a SealedSecret with a Sealed Secrets controller's public certificate
version_added: 0.5.0
description:
  - Encrypts O(data) for the Sealed Secrets controller whose certificate is O(certificate), exactly as
    C(kubeseal) does, and returns the C(SealedSecret) object to keep in the GitOps repository (for example
    through the O(krci.platform.promote#module:manifests) of a promotion). Only that controller can unseal it,
    and only as O(name) in O(namespace) with the default O(scope=strict).
  - Runs on the controller, needs only the public certificate and reaches nothing; it writes nothing, so it is
    never C(changed). Every run seals anew (a random session key), so the ciphertext differs between runs.
  - The plain values are C(no_log) and never returned.
author:
  - krci.platform contributors (@krci-platform)
options:
  name:
    description: Name of the Secret the controller creates (and of the SealedSecret).
    type: str
    required: true
  namespace:
    description: Its namespace (an environment's, for example C(krci-dev)).
    type: str
    required: true
  data:
    description: Keys and plain values to seal.
    type: dict
    required: true
  certificate:
    description: The controller's certificate, PEM (C(kubeseal --fetch-cert --controller-namespace sealed-secrets)).
    type: str
    required: true
  scope:
    description: C(strict) binds the value to O(name) in O(namespace); C(namespace-wide) to the namespace;
      C(cluster-wide) to nothing.
    type: str
    default: strict
    choices: [strict, namespace-wide, cluster-wide]
  type:
    description: Type of the Secret.
    type: str
    default: Opaque
  labels:
    description: Labels of the Secret.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Seals in check mode too (nothing is written either way).
    support: full
  diff_mode:
    description: Nothing to compare; no diff.
    support: none
"""

EXAMPLES = r"""
- name: Seal the dev database password
  krci.platform.sealed_secret:
    name: krci-demo-db
    namespace: krci-dev
    data:
      password: "{{ dev_db_password }}"
    certificate: "{{ lookup('ansible.builtin.file', 'certs/dev-sealed-secrets.pem') }}"
  register: sealed

- name: Carry it with the promotion into dev
  krci.platform.promote:
    application: krci-demo
    image: harbor.example.com/team/krci-demo
    version: 1.2.3-dev.20261201.abc1234
    target: dev
    environments: "{{ promotion_environments }}"
    git_url: https://git.example.com/platform/gitops.git
    git_password: "{{ gitops_token }}"
    manifests:
      - {file: krci-demo-db.sealed.yaml, content: "{{ sealed.sealed_secret }}", replace: false}
"""

RETURN = r"""
sealed_secret:
  description: The SealedSecret object; C(metadata.annotations) names the certificate's SHA-256 fingerprint.
  returned: success
  type: dict
certificate_fingerprint:
  description: SHA-256 fingerprint of the certificate sealed with.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _sealed_secrets
from ansible_collections.krci.platform.plugins.module_utils._promotion import DNS_LABEL

_SECRET_NAME = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
_KEY = r"^[-._a-zA-Z0-9]{1,253}$"


def main(module_class=AnsibleModule):
    import re

    module = module_class(argument_spec=dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        data=dict(type="dict", required=True, no_log=True),
        certificate=dict(type="str", required=True),
        scope=dict(type="str", default="strict", choices=list(_sealed_secrets.SCOPES)),
        type=dict(type="str", default="Opaque"),
        labels=dict(type="dict", default={}),
    ), supports_check_mode=True)
    if not _sealed_secrets.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    params = module.params
    errors = []
    if not re.match(_SECRET_NAME, params["name"]):
        errors.append("name: %r is not a Secret name (DNS-1123 subdomain)" % params["name"])
    if not DNS_LABEL.match(params["namespace"]):
        errors.append("namespace: %r is not a namespace name (DNS-1123 label)" % params["namespace"])
    for key in sorted(params["data"]):
        if not re.match(_KEY, key):
            errors.append("data: key %r is not a Secret key (letters, digits, '-', '_', '.')" % key)
    if errors:
        module.fail_json(msg="; ".join(errors))
    try:
        obj = _sealed_secrets.sealed_secret(params["certificate"], params["name"], params["namespace"],
                                            dict((k, "" if v is None else str(v)) for k, v in params["data"].items()),
                                            params["scope"], params["type"], params["labels"])
    except _sealed_secrets.SealingError as exc:
        module.fail_json(msg="seal %s/%s: %s" % (params["namespace"], params["name"], exc))
    module.exit_json(changed=False, sealed_secret=obj,
                     certificate_fingerprint=obj["metadata"]["annotations"]["krci.platform/sealing-certificate"])


if __name__ == "__main__":
    main()
