#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_secrets_restore
short_description: Put Secrets kept by M(krci.platform.k8s_secrets_backup) back into a cluster
version_added: 0.9.0
description:
  - Reads a Secrets artifact of a fetched archive (a push cluster's Sealed Secrets controller keys) and creates each
    Secret the cluster lacks (server-side apply), with its namespace. The Secrets never pass through Ansible.
  - A Secret that exists with the same data is left alone (a re-run changes nothing); one that exists with other
    data is refused before any write, naming it - the cluster made keys of its own since, and both are needed (the
    controller opens with any key it holds), so rename or remove it knowingly.
  - The Sealed Secrets controller reads its keys when it starts - restart it after a restore that added keys.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
  - krci.platform.backup_restore
attributes:
  check_mode:
    description: Reads the cluster, writes nothing (a server-side dry run).
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Put the workloads cluster's Sealed Secrets keys back
  krci.platform.k8s_secrets_restore:
    kubeconfig: ~/.kube/workloads
    archive: /tmp/restore
    name: sealed-secrets-keys-workloads
    identity: "{{ lookup('ansible.builtin.file', '/secure/backup.key') }}"
"""

RETURN = r"""
created:
  description: The Secrets created (namespace/name).
  returned: success
  type: list
  elements: str
unchanged:
  description: The Secrets that were there with the same data.
  returned: success
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _backup_args
from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params

FIELD_MANAGER = "krci-platform-restore"


def main(module_class=AnsibleModule):
    argument_spec = dict(KUBE_CONNECTION_SPEC)
    argument_spec.update(_backup_args.RESTORE_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    secrets = json.loads(_backup_args.read(module))
    created, unchanged = [], []
    try:
        client = client_from_params(module)
        secret_kind = client.resource("v1", "Secret")
        namespace_kind = client.resource("v1", "Namespace")
        todo = []
        for secret in secrets:
            meta = secret["metadata"]
            ref = "%s/%s" % (meta["namespace"], meta["name"])
            live = client.get(secret_kind, meta["name"], meta["namespace"])
            if live is None:
                todo.append(secret)
            elif (live.get("data") or {}) == (secret.get("data") or {}):
                unchanged.append(ref)
            else:
                module.fail_json(msg="Secret %s exists with other data than the backup's; nothing was restored. The "
                                     "cluster made it since the backup: keep both by renaming one, or delete it "
                                     "knowingly, then run again" % ref)
        for namespace in sorted(set(s["metadata"]["namespace"] for s in todo)):
            if client.get(namespace_kind, namespace, None) is None:
                client.apply(namespace_kind, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
                             FIELD_MANAGER, False, module.check_mode)
        for secret in todo:
            body = dict(secret, apiVersion="v1", kind="Secret")
            client.apply(secret_kind, body, FIELD_MANAGER, True, module.check_mode)
            created.append("%s/%s" % (secret["metadata"]["namespace"], secret["metadata"]["name"]))
    except KubeError as exc:
        module.fail_json(msg="restore the Secrets of %s: %s" % (module.params["name"], exc), created=created)
    module.exit_json(changed=bool(created), created=created, unchanged=unchanged)


if __name__ == "__main__":
    main()
