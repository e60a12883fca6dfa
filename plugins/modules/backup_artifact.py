#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_artifact
short_description: Encrypt a document that is not secret into a backup artifact (the key store's metadata)
version_added: 0.9.0
description:
  - Writes O(content) as JSON into O(dest), encrypted for O(recipient) (see docs/day2.md). The backup
    playbook keeps the OpenBao key store's metadata with it (where the shares and the admin credential are, and
    who can read them).
  - Not for secrets - O(content) passes through Ansible like any task argument (C(-vvv) shows it). Secrets are read
    and encrypted by the module that backs them up (M(krci.platform.k8s_secrets_backup),
    M(krci.platform.keycloak_realm_backup), M(krci.platform.vault_raft_snapshot)).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.backup_artifact
options:
  content:
    description: The document to keep (a mapping or a list); it is written as sorted JSON.
    type: raw
    required: true
  describe:
    description: A summary to return with the artifact (counts, names); never secret.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Keep the key store's metadata
  krci.platform.backup_artifact:
    name: openbao-key-store-metadata
    dest: /var/backups/krci/staging/openbao-key-store-metadata.enc
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
    content: "{{ custody.custody }}"
    describe: {store: "{{ custody.custody.keys_at }}"}
"""

RETURN = r"""
artifact:
  description: The artifact written - C(name), C(file), C(size) and C(sha256) of the encrypted file,
    C(plaintext_size), C(seconds); in check mode C(name) and C(planned).
  returned: always
  type: dict
describe:
  description: O(describe), as given.
  returned: always
  type: dict
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _backup_args


def main(module_class=AnsibleModule):
    argument_spec = dict(content=dict(type="raw", required=True), describe=dict(type="dict", default={}))
    argument_spec.update(_backup_args.ARTIFACT_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    _backup_args.checked(module)
    started = time.time()
    content = module.params["content"]
    if not isinstance(content, (dict, list)):
        module.fail_json(msg="content: a mapping or a list, got %s" % type(content).__name__)
    _backup_args.write(module, [json.dumps(content, sort_keys=True, default=str)], started,
                       describe=module.params["describe"])


if __name__ == "__main__":
    main()
