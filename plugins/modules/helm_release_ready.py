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
  - With O(releases), every release of a cluster in one call - each is compared with the chart version
    and values wanted (RV(releases)), and those that are current (chart at the version, C(deployed),
    values equal, as M(kubernetes.core.helm) decides) are waited for at once. A role can then skip the
    install and the wait of each current release, so a converged cluster costs one call.
  - A CustomResourceDefinition is ready when the API server serves its kind (discovery of its group and
    version, one small request per group), which it does once the CRD is C(Established).
  - What it needs of a release record (chart, status, a digest of the values, the objects to check) is kept
    on the controller under C(~/.cache/krci-platform/helm-releases), by the record Secret's uid and
    resourceVersion, files mode 0600, no values; a record is read and decoded again only when it changed.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  name:
    description: Release name (one release; or use O(releases)).
    type: str
  namespace:
    description: Release namespace (with O(name)).
    type: str
  releases:
    description:
      - Several releases at once, each compared with what is wanted; missing ones are reported, never
        an error, in any mode.
    type: list
    elements: dict
    suboptions:
      name:
        description: Release name.
        type: str
        required: true
      namespace:
        description: Release namespace.
        type: str
        required: true
      version:
        description: The chart version wanted (a leading C(v) is ignored); unset, any.
        type: str
      values:
        description: The values wanted (as given to M(kubernetes.core.helm) C(release_values)); unset, any.
        type: raw
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

- name: Which releases of this cluster are current (and wait for those)
  krci.platform.helm_release_ready:
    releases:
      - {name: cert-manager, namespace: cert-manager, version: v1.21.1, values: {crds: {enabled: true}}}
      - {name: external-secrets, namespace: external-secrets, version: 2.9.0, values: {}}
  register: releases

- name: Install only what is not current
  ansible.builtin.debug:
    msg: "{{ releases.releases | dict2items | rejectattr('value.current') | map(attribute='key') }}"
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
current:
  description: With O(releases), the C(<namespace>/<name>) of the releases that are current (and were checked ready).
  returned: with O(releases)
  type: list
  elements: str
  sample: [cert-manager/cert-manager]
releases:
  description:
    - With O(releases), C(<namespace>/<name>) to its state - C(found), C(current) (chart at the version,
      C(deployed), values equal), C(chart_current), C(revision), C(chart), C(status) and C(reason) (why not current).
  returned: with O(releases)
  type: dict
  sample: {cert-manager/cert-manager: {found: true, current: true, chart_current: true, revision: 1,
           chart: cert-manager-v1.21.1, status: deployed, reason: current}}
api_url:
  description: API server that was asked.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._helm import (
    SUMMARY_CACHE, HelmReleaseError, SummaryCache, decode_release, latest_revision, release_summary, summary_state)
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def _load_all(text):
    import yaml  # pylint: disable=import-outside-toplevel

    # The C parser when PyYAML has it: a release's CRDs are megabytes of YAML.
    return yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _summary(client, secret_kind, name, namespace, cache):
    """The summary of the latest revision of a release, or None when it is not installed."""
    # Names and labels of every revision first (each record holds the whole chart), then the latest one.
    latest = latest_revision(client.list_metadata(secret_kind, namespace, "owner=helm,name=%s" % name))
    if latest is None:
        return None
    summary = cache.get(latest.get("metadata") or {})
    if summary is None:
        record = client.get(secret_kind, latest["metadata"]["name"], namespace)
        if record is None:
            return None
        summary = release_summary(decode_release(record["data"]["release"]), _load_all)
        cache.put(record.get("metadata") or {}, summary)
    return summary


def _summaries(client, secret_kind, releases, cache):
    """Key -> summary (or the exception) of every release, read at once."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    def one(wanted):
        key = "%s/%s" % (wanted["namespace"], wanted["name"])
        try:
            return key, _summary(client, secret_kind, wanted["name"], wanted["namespace"], cache)
        except (HelmReleaseError, _kube.KubeError) as exc:
            return key, exc

    with ThreadPoolExecutor(max_workers=max(1, min(_kube.PARALLEL_READS, len(releases)))) as pool:
        return dict(pool.map(one, releases))


def _many(module, client, secret_kind, cache):
    states, objects = {}, []
    summaries = _summaries(client, secret_kind, module.params["releases"], cache)
    for wanted in module.params["releases"]:
        key = "%s/%s" % (wanted["namespace"], wanted["name"])
        summary = summaries[key]
        if isinstance(summary, Exception):
            module.fail_json(msg="Helm release %s: %s" % (key, summary), api_url=client.api_url)
        if summary is None:
            states[key] = {"found": False, "current": False, "chart_current": False, "reason": "not installed"}
            continue
        states[key] = summary_state(summary, wanted.get("version"), wanted.get("values"))
        if states[key]["current"]:
            objects.extend(summary["objects"])
    try:
        _kube.wait_ready(client, objects, module.params["timeout"])
    except _kube.KubeError as exc:
        module.fail_json(msg="Helm releases %s: %s" % (", ".join(k for k, v in states.items() if v["current"]), exc),
                         releases=states, api_url=client.api_url)
    module.exit_json(changed=False, releases=states, current=sorted(k for k, v in states.items() if v["current"]),
                     api_url=client.api_url,
                     checked=[_kube.object_ref(o) for o in objects if o.get("kind") in _kube.READINESS_KINDS])


def main(module_class=AnsibleModule):
    argument_spec = dict(
        name=dict(type="str"),
        namespace=dict(type="str"),
        releases=dict(type="list", elements="dict", options=dict(
            name=dict(type="str", required=True), namespace=dict(type="str", required=True),
            version=dict(type="str"), values=dict(type="raw"))),
        timeout=dict(type="int", default=300),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_one_of=[("name", "releases")], mutually_exclusive=[("name", "releases")],
                          required_together=[("name", "namespace")])
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))

    name, namespace = module.params["name"], module.params["namespace"]
    cache = SummaryCache(SUMMARY_CACHE)
    try:
        client = client_from_params(module)
        secret_kind = client.resource("v1", "Secret")
        if module.params["releases"] is not None:
            _many(module, client, secret_kind, cache)
        summary = _summary(client, secret_kind, name, namespace, cache)
        if summary is None:
            if module.check_mode:
                module.exit_json(changed=False, found=False, api_url=client.api_url)
            module.fail_json(msg="Helm release %s is not installed in namespace %s on %s; install it first"
                             % (name, namespace, client.api_url))
        objects = summary["objects"]
        _kube.wait_ready(client, objects, module.params["timeout"])
    except (_kube.KubeError, HelmReleaseError) as exc:
        module.fail_json(msg="Helm release %s/%s: %s" % (namespace, name, exc))
    module.exit_json(changed=False, found=True, revision=summary.get("revision"),
                     chart="%s-%s" % (summary.get("chart_name"), summary.get("chart_version")),
                     checked=[_kube.object_ref(o) for o in objects if o.get("kind") in _kube.READINESS_KINDS],
                     api_url=client.api_url)


if __name__ == "__main__":
    main()
