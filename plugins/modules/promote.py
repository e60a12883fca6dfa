#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: promote
short_description: Promote one build of an application to the next environment, by a commit to the GitOps repository
version_added: 0.5.0
description:
  - Promotes version O(version) of O(application) into O(target) by setting the application's image to
    C(<image>:<tag>@sha256:<digest>) in the manifests of that environment's path of the GitOps
    repository (the app-of-apps layout, C(environments/<env>)). Push and pull environments alike change
    only in Git; the module never reads or writes a pull cluster.
  - "Build once: the tag is resolved to a digest once, in the registry of O(image) (or O(digest) is given);
    every environment gets the same digest, and a tag that points elsewhere than the build the previous
    environment runs is refused."
  - "Rules (refused before any change, with the reason and the fix): O(version) is a semantic version of one
    of three kinds, development build C(X.Y.Z-dev.YYYYMMDD.<sha>), release candidate C(X.Y.Z-rc.N), release
    C(X.Y.Z), and the target accepts its kind (O(environments[].accepts)); environments are promoted in
    order, none skipped: the previous environment must run the same digest and, for a push environment,
    its Argo CD Application on the hub must be Synced and Healthy with it. O(override_reason) waives the
    previous environment's checks (not the kinds); the reason is written into the commit."
  - A promotion already in place is C(changed=false). With C(--check) nothing is pushed and C(--diff) shows
    the commit's changes. A push rejected because another change landed first is done again once on top
    of it (rules checked again); nothing is ever force-pushed.
  - Git runs on the controller with a configuration of its own; the password reaches git through an askpass
    script and the environment, never a command line.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  application:
    description: The application's name (an entry of C(krci_applications)).
    type: str
    required: true
  image:
    description: The application's image repository, C(<registry host>/<path>), without tag or digest.
    type: str
    required: true
  version:
    description: The version to promote; its image tag is the version with C(+) replaced by C(_).
    type: str
    required: true
  target:
    description:
      - The environment to promote into, or C(next) for the one after the last environment (in order) that
        runs this build (the first environment when none does). C(next) is not idempotent by nature; jobs that
        may be re-run name the environment.
    type: str
    default: next
  environments:
    description: The option's environments in promotion order, from the plan (C(krci.platform.promotion_plan)).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The environment.
        type: str
        required: true
      gitops:
        description: C(push) (the hub's Argo CD deploys it) or C(pull) (its cluster's own Argo CD reads Git).
        type: str
        required: true
        choices: [push, pull]
      path:
        description: Its directory in the GitOps repository.
        type: str
        required: true
      application:
        description: Its Argo CD Application (on the hub, for a push environment).
        type: str
        required: true
      accepts:
        description: The kinds of version it accepts.
        type: list
        elements: str
        required: true
        choices: [dev, rc, release]
      cluster:
        description: Its cluster (informational).
        type: str
      image:
        description:
          - The image repository this environment's manifests name, when it is not O(image) - the copy of the
            build in the registry of the account the environment's cluster lives in (on AWS, production pulls only
            from its own account's ECR, see C(krci.platform.aws_environment_images)). The digest is the same.
        type: str
      namespace:
        description: Its namespace (informational).
        type: str
      argocd_instance:
        description: The Argo CD instance that deploys it (informational).
        type: str
      trigger:
        description: C(Auto) or C(Manual) (informational; the approval is the caller's, for example AWX's).
        type: str
  digest:
    description: The build's digest (C(sha256:...)) when the registry is not to be asked.
    type: str
  override_reason:
    description: Waives the previous environment's checks (it does not run this build, or is not healthy); written
      into the commit message and returned.
    type: str
  manifests:
    description: Files to add to the target environment's path in the same commit (for example a SealedSecret of
      M(krci.platform.sealed_secret)).
    type: list
    elements: dict
    default: []
    suboptions:
      file:
        description: File name inside the environment's path.
        type: str
        required: true
      content:
        description: The object (written as YAML) or the file's text.
        type: raw
        required: true
      replace:
        description: Replace the file when it differs; C(false) writes it only when absent (a SealedSecret is
          sealed anew on every run, so keep the one in Git unless the value changed).
        type: bool
        default: true
  git_url:
    description: The GitOps repository (HTTPS or SSH URL).
    type: str
    required: true
  git_branch:
    description: The branch the Argo CD instances read.
    type: str
    default: main
  git_username:
    description: HTTPS user with write access.
    type: str
  git_password:
    description: Its password or token.
    type: str
  git_ca_file:
    description: PEM of the CA that serves the HTTPS repository.
    type: path
  git_ssh_key_file:
    description: SSH private key for an SSH URL (known hosts are checked).
    type: path
  review_branch:
    description: Push to C(promote/<application>/<environment>/<tag>) instead of O(git_branch), for a review in the Git
      forge; a re-run finds the branch and changes nothing.
    type: bool
    default: false
  registry_username:
    description: Registry user that may pull (basic or token auth).
    type: str
  registry_password:
    description: Its password or token.
    type: str
  registry_ca_file:
    description: PEM of the CA that serves the registry.
    type: path
  argocd_namespace:
    description: The hub Argo CD's namespace (its Applications tell a push environment's health).
    type: str
    default: argocd
  refresh:
    description: After the commit to a push environment, ask the hub to refresh its Application at once (a hard
      refresh, what a Git webhook does), instead of at its next resync. Needs the hub's kubeconfig; a refusal
      is reported in RV(refreshed), not an error.
    type: bool
    default: true
  wait:
    description: After the commit, wait until a push environment's Application runs the image, Synced and Healthy.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 300
attributes:
  check_mode:
    description: Resolves, reads and checks everything, pushes nothing.
    support: full
  diff_mode:
    description: The files the commit changes, before and after.
    support: full
notes:
  - The kubeconfig is the hub's (platform cluster); it is needed when the previous environment is a push one.
seealso:
  - module: krci.platform.sealed_secret
"""

EXAMPLES = r"""
- name: Promote a release candidate to UAT
  krci.platform.promote:
    application: krci-demo
    image: harbor.example.com/team/krci-demo
    version: 1.2.3-rc.1
    target: uat
    environments: "{{ (krci_topology | krci.platform.platform_plan(settings)).promotion.environments }}"
    git_url: https://git.example.com/platform/gitops.git
    git_username: ci
    git_password: "{{ gitops_token }}"
    kubeconfig: ~/.kube/platform.yaml

- name: Production, as a branch to review
  krci.platform.promote:
    application: krci-demo
    image: harbor.example.com/team/krci-demo
    version: 1.2.3
    target: production
    review_branch: true
    environments: "{{ promotion_environments }}"
    git_url: https://git.example.com/platform/gitops.git
    git_password: "{{ gitops_token }}"
"""

RETURN = r"""
environment:
  description: The environment promoted into.
  returned: success
  type: str
previous:
  description: The environment before it (none for the first).
  returned: success
  type: str
digest:
  description: The build's digest.
  returned: success
  type: str
image:
  description: The image reference written, C(<image>:<tag>@<digest>).
  returned: success
  type: str
commit:
  description: The commit of the promotion (the current one when nothing changed; none in check mode).
  returned: success
  type: str
branch:
  description: The branch the Argo CD instances read.
  returned: success
  type: str
review_branch:
  description: The branch pushed for review.
  returned: when O(review_branch)
  type: str
rebased:
  description: The first push was rejected (another change landed first) and the promotion was done again on top.
  returned: when changed
  type: bool
override:
  description: The override reason, when it waived a check.
  returned: success
  type: str
patch:
  description: The commit's changes as a unified diff.
  returned: success
  type: str
refreshed:
  description: Whether the hub was asked to refresh the push environment's Application after the commit.
  returned: when a push environment changed and O(refresh)
  type: bool
synced:
  description: With O(wait), how the target environment picks the commit up (none when its Application is Synced/Healthy).
  returned: with O(wait)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube, _promotion
from ansible_collections.krci.platform.plugins.module_utils._git import GitError, WorkingCopy
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params
from ansible_collections.krci.platform.plugins.module_utils._promote import Promotion
from ansible_collections.krci.platform.plugins.module_utils._registry import Registry, RegistryError
from ansible_collections.krci.platform.plugins.module_utils._retry import warn_on_retry

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


def _validate(params):
    errors = []
    if not _promotion.DNS_LABEL.match(params["application"]):
        errors.append("application: %r is not an application name (DNS-1123 label)" % params["application"])
    if not _promotion.IMAGE.match(params["image"]):
        errors.append("image: %r is not an image repository <registry host>/<path> without tag or digest"
                      % params["image"])
    if params["digest"] and not _promotion.DIGEST.match(params["digest"]):
        errors.append("digest: %r is not sha256:<64 hex digits>" % params["digest"])
    if params["override_reason"] is not None and not params["override_reason"].strip():
        errors.append("override_reason: an override needs a reason")
    try:
        _promotion.parse_version(params["version"])
    except _promotion.PromotionError as exc:
        errors.append(str(exc))
    for item in params["manifests"]:
        if "/" in item["file"] or not item["file"].endswith((".yaml", ".yml")):
            errors.append("manifests: %r must be a .yaml file name without directories" % item["file"])
    return errors


def main(module_class=AnsibleModule):
    env_spec = dict(
        name=dict(type="str", required=True), gitops=dict(type="str", required=True, choices=["push", "pull"]),
        path=dict(type="str", required=True), application=dict(type="str", required=True),
        accepts=dict(type="list", elements="str", required=True, choices=list(_promotion.KINDS)),
        cluster=dict(type="str"), namespace=dict(type="str"), argocd_instance=dict(type="str"), trigger=dict(type="str"),
        image=dict(type="str"))
    argument_spec = dict(
        application=dict(type="str", required=True),
        image=dict(type="str", required=True),
        version=dict(type="str", required=True),
        target=dict(type="str", default="next"),
        environments=dict(type="list", elements="dict", required=True, options=env_spec),
        digest=dict(type="str"),
        override_reason=dict(type="str"),
        manifests=dict(type="list", elements="dict", default=[], options=dict(
            file=dict(type="str", required=True), content=dict(type="raw", required=True),
            replace=dict(type="bool", default=True))),
        git_url=dict(type="str", required=True),
        git_branch=dict(type="str", default="main"),
        git_username=dict(type="str"),
        git_password=dict(type="str", no_log=True),
        git_ca_file=dict(type="path"),
        git_ssh_key_file=dict(type="path", no_log=False),
        review_branch=dict(type="bool", default=False),
        registry_username=dict(type="str"),
        registry_password=dict(type="str", no_log=True),
        registry_ca_file=dict(type="path"),
        argocd_namespace=dict(type="str", default="argocd"),
        refresh=dict(type="bool", default=True),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    params = module.params
    errors = _validate(params)
    if errors:
        module.fail_json(msg="; ".join(errors) + "; nothing was changed")

    request = dict((k, params[k]) for k in ("application", "image", "version", "target", "environments", "digest",
                                            "override_reason", "review_branch"))
    request["branch"] = params["git_branch"]
    request["manifests"] = [{"file": m["file"], "replace": m["replace"],
                             "content": m["content"] if isinstance(m["content"], str)
                             else yaml.safe_dump(m["content"], sort_keys=False, default_flow_style=False)}
                            for m in params["manifests"]]
    registry = Registry(params["image"].split("/", 1)[0], params["registry_username"], params["registry_password"],
                        params["registry_ca_file"], on_retry=warn_on_retry(module.warn))
    state = {"client": None}

    def hub():
        if state["client"] is None:
            if not params["kubeconfig"]:
                raise _promotion.PromotionError("kubeconfig: the hub's kubeconfig is needed to read the Argo CD "
                                                "Applications of push environments")
            state["client"] = client_from_params(module)
        return state["client"]

    def read_application(name):
        return _kube.read_objects(hub(), [{"api_version": "argoproj.io/v1alpha1", "kind": "Application",
                                           "name": name, "namespace": params["argocd_namespace"]}], 0)[0]

    def refresh_application(name):
        try:
            client = hub()
            client.merge_patch(client.resource("argoproj.io/v1alpha1", "Application"), name, params["argocd_namespace"],
                               {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
            return True
        except Exception as exc:  # pylint: disable=broad-except
            module.warn("could not ask the hub to refresh the Application %s now (%s); it syncs at its next resync"
                        % (name, exc))
            return False

    working_copy = WorkingCopy(params["git_url"], params["git_username"], params["git_password"], params["git_ca_file"],
                               params["git_ssh_key_file"])
    try:
        promotion = Promotion(request, working_copy, registry.digest, read_application,
                              refresh_application=refresh_application if params["refresh"] else None)
        result = promotion.run(module.check_mode)
        if result.get("override"):
            module.warn("promotion of %s %s to %s overrode the previous environment's checks: %s"
                        % (params["application"], params["version"], result["environment"], result["override"]))
        if params["wait"] and result["changed"] and not module.check_mode and not params["review_branch"]:
            result["synced"] = promotion.wait(result, params["wait_timeout"])
    except (_promotion.PromotionError, RegistryError, GitError, _kube.KubeError) as exc:
        module.fail_json(msg="promote %s %s: %s" % (params["application"], params["version"], exc))
    finally:
        working_copy.close()
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
