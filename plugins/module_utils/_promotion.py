# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Promotion through the environments: the rules, the chain of environments and the Git edit.

For internal collection use only. Pure Python: no Git, registry or cluster access here.

* Versions are semantic versions (``MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``) of three kinds:
  development builds ``X.Y.Z-dev.YYYYMMDD.<sha>``, release candidates ``X.Y.Z-rc.N`` and releases
  ``X.Y.Z``; each environment accepts some kinds (``DEFAULT_ACCEPTS``).
* Environments are promoted in the option's order, none skipped; the previous environment must run
  the same build (digest) and be healthy.
* An application's image is written as ``<repository>:<tag>@sha256:<digest>`` in the manifests of
  the environment's path in the GitOps repository; that line is the whole state of a promotion.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

KINDS = ("dev", "rc", "release")
DEFAULT_ACCEPTS = {
    "dev": ["dev", "rc", "release"],
    "test": ["dev", "rc", "release"],
    "uat": ["rc", "release"],
    "staging": ["rc", "release"],
    "production": ["release"],
}
# Stages promoted automatically (KubeRocketCI triggerType Auto); every later one waits for an approval.
AUTO_ENVIRONMENTS = ("dev", "test")
KIND_EXAMPLES = {"dev": "X.Y.Z-dev.YYYYMMDD.<sha>", "rc": "X.Y.Z-rc.N", "release": "X.Y.Z"}

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")
_DEV = re.compile(r"^dev\.(\d{8})\.([0-9a-f]{7,40})$")
_RC = re.compile(r"^rc\.(0|[1-9]\d*)$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# <host>[:port]/<path>: a Distribution repository name, without tag or digest.
IMAGE = re.compile(r"^(?P<host>[a-zA-Z0-9.-]+(?::\d+)?)/(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
                   r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class PromotionError(Exception):
    """A promotion refused before any change; the message names the input, the cause and the fix."""


def parse_version(text):
    """{core, prerelease, build, kind} of a version; PromotionError when it is not one of the three kinds."""
    match = _SEMVER.match(text or "")
    if not match:
        raise PromotionError("version %r is not a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] "
                             "(for example 1.2.3, 1.2.3-rc.1 or 1.2.3-dev.20261201.abc1234)" % (text,))
    core = "%s.%s.%s" % match.group(1, 2, 3)
    pre, build = match.group(4), match.group(5)
    if pre is None:
        kind = "release"
    elif _RC.match(pre):
        kind = "rc"
    elif _DEV.match(pre):
        kind = "dev"
        day = _DEV.match(pre).group(1)
        try:
            datetime.datetime.strptime(day, "%Y%m%d")
        except ValueError:
            raise PromotionError("version %s: %s in its development build part is not a date YYYYMMDD" % (text, day))
    else:
        raise PromotionError("version %s: the pre-release part %r is none of the kinds this platform promotes: "
                             "development builds %s, release candidates %s, releases %s"
                             % (text, pre, KIND_EXAMPLES["dev"], KIND_EXAMPLES["rc"], KIND_EXAMPLES["release"]))
    return {"version": text, "core": core, "prerelease": pre, "build": build, "kind": kind}


def image_tag(version):
    """The image tag of a version: OCI tags cannot hold '+', so build metadata is joined with '_'."""
    return version.replace("+", "_")


def check_accepts(accepts, environments):
    """Errors of a ``promotion_accepts`` override: environment -> list of kinds."""
    errors = []
    if not isinstance(accepts, dict):
        return ["promotion_accepts: must be a mapping of environment to kinds (%s)" % ", ".join(KINDS)]
    for env in sorted(accepts):
        if env not in environments:
            errors.append("promotion_accepts.%s: not an environment of this option (%s)" % (env, ", ".join(environments)))
            continue
        kinds = accepts[env]
        if not isinstance(kinds, list) or not kinds or any(k not in KINDS for k in kinds):
            errors.append("promotion_accepts.%s: %r must be a non-empty list of %s" % (env, kinds, ", ".join(KINDS)))
        elif env == "production" and kinds != ["release"]:
            errors.append("promotion_accepts.production: production takes releases only (got %s)" % ", ".join(kinds))
    return errors


def check_applications(applications, field="krci_applications"):
    """Errors of the declared applications: a list of {name, image, group}."""
    errors = []
    if not isinstance(applications, list):
        return ["%s: must be a list of applications ({name, image, group})" % field]
    seen = set()
    for index, app in enumerate(applications):
        where = "%s[%d]" % (field, index)
        if not isinstance(app, dict):
            errors.append("%s: must be a mapping with name, image and optionally group" % where)
            continue
        unknown = sorted(set(app) - set(["name", "image", "group", "description"]))
        if unknown:
            errors.append("%s: unknown key(s) %s (known: name, image, group, description)" % (where, ", ".join(unknown)))
        name = app.get("name")
        if not isinstance(name, str) or not DNS_LABEL.match(name):
            errors.append("%s.name: %r must be a DNS-1123 label (lower-case letters, digits, '-'; at most 63): it "
                          "names the KubeRocketCI codebase and the image stream" % (where, name))
        elif name in seen:
            errors.append("%s.name: %s is declared twice" % (where, name))
        seen.add(name)
        image = app.get("image")
        if not isinstance(image, str) or not IMAGE.match(image):
            errors.append("%s.image: %r must be an image repository <registry host>/<path> without tag or digest "
                          "(for example harbor.example.com/team/app)" % (where, image))
        group = app.get("group", name)
        if not isinstance(group, str) or not DNS_LABEL.match(group) or len(group) > 50:
            errors.append("%s.group: %r must be a DNS-1123 label of at most 50 characters: it names the CDPipeline "
                          "and, with the environment, its Stages" % (where, group))
    return errors


def environments(plan, accepts=None):
    """The option's environments in promotion order, each with where its state lives and who deploys it.

    ``path``: the environment's directory in the GitOps repository (the Application of the app-of-apps
    layout); ``gitops``: push (the hub's Application ``application`` in ``argocd_namespace`` on the hub
    cluster tells its health) or pull (only Git tells: nothing of the pull cluster is read).
    """
    accepts = dict(DEFAULT_ACCEPTS, **(accepts or {}))
    result = []
    for env in plan["environments"]:
        cluster = next(n for n in sorted(plan["clusters"]) if env in plan["clusters"][n]["environments"])
        here = plan["clusters"][cluster]
        instance_cluster = cluster if here["gitops"] == "pull" else plan["hub_cluster"]
        apps = (plan["clusters"].get(instance_cluster) or {}).get("argocd", {}).get("applications") or []
        app = next((a for a in apps if a["name"] == env), None)
        result.append({
            "name": env,
            "cluster": cluster,
            "gitops": here["gitops"],
            "argocd_instance": plan["argocd"]["instances"].get(instance_cluster),
            "application": app["name"] if app else None,
            "path": app["path"] if app else None,
            "namespace": here["namespaces"][env],
            "accepts": list(accepts.get(env, KINDS)),
            "trigger": "Auto" if env in AUTO_ENVIRONMENTS else "Manual",
        })
    return result


def cd_pipelines(applications, envs, namespace, hub_cluster):
    """KubeRocketCI's CDPipeline per application group and a Stage per environment, in order.

    Push stages name their cluster as KubeRocketCI does (``in-cluster`` for the platform cluster);
    pull stages name the pull cluster, for which no cluster Secret exists on the platform: the
    cd-pipeline operator and the portal know the stage, nothing on the platform can reach it.
    """
    groups = {}
    for app in applications or []:
        groups.setdefault(app.get("group") or app["name"], []).append(app["name"])
    objects = []
    labels = {"app.kubernetes.io/part-of": "krci-platform", "app.kubernetes.io/managed-by": "krci.platform"}
    for group in sorted(groups):
        apps = sorted(groups[group])
        objects.append({
            "apiVersion": "v2.edp.epam.com/v1", "kind": "CDPipeline",
            "metadata": {"name": group, "namespace": namespace, "labels": dict(labels)},
            "spec": {"name": group, "deploymentType": "container", "applications": apps,
                     "applicationsToPromote": apps, "inputDockerStreams": ["%s-main" % a for a in apps],
                     "description": "Promotion of %s through %s" % (", ".join(apps), " -> ".join(e["name"] for e in envs))},
        })
        for order, env in enumerate(envs):
            pull = env["gitops"] == "pull"
            objects.append({
                "apiVersion": "v2.edp.epam.com/v1", "kind": "Stage",
                "metadata": {"name": "%s-%s" % (group, env["name"]), "namespace": namespace,
                             "labels": dict(labels, **{"app.edp.epam.com/cdPipelineName": group}),
                             "annotations": {"krci.platform/gitops": env["gitops"],
                                             "krci.platform/gitops-path": env["path"] or "",
                                             "krci.platform/accepts": ",".join(env["accepts"])}},
                "spec": {
                    "name": env["name"], "cdPipeline": group, "order": order,
                    "description": ("%s: pulled by the Argo CD inside cluster %s from %s (nothing on the platform "
                                    "reaches it)" if pull else "%s: pushed by the hub Argo CD into cluster %s (%s)")
                    % (env["name"], env["cluster"], env["path"]),
                    "namespace": env["namespace"],
                    "clusterName": "in-cluster" if env["cluster"] == hub_cluster else env["cluster"],
                    "triggerType": env["trigger"],
                    "qualityGates": [{"qualityGateType": "manual", "stepName": "approve"}],
                    "source": {"type": "default"},
                },
            })
    return objects


def next_environment(envs, states, digest_wanted=None):
    """The environment after the last one (in order) that runs ``digest_wanted``; the first when none does."""
    last = -1
    for index, env in enumerate(envs):
        state = states.get(env["name"]) or {}
        if digest_wanted and state.get("digest") == digest_wanted:
            last = index
    if last + 1 >= len(envs):
        raise PromotionError("target next: %s already runs %s; there is no environment after it"
                             % (envs[last]["name"], digest_wanted))
    return envs[last + 1]


def image_pattern(repository):
    """The image lines of ``repository`` in a YAML manifest: ``image: <repository>[:tag][@digest]``."""
    return re.compile(r"^(?P<lead>\s*(?:-\s+)?image:\s*)(?P<q>[\"']?)" + re.escape(repository)
                      + r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
                      r"(?P=q)(?P<tail>\s*(?:#.*)?)$", re.M)


def read_state(files, repository):
    """{tag, digest, files} of ``repository`` in an environment's manifests ({path: text}); None if absent."""
    pattern = image_pattern(repository)
    refs = {}
    for path in sorted(files):
        for match in pattern.finditer(files[path]):
            refs.setdefault((match.group("tag"), match.group("digest")), []).append(path)
    if not refs:
        return None
    if len(refs) > 1:
        raise PromotionError("%s is referenced with different versions in %s; one environment runs one build "
                             "of an application: make them equal" % (
                                 repository, "; ".join("%s:%s@%s" % (repository, t, d) for (t, d) in sorted(refs, key=str))))
    (tag, digest), paths = list(refs.items())[0]
    return {"tag": tag, "digest": digest, "files": sorted(set(paths))}


def set_image(files, repository, tag, digest):
    """The manifests with every image line of ``repository`` set to ``<repository>:<tag>@<digest>``."""
    pattern = image_pattern(repository)
    ref = "%s:%s@%s" % (repository, tag, digest)
    return dict((path, pattern.sub(lambda m: "%s%s%s%s%s" % (m.group("lead"), m.group("q"), ref, m.group("q"),
                                                             m.group("tail")), text))
                for path, text in files.items())


def check_promotion(envs, target_name, version, states, digest, override_reason=None):
    """The promotion of ``version`` (digest ``digest``) into ``target_name``: PromotionError when refused.

    ``states``: {env: read_state(...)} from Git. Returns {target, previous, kind, overridden}; the
    health of a push ``previous`` is the caller's to check (it needs the hub's Argo CD).
    """
    names = [e["name"] for e in envs]
    if target_name not in names:
        raise PromotionError("target environment %r is not an environment of this option (%s)"
                             % (target_name, ", ".join(names)))
    parsed = parse_version(version)
    index = names.index(target_name)
    target = envs[index]
    if parsed["kind"] not in target["accepts"]:
        raise PromotionError("version %s is a %s; %s accepts %s only (rules: docs/promotion.md)" % (
            version, {"dev": "development build", "rc": "release candidate", "release": "release"}[parsed["kind"]],
            target_name, " and ".join({"dev": "development builds", "rc": "release candidates",
                                       "release": "releases"}[k] for k in target["accepts"])))
    previous = envs[index - 1] if index > 0 else None
    overridden = False
    if previous is not None:
        before = states.get(previous["name"])
        if before is not None and before.get("tag") == image_tag(version) and before.get("digest") != digest:
            raise PromotionError(
                "the tag %s now points at %s, but %s runs %s from that same tag: the tag moved since it was promoted "
                "(build once: a tag is never reused for another build); promote the build %s runs, or give the new "
                "build a new version" % (image_tag(version), digest, previous["name"], before["digest"], previous["name"]))
        if before is None or before.get("digest") != digest:
            if not override_reason:
                runs = ("runs %s%s" % (before["tag"], "@" + before["digest"] if before["digest"]
                                       else " (not pinned to a digest)")) if before else "does not run it"
                raise PromotionError(
                    "%s comes after %s, which %s, not the build %s (%s): promote to %s first; environments are "
                    "promoted in order %s, none skipped (or give override_reason)"
                    % (target_name, previous["name"], runs, digest, version, previous["name"], " -> ".join(names)))
            overridden = True
        else:
            before_core = parse_version(before["tag"].replace("_", "+")) if before.get("tag") else None
            if before_core and before_core["core"] != parsed["core"]:
                raise PromotionError("version %s is not a version of the build %s runs (%s): one build keeps its "
                                     "MAJOR.MINOR.PATCH from development build to release"
                                     % (version, previous["name"], before["tag"]))
    return {"target": target, "previous": previous, "kind": parsed["kind"], "overridden": overridden}


def application_health(app, image_ref):
    """None when Argo CD's Application is Synced, Healthy and runs ``image_ref``; else why not."""
    if app is None:
        return "its Argo CD Application does not exist"
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status")
    health = (status.get("health") or {}).get("status")
    images = (status.get("summary") or {}).get("images") or []
    if image_ref not in images:
        return "its Argo CD Application does not run %s yet (images: %s)" % (image_ref, ", ".join(images) or "none")
    if sync != "Synced" or health != "Healthy":
        return "its Argo CD Application is %s/%s, not Synced/Healthy" % (sync, health)
    return None
