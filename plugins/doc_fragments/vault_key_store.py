# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


# The three options share their suboptions; ansible-test needs each fragment as a literal string.
class ModuleDocFragment:
    """Where Vault's unseal keys and admin credential are kept: a file, a Kubernetes Secret or AWS Secrets Manager."""

    DESTINATION = r"""
options:
  key_destination:
    description:
      - Where the key shares are written (and the initial root token, when no credential destination is given).
    type: dict
    required: true
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), a controller file of mode 0600; its directory must exist.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(key_destination.kubeconfig).
        type: str
      namespace:
        description:
          - For C(kubernetes), a namespace of its own (created, Pod Security restricted) that only
            cluster administrators can read.
        type: str
        default: vault-keys
      name:
        description: For C(kubernetes), the Secret's name (key C(vault-init.json)).
        type: str
        default: vault-init
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN. AWS credentials come from the environment or O(key_destination.profile).
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint (a VPC endpoint, or moto in tests).
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: For C(aws_secrets_manager), the KMS key that encrypts a new secret.
        type: str
"""

    CREDENTIAL_DESTINATION = r"""
options:
  credential_destination:
    description:
      - Where the initial root token, and later the scoped admin AppRole that replaces it, are kept,
        apart from the key shares, so that no single read yields both.
      - Without it, the credential is kept with the key shares (as before 0.3), and the module warns.
    type: dict
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), a controller file of mode 0600; its directory must exist.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(credential_destination.kubeconfig).
        type: str
      namespace:
        description:
          - For C(kubernetes), a namespace of its own (created, Pod Security restricted) that only
            cluster administrators can read, not the key shares' namespace.
        type: str
        default: vault-admin
      name:
        description: For C(kubernetes), the Secret's name (key C(vault-admin.json)).
        type: str
        default: vault-admin-credential
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN. AWS credentials come from the environment or O(credential_destination.profile).
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint (a VPC endpoint, or moto in tests).
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: For C(aws_secrets_manager), the KMS key that encrypts a new secret.
        type: str
"""

    SOURCE = r"""
options:
  key_source:
    description:
      - Where to read the unseal keys when O(keys) is not given (what M(krci.platform.vault_init) wrote).
    type: dict
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), a controller file of mode 0600; its directory must exist.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(key_source.kubeconfig).
        type: str
      namespace:
        description:
          - For C(kubernetes), a namespace of its own (created, Pod Security restricted) that only
            cluster administrators can read.
        type: str
        default: vault-keys
      name:
        description: For C(kubernetes), the Secret's name (key C(vault-init.json)).
        type: str
        default: vault-init
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN. AWS credentials come from the environment or O(key_source.profile).
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint (a VPC endpoint, or moto in tests).
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: For C(aws_secrets_manager), the KMS key that encrypts a new secret.
        type: str
"""

    CREDENTIALS = r"""
options:
  credentials_from:
    description:
      - Log in with what the store of M(krci.platform.vault_init) and M(krci.platform.vault_admin_credential)
        holds, the stored admin AppRole first, else the initial root token.
      - One of O(token) and O(credentials_from) is required.
    type: dict
    suboptions:
      type:
        description: Kind of store.
        type: str
        default: file
        choices: [file, kubernetes, aws_secrets_manager]
      path:
        description: For C(file), a controller file of mode 0600; its directory must exist.
        type: path
      kubeconfig:
        description: For C(kubernetes), kubeconfig of the cluster that keeps the Secret.
        type: path
      context:
        description: For C(kubernetes), context in O(credentials_from.kubeconfig).
        type: str
      namespace:
        description:
          - For C(kubernetes), a namespace of its own (created, Pod Security restricted) that only
            cluster administrators can read.
        type: str
        default: vault-keys
      name:
        description: For C(kubernetes), the Secret's name (key C(vault-init.json)).
        type: str
        default: vault-init
      secret_name:
        description: For C(aws_secrets_manager), the secret's name or ARN. AWS credentials come from the environment or O(credentials_from.profile).
        type: str
      region:
        description: For C(aws_secrets_manager), the AWS region.
        type: str
      endpoint_url:
        description: For C(aws_secrets_manager), another endpoint (a VPC endpoint, or moto in tests).
        type: str
      profile:
        description: For C(aws_secrets_manager), an AWS profile.
        type: str
      kms_key_id:
        description: For C(aws_secrets_manager), the KMS key that encrypts a new secret.
        type: str
"""
