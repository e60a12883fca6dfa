# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one upgrade run (playbooks/upgrade.yml) changes, instance by instance; checked before anything is touched.

For internal collection use only. Pure Python: the playbook reads each instance's workload and each cluster's
Kubernetes version, and this module decides. A version must be an exact release this collection knows (the
catalog below, or ``upgrade_releases``), inside the Kubernetes versions that release supports on the cluster it
runs on, and a step the component can take (Keycloak never goes back: its database migrations are one way).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.krci.platform.plugins.module_utils._choices import chosen

# The order of an upgrade run: the secrets store first (everything reads it), then the identity provider, then the
# GitOps instances (they log users in through Keycloak and read Vault), the hub first and production last.
COMPONENTS = ("vault", "keycloak", "argocd")
NAMES = {"vault": "OpenBao", "keycloak": "Keycloak", "argocd": "Argo CD"}
VARIABLES = {"vault": "vault_version", "keycloak": "keycloak_version", "argocd": "argocd_version"}
# How a release is written: Argo CD's tags have a leading v, the others are bare.
RELEASE = {"argocd": re.compile(r"^v(\d+)\.(\d+)\.(\d+)$"),
           "keycloak": re.compile(r"^(\d+)\.(\d+)\.(\d+)$"),
           "vault": re.compile(r"^(\d+)\.(\d+)\.(\d+)$")}
# The releases this collection knows, per minor, with the Kubernetes minors each supports (inclusive). Argo CD: the
# versions its release notes say each minor is tested against. Keycloak and OpenBao run as ordinary workloads of
# the collection's manifests (a Deployment, a StatefulSet with Pod Security labels), which need 1.29 or newer.
CATALOG = {
    "argocd": {
        "3.1": {"patches": (0, 8, 9, 16), "kubernetes": ((1, 30), (1, 33))},
        "3.2": {"patches": (0, 1, 2, 3, 5, 6, 11, 12), "kubernetes": ((1, 31), (1, 34))},
        "3.3": {"patches": (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 14, 15, 16, 17, 18, 19), "kubernetes": ((1, 32), (1, 35))},
        "3.4": {"patches": (0, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14), "kubernetes": ((1, 33), (1, 36))},
        "3.5": {"patches": (0, 1, 2, 3, 4, 5, 6, 7, 8), "kubernetes": ((1, 33), (1, 36))},
        "3.6": {"patches": (0, 1, 2), "kubernetes": ((1, 34), (1, 37))},
    },
    "keycloak": dict(
        ("26.%d" % minor, {"patches": patches, "kubernetes": ((1, 29), (1, 99))})
        for minor, patches in ((0, (0, 1, 2, 5, 6, 7, 8)), (1, (0, 2, 3, 4)), (2, (0, 1, 4, 5)), (3, (1, 4, 5)),
                               (4, (0, 5, 7)), (5, (0, 1, 2, 3, 4, 5, 6)), (7, (0, 3)))),
    "vault": {
        "2.6": {"patches": (1, 2), "kubernetes": ((1, 29), (1, 99))},
        "2.7": {"patches": (0, 1, 2), "kubernetes": ((1, 29), (1, 99))},
    },
}
KUBERNETES_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def parse(component, version):
    """(major, minor, patch) of an exact release of ``component``, or None."""
    match = RELEASE[component].match(str(version or ""))
    return tuple(int(part) for part in match.groups()) if match else None


def image_version(component, image):
    """The release an image reference pins (its tag), or None (a digest or no tag)."""
    if not image or "@" in image:
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if component == "argocd" or not tag.startswith("v"):
        return tag or None
    return tag[1:]


# The workload each component's running release is read from, and its container there.
WORKLOADS = {"argocd": ("Deployment", "argocd-server", "argocd-server"),
             "keycloak": ("Deployment", "keycloak", "keycloak"),
             "vault": ("StatefulSet", "openbao", "openbao")}


# The order roles/upgrade/tasks/running.yml reads them in (a cluster's entry in ``running`` may be that list).
READ_ORDER = ("argocd", "keycloak", "vault")


def workload_image(component, workload):
    """The image of ``component``'s container in its workload (a dict as the API returns it), or None."""
    if not isinstance(workload, dict):
        return workload or None
    containers = ((workload.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    named = [c for c in containers if c.get("name") == WORKLOADS[component][2]] or containers[:1]
    return named[0].get("image") if named else None


def _running(component, cluster, running):
    """(the workload of ``component`` as ``cluster``'s host read it, or None; the release its image names, or None)."""
    here = running.get(cluster) or {}
    if isinstance(here, list):
        here = dict(zip(READ_ORDER, here))
    workload = here.get(component)
    image = workload_image(component, workload)
    return workload, image, image_version(component, image)


def _kubernetes_range(component, release, extra):
    """The (oldest, newest) Kubernetes minors ``release`` supports, or None when it is not a known release."""
    for entry in extra.get(component) or []:
        if entry.get("version") == release:
            bounds = [KUBERNETES_VERSION.match(str(b)) for b in entry.get("kubernetes") or ("1.0", "1.999")]
            return tuple((int(m.group(1)), int(m.group(2))) for m in bounds if m) or ((1, 0), (1, 999))
    parsed = parse(component, release)
    minor = CATALOG[component].get("%d.%d" % parsed[:2]) if parsed else None
    if minor and parsed[2] in minor["patches"]:
        return minor["kubernetes"]
    return None


def known_releases(component, extra=None):
    """Every release of ``component`` this run accepts, newest first."""
    found = ["%s%s.%d" % ("v" if component == "argocd" else "", minor, patch)
             for minor, entry in CATALOG[component].items() for patch in entry["patches"]]
    found += [e.get("version") for e in (extra or {}).get(component) or [] if parse(component, e.get("version"))]
    return sorted(set(found), key=lambda v: parse(component, v), reverse=True)


def check_extra(extra):
    """Errors of ``upgrade_releases`` ({component: [{version, kubernetes: [oldest, newest]}]})."""
    errors = []
    if not isinstance(extra, dict):
        return ["upgrade_releases: a mapping of %s to lists of {version, kubernetes}, got %r"
                % (", ".join(COMPONENTS), extra)], {}
    for component, entries in extra.items():
        if component not in COMPONENTS:
            errors.append("upgrade_releases: %r is not a component this collection upgrades; known: %s"
                          % (component, ", ".join(COMPONENTS)))
            continue
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, dict) or not parse(component, entry.get("version")):
                errors.append("upgrade_releases.%s: %r needs version, an exact release such as %s"
                              % (component, entry, known_releases(component)[0]))
                continue
            bounds = entry.get("kubernetes")
            if not (isinstance(bounds, list) and len(bounds) == 2
                    and all(KUBERNETES_VERSION.match(str(b)) for b in bounds)):
                errors.append("upgrade_releases.%s: %s needs kubernetes, the oldest and newest Kubernetes minor it "
                              "supports, such as ['1.33', '1.36']" % (component, entry.get("version")))
    return errors, extra if not errors else {}


def _step_errors(component, instance, cluster, current, target, allow_downgrade):
    """Why going from ``current`` to ``target`` is not a step this component can take (empty: it can)."""
    name = "%s %s (cluster %s)" % (NAMES[component], instance, cluster)
    was, will = parse(component, current), parse(component, target)
    if was is None:
        return ["%s runs %r, which is not a release this collection can compare: set its workload's image to a "
                "release tag first (or run the option playbook with %s: <release>)"
                % (name, current, VARIABLES[component])]
    if will[:2] > was[:2]:
        if component == "argocd" and (will[0] > was[0] or will[1] > was[1] + 1):
            return ["%s: %s to %s skips a minor release; Argo CD upgrades one minor at a time (read each "
                    "minor's upgrade notes): go to v%d.%d first" % (name, current, target, was[0], was[1] + 1)]
        return []
    if will < was:
        if component == "keycloak":
            return ["%s: %s back to %s is refused; Keycloak migrates its database on start and an older release "
                    "does not start on it. Go back by restoring the backup this run took before the upgrade "
                    "(playbooks/restore.yml) with %s: %s" % (name, current, target, VARIABLES[component], target)]
        if will[:2] < was[:2] and not allow_downgrade:
            return ["%s: %s back to %s crosses a minor release, which %s does not support; restore the backup taken "
                    "before the upgrade, or set upgrade_allow_downgrade: true to try it anyway"
                    % (name, current, target, NAMES[component])]
    return []


def instances(platform_plan, settings):
    """[{component, instance, cluster, managed, reason}] in the order an upgrade takes them."""
    found = []
    clusters = platform_plan.get("clusters") or {}
    hub = platform_plan.get("hub_cluster")
    environments = list(platform_plan.get("environments") or [])

    def last_environment(name):
        envs = clusters[name].get("environments") or []
        return max([environments.index(e) for e in envs if e in environments] or [-1])

    if settings.get("vault_install"):
        found.append({"component": "vault", "instance": "openbao", "cluster": hub, "managed": True, "reason": ""})
    else:
        found.append({"component": "vault", "instance": "openbao", "cluster": hub, "managed": False,
                      "reason": "not installed by this collection (krci_vault_addr): upgrade it by its own procedure"})
    if settings.get("keycloak_install"):
        found.append({"component": "keycloak", "instance": "keycloak", "cluster": hub, "managed": True, "reason": ""})
    else:
        found.append({"component": "keycloak", "instance": "keycloak", "cluster": hub, "managed": False,
                      "reason": "not installed by this collection (krci_keycloak_url): upgrade it by its own procedure"})
    with_argocd = [n for n in clusters if (clusters[n].get("argocd") or {}).get("instance")]
    for name in sorted(with_argocd, key=lambda n: (n != hub, last_environment(n), n)):
        argocd = clusters[name]["argocd"]
        operator = (argocd.get("install") or {}).get("method") == "operator"
        found.append({"component": "argocd", "instance": argocd["instance"], "cluster": name, "managed": not operator,
                      "reason": "the OpenShift GitOps operator's CSV sets its version (argocd_olm.csv)" if operator
                      else ""})
    return found


def plan(platform_plan, settings):
    """The upgrade of ``settings`` over the platform plan.

    ``settings``: ``targets`` ({component: version}, the inventory's), ``components`` (what this run upgrades),
    ``vault_install``/``keycloak_install``, ``vault_replicas`` and ``vault_unseal_urls``, ``running`` ({cluster:
    {component: its workload (WORKLOADS) as read, an image, or None}}), ``kubernetes`` ({cluster: gitVersion}), ``releases`` (``upgrade_releases``) and
    ``allow_downgrade``. Returns ``errors`` (each naming the variable or instance and the fix), ``steps`` (in order:
    {component, instance, cluster, from, to, direction}), ``current`` (every instance with its version) and
    ``skipped`` (instances this run leaves, with why).
    """
    errors = list(platform_plan.get("errors") or [])
    extra_errors, extra = check_extra(settings.get("releases") or {})
    errors.extend(extra_errors)
    wanted, wanted_errors = chosen(settings.get("components"), "upgrade_components", COMPONENTS,
                                   "a component this collection upgrades")
    errors.extend(wanted_errors)
    targets = settings.get("targets") or {}
    managed = set(e["component"] for e in instances(platform_plan, settings) if e["managed"])
    for component in COMPONENTS:
        if component not in wanted or component not in managed:
            continue
        target = targets.get(component)
        if not parse(component, target):
            errors.append("%s: %r is not a pinned release; give an exact one such as %s"
                          % (VARIABLES[component], target, known_releases(component, extra)[0]))
        elif _kubernetes_range(component, target, extra) is None:
            errors.append("%s: %s is not a release this collection knows (known: %s); to use it anyway, add it to "
                          "upgrade_releases with the Kubernetes versions it supports"
                          % (VARIABLES[component], target, ", ".join(known_releases(component, extra)[:6])))
    running = settings.get("running") or {}
    kubernetes = settings.get("kubernetes") or {}
    steps, current, skipped = [], [], []
    for entry in instances(platform_plan, settings):
        component, instance, cluster = entry["component"], entry["instance"], entry["cluster"]
        if component not in wanted:
            continue
        if not entry["managed"]:
            skipped.append(dict(entry, why=entry["reason"]))
            continue
        target = targets.get(component)
        workload, image, version = _running(component, cluster, running)
        current.append({"component": component, "instance": instance, "cluster": cluster, "version": version})
        name = "%s %s (cluster %s)" % (NAMES[component], instance, cluster)
        if image is None:
            errors.append("%s is not installed: upgrade.yml changes the version of a converged platform; run the "
                          "option playbook first" % name)
            continue
        if not parse(component, target) or _kubernetes_range(component, target, extra) is None:
            continue
        found = KUBERNETES_VERSION.match(str(kubernetes.get(cluster) or ""))
        bounds = _kubernetes_range(component, target, extra)
        if not found:
            errors.append("%s: the Kubernetes version of cluster %s is unknown (%r), so %s %s cannot be checked "
                          "against it" % (name, cluster, kubernetes.get(cluster), VARIABLES[component], target))
            continue
        minor = (int(found.group(1)), int(found.group(2)))
        if not bounds[0] <= minor <= bounds[1]:
            errors.append("%s: %s %s supports Kubernetes %d.%d to %d.%d, and cluster %s runs %d.%d; upgrade the "
                          "cluster or choose a release that supports it" % (
                              name, VARIABLES[component], target, bounds[0][0], bounds[0][1], bounds[1][0],
                              bounds[1][1], cluster, minor[0], minor[1]))
            continue
        if version == target:
            status = (workload or {}).get("status") or {} if isinstance(workload, dict) else {}
            wanted_pods = ((workload or {}).get("spec") or {}).get("replicas", 1) if isinstance(workload, dict) else 0
            if component == "vault" and status and status.get("updatedReplicas", 0) < wanted_pods:
                # A roll that stopped (OnDelete: the template is new, some pods are not): the re-run takes the rest.
                steps.append({"component": component, "instance": instance, "cluster": cluster, "from": version,
                              "to": target, "direction": "finish"})
            continue
        step_errors = _step_errors(component, instance, cluster, version, target, settings.get("allow_downgrade"))
        replicas, urls = int(settings.get("vault_replicas") or 1), settings.get("vault_unseal_urls") or []
        if component == "vault" and replicas > 1 and len(urls) != replicas:
            # Each replaced pod comes up sealed and is unsealed (and checked) at its own URL before the next goes.
            step_errors.append("%s: vault_unseal_urls has %d URL(s) for %d servers; give one per server in pod order "
                               "(openbao-0, openbao-1, ...), as the controller reaches each"
                               % (name, len(urls), replicas))
        errors.extend(step_errors)
        if not step_errors:
            steps.append({"component": component, "instance": instance, "cluster": cluster, "from": version,
                          "to": target, "direction": "up" if parse(component, target) > parse(component, version)
                          else "down"})
    before = {}
    for entry in current:
        before.setdefault(entry["component"], entry["version"])
    text = [("%s %s on %s: %s to %s" % (NAMES[s["component"]], s["instance"], s["cluster"], s["from"], s["to"]))
            if s["direction"] != "finish" else ("%s %s on %s: the roll to %s, finished" % (
                NAMES[s["component"]], s["instance"], s["cluster"], s["to"])) for s in steps]
    left = ["%s %s: %s" % (NAMES[s["component"]], s["instance"], s["why"]) for s in skipped]
    return {"errors": errors, "steps": steps, "current": current, "skipped": skipped, "before": before,
            "summary": "; ".join(text) or "every instance runs its pinned release: nothing to upgrade",
            "left_alone": "; ".join(left),
            # The clusters of the Argo CD steps, in order (the playbook's serial play runs its hosts in this order).
            "by_argocd": [s["cluster"] for s in steps if s["component"] == "argocd"],
            "clusters": sorted(set(s["cluster"] for s in steps)),
            "by_cluster": dict((c, [s for s in steps if s["cluster"] == c]) for c in sorted(set(s["cluster"] for s in steps)))}


def converge_errors(platform_plan, settings):
    """Why a converge (an option playbook) must not run with ``settings``: each managed instance that runs a release
    other than the inventory's. A converge installs what is missing; changing a running release is upgrade.yml's
    (a backup first, one instance at a time, each checked). ``settings`` as for :func:`plan`; ``components`` and the
    catalog do not apply (a converge installs any release its roles accept). An instance not installed, or whose
    image is not a release tag, is fine."""
    targets = settings.get("targets") or {}
    running = settings.get("running") or {}
    errors = []
    for entry in instances(platform_plan, settings):
        component, cluster = entry["component"], entry["cluster"]
        target = targets.get(component)
        version = _running(component, cluster, running)[2]
        if not entry["managed"] or not parse(component, version) or not parse(component, target) or version == target:
            continue
        errors.append("%s %s (cluster %s) runs %s and %s is %s: a converge does not change a running release; run "
                      "playbooks/upgrade.yml, which takes a backup first and upgrades one instance at a time, each "
                      "checked (docs/upgrading.md), or set %s back to %s"
                      % (NAMES[component], entry["instance"], cluster, version, VARIABLES[component], target,
                         VARIABLES[component], version))
    return errors


def vault_roll(pods, statefulset, unseal_urls):
    """The pods of OpenBao's StatefulSet to replace, in order, each with the URL its server answers at.

    ``pods`` and ``statefulset`` as the API returns them; ``unseal_urls``: vault_unseal_urls (one per server, in pod
    order), or the one URL of a single server. Pods already at the StatefulSet's update revision are done (a re-run
    after a failed step takes the rest). Standbys go first, highest ordinal first; the active server (the pod
    OpenBao's Kubernetes service registration labels ``openbao-active: "true"``) goes last, so leadership moves once.
    Returns {pods: [{name, uid, ordinal, url}], errors} (``uid``: the pod's, to tell its replacement by).
    """
    revision = ((statefulset or {}).get("status") or {}).get("updateRevision")
    replicas = ((statefulset or {}).get("spec") or {}).get("replicas", 1)
    errors, todo = [], []
    if not revision:
        return {"pods": [], "errors": ["the StatefulSet openbao has no update revision yet; run again once its "
                                       "controller has seen the new template"]}
    if len(unseal_urls or []) != replicas and not (replicas == 1 and unseal_urls):
        errors.append("vault_unseal_urls: %d URL(s) for %d OpenBao servers; give one per server in pod order "
                      "(openbao-0, openbao-1, ...), as the controller reaches each, so each replaced server is "
                      "unsealed" % (len(unseal_urls or []), replicas))
        return {"pods": [], "errors": errors}
    for pod in pods or []:
        meta = pod.get("metadata") or {}
        labels = meta.get("labels") or {}
        if labels.get("controller-revision-hash") == revision:
            continue
        ordinal = int(meta["name"].rsplit("-", 1)[1])
        todo.append({"name": meta["name"], "uid": meta.get("uid"), "ordinal": ordinal,
                     "url": unseal_urls[ordinal if replicas > 1 else 0], "active": labels.get("openbao-active") == "true"})
    todo.sort(key=lambda p: (p["active"], -p["ordinal"]))
    return {"pods": [dict((k, p[k]) for k in ("name", "uid", "ordinal", "url")) for p in todo], "errors": errors}
