#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: olm_subscription
short_description: Install one operator through OLM at a pinned ClusterServiceVersion and wait until it succeeded
version_added: 0.6.0
description:
  - One call per OLM package - the OperatorGroup (unless the namespace is C(openshift-operators), whose global
    group exists), the Subscription with I(channel), C(startingCSV) = I(csv) and C(installPlanApproval=Manual),
    the approval of exactly the InstallPlan that installs I(csv) (an InstallPlan for any other CSV is never
    approved), then a wait until the ClusterServiceVersion is C(Succeeded).
  - Before any write, where the cluster serves C(packages.operators.coreos.com/v1) PackageManifests (OLM's
    package server), the channel and the CSV are checked against the catalog; an unknown one fails, naming what
    the catalog offers.
  - A timeout names what is not ready - no InstallPlan yet (OLM not resolving; the CatalogSource's health), an
    InstallPlan waiting or failed, or the CSV's phase and reason.
  - Objects are applied server-side with one field manager; check mode and diff are truthful (nothing is
    written, nothing approved, no wait); C(changed) only when an object or the approval changed.
  - After success, I(operands) (custom resources the operator reconciles, for example its configuration object)
    are applied when their kind is served; those not served are returned in RV(operands_not_served).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  subscription:
    description: The Subscription object (C(operators.coreos.com/v1alpha1)); C(spec.startingCSV) is the pinned CSV.
    type: dict
    required: true
  operator_group:
    description: The OperatorGroup object of the Subscription's namespace; omit in C(openshift-operators).
    type: dict
  operands:
    description: Objects to apply once the CSV succeeded, when their kind is served.
    type: list
    elements: dict
    default: []
  field_manager:
    description: Server-side apply field manager.
    type: str
    default: krci-platform-operators
  timeout:
    description: Seconds to wait for the CSV to be C(Succeeded).
    type: int
    default: 600
attributes:
  check_mode:
    description: Reports what would be applied and approved; writes nothing, does not wait.
    support: full
  diff_mode:
    description: The OperatorGroup and Subscription before and after.
    support: full
"""

EXAMPLES = r"""
- name: OpenShift Pipelines at the pinned CSV
  krci.platform.olm_subscription:
    kubeconfig: /etc/krci/platform.kubeconfig
    subscription:
      apiVersion: operators.coreos.com/v1alpha1
      kind: Subscription
      metadata: {name: openshift-pipelines-operator-rh, namespace: openshift-operators}
      spec:
        name: openshift-pipelines-operator-rh
        channel: pipelines-1.20
        source: redhat-operators
        sourceNamespace: openshift-marketplace
        startingCSV: openshift-pipelines-operator-rh.v1.20.0
        installPlanApproval: Manual
"""

RETURN = r"""
csv:
  description: The pinned ClusterServiceVersion.
  returned: always
  type: str
  sample: openshift-pipelines-operator-rh.v1.20.0
phase:
  description: The CSV's phase at the end (C(Succeeded) after a run that did not fail; empty in check mode when absent).
  returned: always
  type: str
install_plan:
  description: The InstallPlan that installs the CSV (namespace/name), when there is one.
  returned: always
  type: str
approved:
  description: Whether this run approved that InstallPlan.
  returned: always
  type: bool
catalog_checked:
  description: Whether the channel and CSV were checked against OLM's PackageManifest (the package server serves it).
  returned: always
  type: bool
operands_not_served:
  description: Operands whose kind the cluster does not serve (not applied).
  returned: always
  type: list
  elements: str
objects:
  description: The OperatorGroup, Subscription and operands with the action taken (created, updated, unchanged).
  returned: always
  type: list
  elements: dict
api_url:
  description: The API server.
  returned: always
  type: str
"""

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params

GROUP = "operators.coreos.com/v1alpha1"


def _ref(obj):
    return "%s/%s" % (obj["metadata"].get("namespace"), obj["metadata"]["name"])


def check_catalog(client, subscription):
    """Whether the catalog was checked; KubeError when the channel or the CSV is unknown to it."""
    if not client.serves("packages.operators.coreos.com/v1", "PackageManifest"):
        return False
    spec = subscription["spec"]
    manifest = client.get(client.resource("packages.operators.coreos.com/v1", "PackageManifest"), spec["name"],
                          subscription["metadata"]["namespace"])
    if manifest is None:
        raise _kube.KubeError("Subscription %s: package %s is not in the cluster's catalogs (CatalogSource %s/%s); "
                              "check the package name or the catalog source" % (
                                  _ref(subscription), spec["name"], spec.get("sourceNamespace"), spec.get("source")))
    channels = (manifest.get("status") or {}).get("channels") or []
    channel = next((c for c in channels if c.get("name") == spec["channel"]), None)
    if channel is None:
        raise _kube.KubeError("Subscription %s: unknown channel %s of package %s (the catalog has: %s); nothing was "
                              "changed" % (_ref(subscription), spec["channel"], spec["name"],
                                           ", ".join(sorted(c.get("name", "") for c in channels))))
    offered = set([channel.get("currentCSV")] + [e.get("name") for e in channel.get("entries") or []])
    if spec["startingCSV"] not in offered:
        raise _kube.KubeError("Subscription %s: unknown CSV %s in channel %s of package %s (the channel has: %s); "
                              "nothing was changed" % (_ref(subscription), spec["startingCSV"], spec["channel"],
                                                       spec["name"], ", ".join(sorted(x for x in offered if x))))
    return True


def _get(client, kind, name, namespace):
    return client.get(client.resource(GROUP, kind), name, namespace)


def not_ready(client, subscription, csv):
    """(reason or None when the CSV succeeded, the InstallPlan ref, the plan to approve or None, the CSV's phase,
    final: waiting cannot help)."""
    namespace = subscription["metadata"]["namespace"]
    live = _get(client, "Subscription", subscription["metadata"]["name"], namespace) or {}
    status = live.get("status") or {}
    current = _get(client, "ClusterServiceVersion", csv, namespace)
    phase = ((current or {}).get("status") or {}).get("phase") or ""
    if phase == "Succeeded":
        return None, "", None, phase, False
    ref = status.get("installPlanRef") or {}
    if not ref:
        health = ", ".join("%s/%s %s" % ((c.get("catalogSourceRef") or {}).get("namespace"),
                                         (c.get("catalogSourceRef") or {}).get("name"),
                                         "healthy" if c.get("healthy") else "UNHEALTHY")
                           for c in status.get("catalogHealth") or []) or "no catalog health reported"
        conditions = "; ".join("%s: %s" % (c.get("type"), c.get("message")) for c in status.get("conditions") or []
                               if c.get("status") == "True" and c.get("message"))
        return ("no InstallPlan yet (is OLM running and resolving? catalog: %s%s)"
                % (health, "; " + conditions if conditions else "")), "", None, phase, False
    plan_name = "%s/%s" % (ref.get("namespace") or namespace, ref.get("name"))
    plan = _get(client, "InstallPlan", ref.get("name"), ref.get("namespace") or namespace) or {}
    wanted = (plan.get("spec") or {}).get("clusterServiceVersionNames") or []
    if csv not in wanted:
        return ("InstallPlan %s installs %s, not the pinned %s: approve nothing; pin that CSV or delete the "
                "Subscription and run again" % (plan_name, ", ".join(wanted) or "nothing", csv)), plan_name, None, phase, True
    if not (plan.get("spec") or {}).get("approved"):
        return "InstallPlan %s waits for approval" % plan_name, plan_name, plan, phase, False
    plan_phase = (plan.get("status") or {}).get("phase") or "pending"
    if plan_phase == "Failed":
        message = "; ".join(c.get("message") or c.get("reason") or "" for c in (plan.get("status") or {}).get(
            "conditions") or [])
        return "InstallPlan %s Failed: %s" % (plan_name, message or "no message"), plan_name, None, phase, True
    if current is None:
        return ("InstallPlan %s is %s; CSV %s not created yet" % (plan_name, plan_phase, csv), plan_name, None, phase,
                False)
    reason = ((current.get("status") or {}).get("reason") or "")
    message = ((current.get("status") or {}).get("message") or "")
    return ("CSV %s/%s is %s%s" % (namespace, csv, phase or "without a phase",
                                   (": %s %s" % (reason, message)).rstrip() if reason or message else "")), plan_name, None, phase, False


def main(module_class=AnsibleModule):
    argument_spec = dict(KUBE_CONNECTION_SPEC,
                         subscription=dict(type="dict", required=True),
                         operator_group=dict(type="dict"),
                         operands=dict(type="list", elements="dict", default=[]),
                         field_manager=dict(type="str", default="krci-platform-operators"),
                         timeout=dict(type="int", default=600))
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    params = module.params
    subscription = params["subscription"]
    spec = subscription.get("spec") or {}
    for key in ("name", "channel", "startingCSV", "source", "sourceNamespace"):
        if not spec.get(key):
            module.fail_json(msg="subscription.spec.%s: required (the package, its channel, the pinned CSV and the "
                                 "catalog source)" % key)
    csv = spec["startingCSV"]
    result = dict(changed=False, csv=csv, phase="", install_plan="", approved=False, catalog_checked=False,
                  operands_not_served=[], objects=[], api_url="")
    try:
        client = client_from_params(module)
        result["api_url"] = client.api_url
        if not client.serves(GROUP, "Subscription"):
            module.fail_json(msg="Subscription %s: %s does not serve operators.coreos.com Subscriptions (no OLM); "
                                 "install %s with its chart (operators_overrides.<name>.install: helm)"
                                 % (_ref(subscription), client.api_url, spec["name"]), **result)
        result["catalog_checked"] = check_catalog(client, subscription)
        definitions = [o for o in (params["operator_group"], subscription) if o]
        changed, objects, diffs = _kube.apply_all(client, definitions, params["field_manager"], False,
                                                  module.check_mode, dump=_kube.dump_yaml)
        result.update(changed=changed, objects=objects)
        if module._diff:
            result["diff"] = diffs
        if module.check_mode:
            # What a run would approve: the pending InstallPlan of the pinned CSV of an existing Subscription.
            live = _get(client, "Subscription", subscription["metadata"]["name"], subscription["metadata"]["namespace"])
            if live is not None:
                _reason, plan_name, plan, phase, _final = not_ready(client, subscription, csv)
                result.update(phase=phase, install_plan=plan_name)
                if plan is not None:
                    result.update(changed=True, approved=True)
            module.exit_json(**result)
        deadline = time.monotonic() + params["timeout"]
        while True:
            reason, plan_name, plan, phase, final = not_ready(client, subscription, csv)
            result.update(phase=phase, install_plan=plan_name or result["install_plan"])
            if reason is None:
                break
            if plan is not None:
                client.merge_patch(client.resource(GROUP, "InstallPlan"), plan["metadata"]["name"],
                                   plan["metadata"]["namespace"], {"spec": {"approved": True}})
                result.update(changed=True, approved=True)
                continue
            if final:
                module.fail_json(msg="Subscription %s on %s: %s" % (_ref(subscription), client.api_url, reason), **result)
            if time.monotonic() >= deadline:
                module.fail_json(msg="Subscription %s (package %s, channel %s) on %s: CSV %s not Succeeded after %ss: %s"
                                 % (_ref(subscription), spec["name"], spec["channel"], client.api_url, csv,
                                    params["timeout"], reason), **result)
            time.sleep(2)
        served, missing = [], []
        for operand in params["operands"]:
            (served if client.serves(operand.get("apiVersion", ""), operand.get("kind", "")) else missing).append(operand)
        result["operands_not_served"] = ["%s %s" % (o.get("kind"), o.get("metadata", {}).get("name")) for o in missing]
        if served:
            changed, objects, diffs = _kube.apply_all(client, served, params["field_manager"], False, False,
                                                      dump=_kube.dump_yaml)
            result["objects"] = result["objects"] + objects
            result["changed"] = result["changed"] or changed
            if module._diff:
                result["diff"] = result.get("diff", []) + diffs
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
