#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_apply
short_description: Server-side apply many Kubernetes objects in one call, with a truthful diff
version_added: 0.1.0
description:
  - Applies a list of objects with server-side apply and one field manager, in order (put
    Namespaces and CustomResourceDefinitions before the objects that need them).
  - Reads each live object and dry-runs the apply first; only objects whose result differs are
    written. A converged cluster receives no write, and C(changed) is true only if an object was
    created or updated.
  - In check mode nothing is written; the prediction comes from the API server's dry run.
  - With C(--diff), shows a before/after per changed object, with Secret values masked.
  - Never deletes anything.
  - Custom resources may follow their CustomResourceDefinition in the same call; the module waits for
    the new kind to be served.
  - Transient errors (connection refused or reset, 409, 429, 5xx) are retried with backoff.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  definitions:
    description:
      - The objects to apply, each with C(apiVersion), C(kind) and C(metadata.name).
      - At least one of O(definitions) and O(src) is required.
    type: list
    elements: dict
    default: []
  src:
    description:
      - Files of multi-document YAML (or JSON) whose objects are applied after O(definitions), in order;
        C(List) kinds are flattened. Read where the module runs (the controller for the usual local connection).
      - For big manifests (an operator's release C(install.yaml)) this is much faster than passing them in
        O(definitions), as they are parsed by the module and never templated by Ansible.
    type: list
    elements: path
    default: []
  exclude:
    description: Objects of O(src) to leave out, by C(kind) and C(name) (for example a ConfigMap another task owns).
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: Kind of the object.
        type: str
        required: true
      name:
        description: Name of the object.
        type: str
        required: true
  namespace:
    description:
      - Namespace of the namespaced objects that have none (as C(kubectl apply -n)).
      - Without it, such an object fails the task.
    type: str
  field_manager:
    description: Server-side apply field manager.
    type: str
    default: krci-platform
  force_conflicts:
    description:
      - Take ownership of fields another field manager set (for example a hand edit with kubectl).
      - When false, such a conflict fails with the object's name.
    type: bool
    default: false
  prune_record:
    description:
      - A ConfigMap (I(namespace), I(name)) that lists every object this call applies. Objects the last call
        recorded that this one no longer applies (a new release of a manifest dropped them) are deleted, as
        C(kubectl apply --prune) with an ApplySet. The first call with a record only records.
      - Namespaces and CustomResourceDefinitions are never deleted (a CRD's deletion deletes all its objects);
        the result names them in C(kept).
      - Give one record per installed thing (one per manifest), and the same I(exclude) every time.
    type: dict
    suboptions:
      namespace:
        description: The record's namespace.
        type: str
        required: true
      name:
        description: The record's name.
        type: str
        required: true
  wait:
    description:
      - After applying, wait until every CustomResourceDefinition in O(definitions) is C(Established),
        every Deployment C(Available) with all replicas updated, every StatefulSet and DaemonSet ready
        and every Job complete.
      - On timeout the task fails and lists each object that is not ready, and why.
      - Not done in check mode.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 300
  drop_pinned_ids:
    description:
      - Remove C(runAsUser), C(runAsGroup) and C(fsGroup) from every Pod template (pod and containers) before
        applying, for OpenShift's restricted-v2 SCC, which assigns them from the namespace's range and refuses
        others (for example Argo CD's redis, pinned to UID 999 upstream). C(runAsNonRoot) and the rest stay.
      - The playbooks set it from the cluster's flavour (C(krci_flavour.pinned_ids_allowed)).
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return the changed status prediction without modifying the cluster.
    support: full
  diff_mode:
    description: Returns a before/after per changed object when in diff mode.
    support: full
"""

EXAMPLES = r"""
- name: Apply a namespace and its quota
  krci.platform.k8s_apply:
    kubeconfig: /etc/krci/platform.kubeconfig
    definitions:
      - apiVersion: v1
        kind: Namespace
        metadata:
          name: krci-dev
      - apiVersion: v1
        kind: ResourceQuota
        metadata:
          name: krci-quota
          namespace: krci-dev
        spec:
          hard:
            pods: "100"

- name: Install a component and wait until it is ready
  krci.platform.k8s_apply:
    kubeconfig: /etc/krci/platform.kubeconfig
    definitions: "{{ lookup('ansible.builtin.file', 'component.yaml') | ansible.builtin.from_yaml_all | list }}"
    wait: true
    wait_timeout: 600

- name: Install Argo CD from its release manifest into namespace argocd, but not the ConfigMap another task owns
  krci.platform.k8s_apply:
    kubeconfig: /etc/krci/platform.kubeconfig
    src: [/srv/mirror/argo-cd/v3.5.1/install.yaml]
    namespace: argocd
    exclude:
      - {kind: ConfigMap, name: argocd-cm}
    wait: true
"""

RETURN = r"""
objects:
  description: Every object with what happened to it.
  returned: always
  type: list
  elements: dict
  contains:
    ref:
      description: Kind, namespace and name.
      type: str
      sample: NetworkPolicy krci-dev/default-deny-all
    action:
      description: C(created), C(updated), C(deleted) (pruned) or C(unchanged) (in check mode, what would happen).
      type: str
summary:
  description: Number of objects per action.
  returned: always
  type: dict
  sample: {created: 2, updated: 1, deleted: 0, unchanged: 30}
kept:
  description: With I(prune_record), the dropped objects of kinds a prune never deletes (Namespace, CRD).
  returned: always
  type: list
  elements: str
  sample: [CustomResourceDefinition applicationsets.argoproj.io]
api_url:
  description: API server the objects were applied to.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _flavour, _kube
from ansible_collections.krci.platform.plugins.module_utils._changes import ACTIONS
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    argument_spec = dict(
        definitions=dict(type="list", elements="dict", default=[]),
        src=dict(type="list", elements="path", default=[]),
        exclude=dict(type="list", elements="dict", default=[], options=dict(
            kind=dict(type="str", required=True), name=dict(type="str", required=True))),
        namespace=dict(type="str"),
        field_manager=dict(type="str", default="krci-platform"),
        force_conflicts=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
        drop_pinned_ids=dict(type="bool", default=False),
        prune_record=dict(type="dict", options=dict(
            namespace=dict(type="str", required=True), name=dict(type="str", required=True))),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    if not module.params["definitions"] and not module.params["src"]:
        module.fail_json(msg="nothing to apply: give definitions, src or both")

    try:
        definitions = module.params["definitions"] + _kube.load_manifests(module.params["src"], module.params["exclude"])
        if module.params["drop_pinned_ids"]:
            definitions = [_flavour.without_pinned_ids(body) for body in definitions]
        client = client_from_params(module)
        live = {}
        changed, objects, diffs = _kube.apply_all(
            client, definitions, module.params["field_manager"],
            module.params["force_conflicts"], module.check_mode, dump=_kube.dump_yaml,
            default_namespace=module.params["namespace"], live=live)
        kept = []
        if module.params["prune_record"]:
            pruned, dropped, dropped_diffs, kept = _kube.prune(
                client, module.params["prune_record"], definitions, module.params["field_manager"], module.check_mode,
                dump=_kube.dump_yaml)
            changed, objects, diffs = changed or pruned, objects + dropped, diffs + dropped_diffs
        if module.params["wait"] and not module.check_mode:
            _kube.wait_ready(client, definitions, module.params["wait_timeout"], live=live)
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc))
    summary = dict((action, sum(1 for o in objects if o["action"] == action)) for action in ACTIONS)
    result = dict(changed=changed, objects=objects, summary=summary, api_url=client.api_url, kept=kept)
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
