#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: helm_release_ready
short_description: Wait until what a Helm release installed is ready, and name what is not
version_added: 0.1.0
description:
  - Reads the latest revision of a Helm 3 release from the release Secret Helm keeps in the
    cluster (no helm binary needed), and waits until every CustomResourceDefinition of its chart
    (C(crds/) and templates) is C(Established), every Deployment C(Available) with all replicas
    updated, every StatefulSet and DaemonSet ready and every Job complete.
  - On timeout the task fails and lists each object that is not ready and why, for example
    C(Deployment cert-manager/cert-manager-webhook) with C(not Available (0/1 replicas available)).
  - Use it after M(kubernetes.core.helm) with C(wait=false), whose own wait reports only a deadline.
  - Reads only, so C(changed) is always false. In check mode, a release that does not exist yet
    (it would be installed) is reported with RV(found=false) instead of failing.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  name:
    description: Release name.
    type: str
    required: true
  namespace:
    description: Release namespace.
    type: str
    required: true
  timeout:
    description: Seconds to wait for every object to be ready.
    type: int
    default: 300
attributes:
  check_mode:
    description: Reads and waits as in a normal run; a missing release is not an error.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Install cert-manager without Helm's wait
  kubernetes.core.helm:
    name: cert-manager
    chart_ref: cert-manager
    chart_repo_url: https://charts.jetstack.io
    chart_version: v1.21.1
    release_namespace: cert-manager
    create_namespace: true
    release_values: {crds: {enabled: true}}

- name: Wait for its CRDs and Deployments, naming what is not ready
  krci.platform.helm_release_ready:
    name: cert-manager
    namespace: cert-manager
    timeout: 600
"""

RETURN = r"""
found:
  description: Whether the release exists.
  returned: always
  type: bool
revision:
  description: The release revision that was checked.
  returned: when found
  type: int
  sample: 2
chart:
  description: Chart name and version of that revision.
  returned: when found
  type: str
  sample: cert-manager-v1.21.1
checked:
  description: The objects whose readiness was checked (kind, namespace and name).
  returned: when found
  type: list
  elements: str
  sample: [CustomResourceDefinition certificates.cert-manager.io, Deployment cert-manager/cert-manager]
api_url:
  description: API server that was asked.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._helm import (
    HelmReleaseError, decode_release, latest_revision, release_objects)
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        namespace=dict(type="str", required=True),
        timeout=dict(type="int", default=300),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(_kube.KUBERNETES_IMPORT_ERROR))
    import yaml  # pylint: disable=import-outside-toplevel

    def on_retry(what, attempt, exc, delay):
        module.warn("%s: attempt %d failed (%s); retrying in %.1fs" % (what, attempt, exc, delay))

    name, namespace = module.params["name"], module.params["namespace"]
    try:
        client = _kube.KubeClient(module.params["kubeconfig"], module.params["context"], on_retry=on_retry)
        secret_kind = client.resource("v1", "Secret")
        # Names and labels of every revision first (each record holds the whole chart), then the latest one.
        latest = latest_revision(client.list_metadata(secret_kind, namespace, "owner=helm,name=%s" % name))
        record = client.get(secret_kind, latest["metadata"]["name"], namespace) if latest else None
        if record is None:
            if module.check_mode:
                module.exit_json(changed=False, found=False, api_url=client.api_url)
            module.fail_json(msg="Helm release %s is not installed in namespace %s on %s; install it first"
                             % (name, namespace, client.api_url))
        release = decode_release(record["data"]["release"])
        # The C parser when PyYAML has it: a release's CRDs are megabytes of YAML.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        objects = release_objects(release, lambda text: yaml.load_all(text, Loader=loader))
        _kube.wait_ready(client, objects, module.params["timeout"])
    except (_kube.KubeError, HelmReleaseError) as exc:
        module.fail_json(msg="Helm release %s/%s: %s" % (namespace, name, exc))
    chart_meta = (release.get("chart") or {}).get("metadata") or {}
    module.exit_json(changed=False, found=True, revision=release.get("version"),
                     chart="%s-%s" % (chart_meta.get("name"), chart_meta.get("version")),
                     checked=[_kube.object_ref(o) for o in objects if o.get("kind") in _kube.READINESS_KINDS],
                     api_url=client.api_url)


if __name__ == "__main__":
    main()
