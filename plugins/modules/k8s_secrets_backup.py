#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_secrets_backup
short_description: Keep the Secrets of a namespace that match a label selector in an encrypted backup artifact
version_added: 0.9.0
description:
  - Lists the Secrets of O(namespace) matching O(label_selector) and writes them, without their server-owned fields,
    into O(dest), encrypted for O(recipient) (see docs/day2.md). The backup playbook keeps each push cluster's
    Sealed Secrets controller keys with it.
  - The Secrets never pass through Ansible (no registered variable holds them); only their names are returned.
  - No matching Secret fails the task, naming the namespace and the selector, unless O(allow_empty).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
  - krci.platform.backup_artifact
options:
  namespace:
    description: The namespace of the Secrets.
    type: str
    required: true
  label_selector:
    description: The label selector of the Secrets.
    type: str
    required: true
  allow_empty:
    description: Write an empty artifact when nothing matches, instead of failing.
    type: bool
    default: false
attributes:
  check_mode:
    description: Lists the Secrets, writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Keep this cluster's Sealed Secrets controller keys
  krci.platform.k8s_secrets_backup:
    kubeconfig: ~/.kube/workloads
    namespace: sealed-secrets
    label_selector: sealedsecrets.bitnami.com/sealed-secrets-key
    name: sealed-secrets-keys-workloads
    dest: /var/backups/krci/staging/sealed-secrets-keys-workloads.enc
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
"""

RETURN = r"""
artifact:
  description: The artifact written - C(name), C(file), C(size) and C(sha256) of the encrypted file,
    C(plaintext_size), C(seconds); in check mode C(name) and C(planned).
  returned: always
  type: dict
secrets:
  description: The names of the Secrets kept.
  returned: always
  type: list
  elements: str
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _backup_args
from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError, normalize
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    argument_spec = dict(namespace=dict(type="str", required=True), label_selector=dict(type="str", required=True),
                         allow_empty=dict(type="bool", default=False))
    argument_spec.update(KUBE_CONNECTION_SPEC)
    argument_spec.update(_backup_args.ARTIFACT_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    _backup_args.checked(module)
    started = time.time()
    params = module.params
    try:
        client = client_from_params(module)
        items = client.list(client.resource("v1", "Secret"), params["namespace"], params["label_selector"])
    except KubeError as exc:
        module.fail_json(msg="list the Secrets %s in %s: %s; no artifact was written"
                             % (params["label_selector"], params["namespace"], exc))
    if not items and not params["allow_empty"]:
        module.fail_json(msg="no Secret matches %s in namespace %s; nothing to keep, no artifact was written"
                             % (params["label_selector"], params["namespace"]))
    kept = sorted((normalize(item) for item in items), key=lambda s: s["metadata"]["name"])
    _backup_args.write(module, [json.dumps(kept, sort_keys=True)], started,
                       secrets=[s["metadata"]["name"] for s in kept])


if __name__ == "__main__":
    main()
