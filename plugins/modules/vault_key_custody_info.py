#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_key_custody_info
short_description: Who can read Vault's key shares and its admin credential, and a warning when one principal can read both
version_added: 0.3.0
description:
  - Whoever can read both the key shares and the admin credential owns Vault. This module lists the
    readers of each store and warns when the shares are not PGP-encrypted and a principal other than
    the automation itself can read both, or when the credential is kept with the shares.
  - For a Kubernetes Secret, the readers are every subject that a ClusterRoleBinding or a RoleBinding
    of the Secret's namespace names, and the built-in groups, that the cluster allows to C(get) the
    Secret or to C(list) or C(watch) Secrets of its namespace, each asked with a SubjectAccessReview.
    Members of C(system:masters) (a client certificate's organisation) appear in no binding and are
    not listed; the kubeconfig's own identity (the automation) is named in RV(custody.automation).
  - For a controller file, the reader is the user that owns it (mode 0600). For AWS Secrets Manager,
    readers are not listed (IAM policies decide); RV(custody.keys_readers) is then null.
  - Reads only; nothing secret is returned.
author:
  - krci.platform contributors (@krci-platform)
options:
  key_source:
    description: The store of the key shares (the O(krci.platform.vault_init#module:key_destination)).
    type: dict
    required: true
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), the controller file.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(key_source.kubeconfig).
        type: str
      namespace:
        description: For C(kubernetes), the Secret's namespace.
        type: str
        default: vault-keys
      name:
        description: For C(kubernetes), the Secret's name.
        type: str
        default: vault-init
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN.
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint.
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: Not used here (the store's encryption key).
        type: str
  credential_source:
    description:
      - The store of the admin credential (the O(krci.platform.vault_init#module:credential_destination)).
      - Without it, the credential is taken to be kept with the key shares, and the module warns.
    type: dict
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), the controller file.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(credential_source.kubeconfig).
        type: str
      namespace:
        description: For C(kubernetes), the Secret's namespace.
        type: str
        default: vault-admin
      name:
        description: For C(kubernetes), the Secret's name.
        type: str
        default: vault-admin-credential
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN.
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint.
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: Not used here (the store's encryption key).
        type: str
attributes:
  check_mode:
    description: Reads only; the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show.
    support: none
"""

EXAMPLES = r"""
- name: Who can read Vault's key shares and admin credential
  krci.platform.vault_key_custody_info:
    key_source:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
    credential_source:
      type: kubernetes
      kubeconfig: /etc/krci/platform.kubeconfig
  register: custody

- name: Nobody but the automation may read both
  ansible.builtin.assert:
    that: custody.custody.shared_readers == [] or custody.custody.keys_encrypted
"""

RETURN = r"""
custody:
  description: Where the shares and the credential are, and who can read each.
  returned: always
  type: dict
  contains:
    keys_at:
      description: The key shares' store.
      type: str
      sample: Secret vault-keys/vault-init on https://platform.example.com:6443
    keys_encrypted:
      description: Whether the stored shares are PGP-encrypted, one per operator.
      type: bool
    keys_readers:
      description: Who can read the key shares; null where not listed (AWS).
      type: list
      elements: str
      sample: [Group oidc:krci-administrators, ServiceAccount kube-system/generic-garbage-collector]
    credential_at:
      description: The admin credential's store.
      type: str
    credential_readers:
      description: Who can read the admin credential; null where not listed (AWS).
      type: list
      elements: str
    automation:
      description: The identity of the key store's kubeconfig (the automation), or null.
      type: str
      sample: User kubernetes-admin
    shared_readers:
      description: Readers of both, but for the automation.
      type: list
      elements: str
    warnings:
      description: What the module warned about.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils._vault_args import CREDENTIAL_STORE_OPTIONS, KEY_STORE_OPTIONS


def main(module_class=AnsibleModule):
    module = module_class(argument_spec=dict(
        key_source=dict(type="dict", required=True, no_log=False, options=KEY_STORE_OPTIONS),
        credential_source=dict(type="dict", no_log=False, options=CREDENTIAL_STORE_OPTIONS),
    ), supports_check_mode=True)
    try:
        keys, credentials = _vault_keys.stores(module.params["key_source"], module.params["credential_source"])
        custody = _vault_keys.custody(keys, credentials, module.no_log_values.add)
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    for warning in custody["warnings"]:
        module.warn(warning)
    module.exit_json(changed=False, custody=custody)


if __name__ == "__main__":
    main()
