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
            "namespace", "clusters", "values", "enabled")
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
        item = {"name": name, "source": source, "version": version, "release": release, "namespace": namespace,
                "clusters": clusters, "helm_values": values, "chart_ref": None, "chart_repo_url": None,
                "chart_version": None, "manifest": None, "release_key": "%s/%s" % (namespace, release),
                # What helm_release_ready compares the installed release with (chart sources only).
                "release_wanted": None if source == "manifest" else
                {"name": release, "namespace": namespace, "version": version, "values": values}}
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


def for_cluster(components, cluster_role, pod_security_level, sealed_secrets=None):
    """What runs on one cluster: the ``clusters: platform`` components on the platform cluster, the
    ``clusters: all`` ones everywhere, the ``clusters: sealed_secrets`` ones where the plan puts the
    Sealed Secrets controller (``sealed_secrets``: the namespaces it unseals into there, none elsewhere;
    it watches only those); with the Namespace objects (Pod Security labels) of their namespaces, sorted."""
    here = [c for c in components if _runs_here(c, cluster_role, sealed_secrets)]
    here = [_scoped_to(c, sealed_secrets) if c.get("clusters") == "sealed_secrets" else c for c in here]
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {
        "app.kubernetes.io/part-of": "krci-platform",
        "pod-security.kubernetes.io/enforce": pod_security_level,
        "pod-security.kubernetes.io/audit": pod_security_level,
        "pod-security.kubernetes.io/warn": pod_security_level}}}
        for name in sorted(set(c["namespace"] for c in here))]
    return {"components": here, "namespaces": namespaces}


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
