# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resolve the operators' catalog, the user's overrides and the site's chart source into one plan.

For internal collection use only.

A component comes from one of four sources:

* ``repo``: an upstream (or mirrored) Helm repository, ``repository`` + ``chart`` + ``version``;
* ``oci``: an OCI registry (Harbor, Nexus, ...), ``oci://<registry>/<chart>`` at ``version``;
* ``path``: a chart directory or ``.tgz`` archive on the controller (air-gapped sites);
* ``manifest``: a rendered YAML manifest, https URL or file, ``{version}`` replaced by the version.

Every problem is collected with the variable to fix, so a run stops before touching a cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import tarfile

SOURCES = ("repo", "oci", "path", "manifest")
CLUSTERS = ("platform", "all", "sealed_secrets")
SETTINGS = ("source", "chart", "version", "repository", "oci_registry", "path", "manifest", "release",
            "namespace", "clusters", "values", "enabled", "install", "olm", "openshift_values")
# How a component is installed: 'auto' (OLM where the cluster is OpenShift and the component has an OLM package,
# its chart or manifest elsewhere), 'olm' (OpenShift only), 'helm' (its chart or manifest everywhere).
INSTALLS = ("auto", "olm", "helm")
OLM_KEYS = ("package", "channel", "channels", "csv", "source", "source_namespace", "namespace", "operand_namespace",
            "operands", "config")
_CSV = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\.v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$")
# OpenShift's namespace for operators that watch all namespaces (its global OperatorGroup is already there).
GLOBAL_OPERATORS_NAMESPACE = "openshift-operators"
_VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _chart_yaml_version(path, load_yaml):
    """(name, version) of the chart at a directory or .tgz archive; None if it has no Chart.yaml."""
    if os.path.isdir(path):
        chart_file = os.path.join(path, "Chart.yaml")
        if not os.path.isfile(chart_file):
            return None
        with open(chart_file) as handle:
            meta = load_yaml(handle.read()) or {}
    else:
        try:
            with tarfile.open(path, "r:*") as archive:
                member = next((m for m in archive.getmembers()
                               if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")), None)
                if member is None:
                    return None
                meta = load_yaml(archive.extractfile(member).read().decode("utf-8")) or {}
        except (tarfile.TarError, OSError):
            return None
    return meta.get("name"), str(meta.get("version"))


def _chart_dir_candidates(chart_dir, chart, version):
    base = os.path.join(chart_dir, "%s-%s" % (chart, version))
    return [base, base + ".tgz"]


def resolve(catalog, enabled, overrides, chart_dir="", oci_mirror="", load_yaml=None):
    """(plan, errors): the components to install, in ``enabled`` order, and every input problem."""
    errors = []
    plan = []
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        return [], ["operators_overrides: must be a mapping of operator name to settings"]
    for name in sorted(overrides):
        if name not in catalog:
            errors.append("operators_overrides.%s: unknown operator (known: %s)" % (name, ", ".join(sorted(catalog))))
        elif not isinstance(overrides[name], dict):
            errors.append("operators_overrides.%s: must be a mapping of settings" % name)
        else:
            for key in sorted(set(overrides[name]) - set(SETTINGS)):
                errors.append("operators_overrides.%s.%s: unknown setting (known: %s)"
                              % (name, key, ", ".join(SETTINGS)))
    for name in enabled or []:
        if name not in catalog:
            errors.append("operators_enabled: unknown operator %r (known: %s)" % (name, ", ".join(sorted(catalog))))
    if chart_dir and not os.path.isdir(chart_dir):
        errors.append("operators_chart_dir: %s is not a directory on the controller" % chart_dir)
    if oci_mirror and not oci_mirror.startswith("oci://"):
        errors.append("operators_oci_mirror: %r must start with oci://" % oci_mirror)
    if errors:
        return [], errors

    for name in enabled or []:
        override = overrides.get(name) or {}
        spec = dict(catalog[name], **override)
        if not spec.get("enabled", True):
            continue
        where = "operators_overrides.%s" % name if name in overrides else "operators_catalog.%s" % name

        def field(key, _where=where, _override=override, _name=name):
            return "%s.%s" % (_where if key in _override else "operators_catalog.%s" % _name, key)

        version = str(spec.get("version") or "")
        if not _VERSION.match(version):
            errors.append("%s: %r is not a version such as 1.2.3 or v1.2.3" % (field("version"), version))
            continue
        source = spec.get("source")
        if "source" not in override:
            if chart_dir and spec.get("chart"):
                source = "path"
            elif oci_mirror and spec.get("chart"):
                source = "oci"
        source = source or ("manifest" if spec.get("manifest") else "repo")
        if source not in SOURCES:
            errors.append("%s: %r is not one of %s" % (field("source"), source, ", ".join(SOURCES)))
            continue
        clusters = spec.get("clusters", "platform")
        if clusters not in CLUSTERS:
            errors.append("%s: %r is not one of %s" % (field("clusters"), clusters, ", ".join(CLUSTERS)))
        namespace = spec.get("namespace") or ""
        release = spec.get("release") or spec.get("chart") or name.replace("_", "-")
        for key, value in (("namespace", namespace), ("release", release)):
            if not _NAME.match(value or "") or len(value) > 53:
                errors.append("%s: %r is not a valid name (lowercase letters, digits, '-'; at most 53)"
                              % (field(key), value))
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            errors.append("%s: must be a mapping of chart values" % field("values"))
        install = spec.get("install") or "auto"
        if install not in INSTALLS:
            errors.append("%s: %r is not one of %s" % (field("install"), install, ", ".join(INSTALLS)))
        olm, olm_errors = olm_settings(spec.get("olm"), field("olm"), name)
        errors.extend(olm_errors)
        if install == "olm" and not olm:
            errors.append("%s: olm, but %s has no OLM package in the catalog (set operators_overrides.%s.olm)"
                          % (field("install"), name, name))
        openshift_values = spec.get("openshift_values") or {}
        if not isinstance(openshift_values, dict):
            errors.append("%s: must be a mapping of chart values" % field("openshift_values"))
        item = {"name": name, "source": source, "version": version, "release": release, "namespace": namespace,
                "clusters": clusters, "helm_values": values, "chart_ref": None, "chart_repo_url": None,
                "chart_version": None, "manifest": None, "release_key": "%s/%s" % (namespace, release),
                # What helm_release_ready compares the installed release with (chart sources only).
                "release_wanted": None if source == "manifest" else
                {"name": release, "namespace": namespace, "version": version, "values": values},
                "install": install, "olm": olm, "openshift_values": openshift_values, "method": source}
        chart = spec.get("chart") or ""
        if source in ("repo", "oci", "path") and not chart and source != "path":
            errors.append("%s: a chart name is needed for source %s" % (field("chart"), source))
            continue
        if source == "repo":
            repository = spec.get("repository") or ""
            if not re.match(r"^https?://", repository):
                errors.append("%s: %r is not an http(s) Helm repository URL" % (field("repository"), repository))
            item.update(chart_ref=chart, chart_repo_url=repository, chart_version=version)
        elif source == "oci":
            registry = (spec.get("oci_registry") if "oci_registry" in override else "") or oci_mirror \
                or spec.get("oci_registry") or ""
            if not registry.startswith("oci://"):
                errors.append("%s: %r must be an oci:// registry path" % (field("oci_registry"), registry))
            item.update(chart_ref="%s/%s" % (registry.rstrip("/"), chart), chart_version=version)
        elif source == "path":
            if spec.get("path") and "path" in override:
                candidates, what = [spec["path"]], field("path")
            elif chart_dir:
                candidates, what = _chart_dir_candidates(chart_dir, chart, version), "operators_chart_dir"
            else:
                candidates, what = [spec.get("path") or ""], field("path")
            found = next((c for c in candidates if c and os.path.exists(c)), None)
            if found is None:
                errors.append("%s: %s does not exist on the controller (put the %s chart %s there: "
                              "helm pull %s --version %s)" % (what, " nor ".join(c for c in candidates if c)
                                                              or "no path given", chart or name, version,
                                                              chart or name, version))
                continue
            meta = _chart_yaml_version(found, load_yaml) if load_yaml else None
            if meta is None and load_yaml:
                errors.append("%s: %s is not a Helm chart (no Chart.yaml)" % (what, found))
                continue
            if meta and meta[1].lstrip("v") != version.lstrip("v"):
                errors.append("%s: unknown version %s of %s: the chart at %s is version %s"
                              % (field("version"), version, name, found, meta[1]))
                continue
            item.update(chart_ref=found)
        else:
            manifest = (spec.get("manifest") or "").replace("{version}", version)
            if not manifest:
                errors.append("%s: a manifest URL or file is needed for source manifest" % field("manifest"))
            elif not manifest.startswith("https://") and not os.path.isfile(manifest):
                errors.append("%s: %s is neither an https URL nor a file on the controller (unknown version %s?)"
                              % (field("manifest"), manifest, version))
            item.update(manifest=manifest)
        plan.append(item)
    return plan, errors


def olm_settings(spec, where, name):
    """(the OLM settings of a component or None, errors). The catalog pins a channel and a CSV; ``channels``
    lists the channels known to carry that package, so an override to an unknown one fails before any change."""
    if not spec:
        return None, []
    if not isinstance(spec, dict):
        return None, ["%s: must be a mapping of %s" % (where, ", ".join(OLM_KEYS))]
    errors = ["%s.%s: unknown setting (known: %s)" % (where, key, ", ".join(OLM_KEYS))
              for key in sorted(set(spec) - set(OLM_KEYS))]
    olm = {"package": spec.get("package") or "", "channel": spec.get("channel") or "",
           "csv": spec.get("csv") or "", "source": spec.get("source") or "redhat-operators",
           "source_namespace": spec.get("source_namespace") or "openshift-marketplace",
           "namespace": spec.get("namespace") or GLOBAL_OPERATORS_NAMESPACE,
           # Where the operator runs what it manages, when the collection puts objects there (cert-manager's CA).
           "operand_namespace": spec.get("operand_namespace") or "",
           "operands": list(spec.get("operands") or []),
           # The Subscription's spec.config (env, resources, ... of the operator's Deployment), as OLM takes it.
           "config": spec.get("config") or {}}
    if not isinstance(olm["config"], dict):
        errors.append("%s.config: must be a mapping (a Subscription's spec.config)" % where)
    for key in ("package", "source", "source_namespace", "namespace") + (
            ("operand_namespace",) if olm["operand_namespace"] else ()):
        if not _NAME.match(olm[key]) or len(olm[key]) > 63:
            errors.append("%s.%s: %r is not a valid name (lowercase letters, digits, '-')" % (where, key, olm[key]))
    channels = spec.get("channels") or [olm["channel"]]
    if olm["channel"] not in channels:
        errors.append("%s.channel: unknown channel %r of package %s (known: %s)"
                      % (where, olm["channel"], olm["package"], ", ".join(channels)))
    if not _CSV.match(olm["csv"]):
        errors.append("%s.csv: %r is not a ClusterServiceVersion name such as %s.v1.2.3 (the pinned version)"
                      % (where, olm["csv"], olm["package"] or name))
    return olm, errors


def _merge(base, extra):
    """``base`` with ``extra`` merged in, nested mappings merged, a None value kept (Helm drops that key)."""
    result = dict(base or {})
    for key, value in (extra or {}).items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def for_flavour(component, flavour):
    """How ``component`` installs on a cluster of ``flavour``: (component with ``method`` olm/repo/oci/path/manifest
    and, on OpenShift, its openshift_values merged into its chart values; error or None)."""
    openshift = flavour == "openshift"
    if component.get("install") == "olm" and not openshift:
        return component, ("operators_overrides.%s.install: olm, but this cluster is %s (no OLM); use auto or helm"
                           % (component["name"], flavour))
    if openshift and component.get("olm") and component.get("install", "auto") in ("auto", "olm"):
        return dict(component, method="olm", release_wanted=None), None
    if openshift and component.get("openshift_values"):
        values = _merge(component.get("helm_values"), component["openshift_values"])
        changed = dict(component, helm_values=values)
        if component.get("release_wanted"):
            changed["release_wanted"] = dict(component["release_wanted"], values=values)
        return changed, None
    return component, None


def subscriptions(components):
    """The OLM installs of one cluster's components (method olm), one per package: the components it provides,
    its namespace, the OperatorGroup it needs (none in openshift-operators) and its Subscription."""
    by_package = {}
    for component in components:
        if component.get("method") != "olm":
            continue
        olm = component["olm"]
        entry = by_package.setdefault(olm["package"], {"package": olm["package"], "components": [], "olm": olm})
        entry["components"].append(component["name"])
    result = []
    for package in sorted(by_package):
        olm = by_package[package]["olm"]
        namespace = olm["namespace"]
        labels = {"app.kubernetes.io/managed-by": "krci.platform", "app.kubernetes.io/part-of": "krci-platform"}
        group = None if namespace == GLOBAL_OPERATORS_NAMESPACE else {
            "apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
            "metadata": {"name": package, "namespace": namespace, "labels": labels},
            # No targetNamespaces: the operator watches all namespaces (AllNamespaces install mode).
            "spec": {"upgradeStrategy": "Default"}}
        result.append({
            "package": package, "components": by_package[package]["components"], "namespace": namespace,
            "csv": olm["csv"], "channel": olm["channel"], "operands": olm["operands"],
            "operator_group": group,
            "subscription": {
                "apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
                "metadata": {"name": package, "namespace": namespace, "labels": labels},
                "spec": {"name": package, "channel": olm["channel"], "source": olm["source"],
                         "sourceNamespace": olm["source_namespace"], "startingCSV": olm["csv"],
                         # Nothing upgrades behind the collection's back: it approves exactly the pinned CSV.
                         "installPlanApproval": "Manual"}},
        })
        if olm.get("config"):
            result[-1]["subscription"]["spec"]["config"] = olm["config"]
    return result


def _runs_here(component, cluster_role, sealed_secrets):
    if component.get("clusters") == "sealed_secrets":
        return bool(sealed_secrets)
    return (cluster_role or "platform") == "platform" or component.get("clusters") == "all"


def _scoped_to(component, namespaces):
    """The Sealed Secrets controller limited to the given namespaces (and its own): upstream's chart with
    namespaced Roles there instead of its cluster-wide one (which reads every Secret of the cluster)."""
    watched = sorted(set(namespaces) | set([component["namespace"]]))
    values = dict(component.get("helm_values") or {})
    values["additionalNamespaces"] = watched
    values["rbac"] = dict(values.get("rbac") or {}, clusterRole=False, namespacedRoles=True)
    values["args"] = ["--update-status", "--key-prefix", "sealed-secrets-key", "--all-namespaces=false",
                      "--additional-namespaces", ",".join(watched)]
    scoped = dict(component, helm_values=values)
    if component.get("release_wanted"):
        scoped["release_wanted"] = dict(component["release_wanted"], values=values)
    return scoped


def for_cluster(components, cluster_role, pod_security_level, sealed_secrets=None, flavour="kubernetes",
                namespace_labels=None):
    """What runs on one cluster: the ``clusters: platform`` components on the platform cluster, the
    ``clusters: all`` ones everywhere, the ``clusters: sealed_secrets`` ones where the plan puts the
    Sealed Secrets controller (``sealed_secrets``: the namespaces it unseals into there, none elsewhere;
    it watches only those); with the Namespace objects (Pod Security labels, and the flavour's
    ``namespace_labels``) of their namespaces, sorted. On OpenShift (``flavour``), components with an OLM
    package install through OLM (``subscriptions``), the others with their ``openshift_values``.
    ``errors``: a component asked to install through OLM on a cluster without OLM."""
    here = [c for c in components if _runs_here(c, cluster_role, sealed_secrets)]
    here = [_scoped_to(c, sealed_secrets) if c.get("clusters") == "sealed_secrets" else c for c in here]
    errors = []
    flavoured = []
    for component in here:
        component, error = for_flavour(component, flavour)
        flavoured.append(component)
        if error:
            errors.append(error)
    here = flavoured
    olm = subscriptions(here)
    names = set(c["namespace"] for c in here if c.get("method") != "olm")
    names |= set(s["namespace"] for s in olm if s["namespace"] != GLOBAL_OPERATORS_NAMESPACE)
    names |= set(c["olm"]["operand_namespace"] for c in here if c.get("method") == "olm" and c["olm"]["operand_namespace"])
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict({
        "app.kubernetes.io/part-of": "krci-platform",
        "pod-security.kubernetes.io/enforce": pod_security_level,
        "pod-security.kubernetes.io/audit": pod_security_level,
        "pod-security.kubernetes.io/warn": pod_security_level}, **(namespace_labels or {}))}}
        for name in sorted(names)]
    return {"components": here, "namespaces": namespaces, "subscriptions": olm, "errors": errors}


def lookup_errors(chart_lookups, manifest_lookups):
    """The pinned versions that were not found: from the results of ``helm show chart`` (rc, stderr_lines)
    per chart and of an HTTP HEAD (status) per manifest URL, each with its component as ``item``."""
    errors = []
    for lookup in chart_lookups or []:
        if lookup.get("rc") == 0:
            continue
        item = lookup["item"]
        cause = (lookup.get("stderr_lines") or [None])[-1] or lookup.get("msg") or "no answer"
        errors.append("operator %s: version %s of chart %s%s not found or not readable: %s" % (
            item["name"], item["version"], item["chart_ref"],
            " in %s" % item["chart_repo_url"] if item.get("chart_repo_url") else "", cause))
    for lookup in manifest_lookups or []:
        status = lookup.get("status", -1)
        if status == 200:
            continue
        item = lookup["item"]
        if status > 0:
            errors.append("operator %s: unknown version %s: %s answered %s" % (
                item["name"], item["version"], item["manifest"], status))
        else:
            errors.append("operator %s: cannot read %s: %s (mirror it and set operators_overrides.%s.manifest)" % (
                item["name"], item["manifest"], lookup.get("msg") or "no answer", item["name"]))
    return errors
