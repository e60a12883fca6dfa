# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One promotion, end to end: digest, Git state, rules, health of the previous environment, commit.

For internal collection use only. The rules are ``_promotion``'s; this module wires them to the
Git working copy (``_git``), the registry (``_registry``) and the hub's Argo CD Applications
(read through the Kubernetes API; never a pull cluster's).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import time

from ansible_collections.krci.platform.plugins.module_utils import _promotion
from ansible_collections.krci.platform.plugins.module_utils._git import PushRejected
from ansible_collections.krci.platform.plugins.module_utils._promotion import PromotionError


def _unified(path, before, after):
    return "".join(difflib.unified_diff((before or "").splitlines(True), after.splitlines(True),
                                        "a/" + path if before is not None else "/dev/null", "b/" + path))


def _commit_message(request, env, previous, ref, overridden):
    lines = ["promote %s %s to %s" % (request["application"], request["version"], env["name"]), "",
             "Image: %s" % ref]
    if previous is not None:
        lines.append("Previous-Environment: %s" % previous["name"])
    if overridden:
        lines.append("Override: %s" % request["override_reason"])
    lines.append("Promoted-By: krci.platform.promote")
    return "\n".join(lines) + "\n"


class Promotion(object):
    """``request``: application, image, version, target, environments, branch, review_branch,
    override_reason, manifests, digest. ``resolve_digest(repository, tag)`` asks the registry;
    ``read_application(name)`` reads a hub Application (None when absent);
    ``refresh_application(name)`` (optional) asks the hub to refresh one now (True when it could)."""

    def __init__(self, request, working_copy, resolve_digest, read_application, sleep=time.sleep, clock=time.monotonic,
                 refresh_application=None):
        self.request = request
        self.refresh_application = refresh_application
        self.wc = working_copy
        self.resolve_digest = resolve_digest
        self.read_application = read_application
        self.sleep = sleep
        self.clock = clock
        self.envs = request["environments"]
        self.parsed = _promotion.parse_version(request["version"])
        self.tag = _promotion.image_tag(request["version"])
        host, _sep, path = request["image"].partition("/")
        self.registry_path = path

    def _image(self, env):
        """The image repository ``env``'s manifests name: the build's, or its copy in the registry of the account
        the environment's cluster lives in (``environments[].image``)."""
        return env.get("image") or self.request["image"]

    def _states(self):
        states = {}
        for env in self.envs:
            if env.get("path"):
                states[env["name"]] = _promotion.read_state(self.wc.read(env["path"]), self._image(env))
        return states

    def _target(self, digest, states):
        target = self.request["target"]
        if target == "next":
            return _promotion.next_environment(self.envs, states, digest)["name"]
        return target

    def _manifest_files(self, env):
        files = {}
        for item in self.request.get("manifests") or []:
            path = "%s/%s" % (env["path"], item["file"])
            if not item.get("replace", True) and self.wc.read_file(path) is not None:
                continue
            files[path] = item["content"]
        return files

    def run(self, check_mode):
        request = self.request
        names = [e["name"] for e in self.envs]
        if request["target"] != "next" and request["target"] not in names:
            raise PromotionError("target environment %r is not an environment of this option (%s)"
                                 % (request["target"], ", ".join(names)))
        # The build: resolved once, before anything is read or written.
        digest = request.get("digest") or self.resolve_digest(self.registry_path, self.tag)
        branch = request["branch"]
        self.wc.clone(branch)
        for attempt in (1, 2):
            states = self._states()
            target_name = self._target(digest, states)
            env = self.envs[names.index(target_name)]
            if not env.get("path"):
                raise PromotionError("environment %s has no Argo CD Application in the plan, so no path in Git "
                                     "to promote into" % target_name)
            if self.parsed["kind"] not in env["accepts"]:
                _promotion.check_promotion(self.envs, target_name, request["version"], states, digest)
            files = self.wc.read(env["path"])
            image = self._image(env)
            ref = "%s:%s@%s" % (image, self.tag, digest)
            current = states.get(target_name)
            if current is None:
                raise PromotionError("no manifest in %s (directly in that directory of %s) references the image %s: "
                                     "add the application's manifests there first"
                                     % (env["path"], self.wc.url, image))
            changes = dict((p, t) for p, t in _promotion.set_image(files, image, self.tag, digest).items()
                           if files[p] != t)
            for path, text in self._manifest_files(env).items():
                if self.wc.read_file(path) != text:
                    changes[path] = text
            result = {"environment": target_name, "digest": digest, "image": ref, "gitops": env["gitops"],
                      "branch": branch, "previous": None, "override": None}
            if not changes:
                return dict(result, changed=False, commit=self.wc.head(), diff=[])
            verdict = _promotion.check_promotion(self.envs, target_name, request["version"], states, digest,
                                                 request.get("override_reason"))
            previous = verdict["previous"]
            result["previous"] = previous["name"] if previous else None
            if previous is not None and not verdict["overridden"] and previous["gitops"] == "push":
                before = states[previous["name"]]
                why = _promotion.application_health(self.read_application(previous["application"]),
                                                    "%s:%s@%s" % (self._image(previous), before["tag"],
                                                                  before["digest"]))
                if why is not None:
                    if not request.get("override_reason"):
                        raise PromotionError("%s is not healthy with this build: %s; wait for it, fix it, or give "
                                             "override_reason" % (previous["name"], why))
                    verdict["overridden"] = True
            if verdict["overridden"]:
                result["override"] = request["override_reason"]
            diff = [{"before_header": p, "after_header": p, "before": self.wc.read_file(p) or "", "after": t}
                    for p, t in sorted(changes.items())]
            result["diff"] = diff
            result["patch"] = "".join(_unified(p, self.wc.read_file(p), t) for p, t in sorted(changes.items()))
            if check_mode:
                return dict(result, changed=True, commit=None)
            push_to = branch
            if request.get("review_branch"):
                push_to = "promote/%s/%s/%s" % (request["application"], target_name, self.tag)
                result["review_branch"] = push_to
                remote = self.wc.remote_head(push_to)
                if remote is not None and self._branch_holds(push_to, env, changes):
                    return dict(result, changed=False, commit=remote, diff=[], patch="")
            self.wc.write(changes)
            commit = self.wc.commit(_commit_message(request, env, previous, ref, verdict["overridden"]))
            try:
                self.wc.push(push_to)
            except PushRejected as exc:
                if attempt == 2 or request.get("review_branch"):
                    raise PromotionError("%s; tried again once on top of the other change and was rejected again: "
                                         "run the promotion again" % exc)
                # Another change landed first: start again from it (rules re-checked), never force.
                self.wc.fetch_reset(branch)
                continue
            if env["gitops"] == "push" and self.refresh_application is not None and not request.get("review_branch"):
                # What a Git webhook does: the hub looks at the repository now, not at its next resync.
                result["refreshed"] = self.refresh_application(env["application"])
            return dict(result, changed=True, commit=commit, rebased=attempt == 2)
        raise PromotionError("unreachable")  # pragma: no cover

    def _branch_holds(self, review, env, changes):
        """The review branch exists with exactly these contents (a re-run opens nothing new)."""
        self.wc.git("fetch", "--quiet", "origin", "+refs/heads/%s:refs/remotes/origin/%s" % (review, review))
        for path, text in changes.items():
            try:
                held = self.wc.git("show", "origin/%s:%s" % (review, path))
            except Exception:  # pylint: disable=broad-except
                return False
            if held != text:
                return False
        return True

    def wait(self, result, timeout, poll=3.0):
        """Wait until a push environment's Application runs the promoted image, Synced and Healthy."""
        env = self.envs[[e["name"] for e in self.envs].index(result["environment"])]
        if env["gitops"] != "push":
            return "not observable from the platform: %s's own Argo CD pulls it from Git" % env["name"]
        deadline = self.clock() + timeout
        while True:
            why = _promotion.application_health(self.read_application(env["application"]), result["image"])
            if why is None:
                return None
            if self.clock() >= deadline:
                raise PromotionError("committed %s, but %s did not become Synced/Healthy with %s within %ss: %s"
                                     % (result.get("commit"), env["name"], result["image"], timeout, why))
            self.sleep(poll)
