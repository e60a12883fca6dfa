#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_ecr_image_copy
short_description: Copy one build's image by digest into an ECR repository of the session's account
version_added: 0.8.0
description:
  - Copies the image a version's tag names in the build's registry (O(source_image), read with a pull credential of
    that registry) into the ECR repository O(repository) of the account whose credentials the task runs with, and
    tags it there with the version's tag. The manifests' bytes are copied unchanged, so the digest in the target is
    the build's (build once, promote the same artifact - seed 002); an index is copied with all its images.
  - Only what the target lacks is copied (a blob or manifest already there is skipped); a run that finds the tag
    already on that digest changes nothing. A tag of the target that points at another digest is refused before
    anything is written - a promoted tag never moves.
  - Production pulls only from its own account's registry (seed 001), and nothing of the development account may
    grant the production account access, nor the reverse; so the copy runs with the production account's session
    for the target and a pull credential of the build's registry for the source, never a role across accounts.
  - The target registry's credential is an ECR authorization token of the session (C(ecr:GetAuthorizationToken)),
    made for this run and never returned.
  - ECR's registry API (the OCI distribution API) is not in moto; the integration tests copy between two real
    CNCF Distribution registries, the target authenticating the token moto's ECR hands out. Not yet run against a
    live ECR.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  source_image:
    description: The build's image repository, C(<registry host>/<path>) without tag or digest.
    type: str
    required: true
  version:
    description:
      - The version to copy, as C(playbooks/promote.yml) promotes it (C(1.2.3), C(1.2.3-rc.1),
        C(1.2.3-dev.YYYYMMDD.<sha>)); its image tag (build metadata's C(+) becomes C(_)) is read in the source and
        set in the target.
    type: str
    required: true
  digest:
    description:
      - The digest to copy (C(sha256:...)). Without it, the digest the version's tag names in the source; with it,
        that tag must name the same digest where the source has the tag (the tag moved otherwise).
    type: str
  source_username:
    description: A user of the source registry that may pull (C(AWS) with an ECR token of the build's account).
    type: str
  source_password:
    description: Its password or token.
    type: str
  source_ca_file:
    description: CA bundle that signed the source registry's certificate.
    type: path
  repository:
    description: The target ECR repository. Default - the path of O(source_image).
    type: str
  registry:
    description:
      - The target registry host. Default - the session's ECR registry (the authorization token's endpoint,
        C(<account>.dkr.ecr.<region>.amazonaws.com)).
    type: str
  registry_ca_file:
    description: CA bundle that signed the target registry's certificate (default - the system's).
    type: path
attributes:
  check_mode:
    description: Reads both registries and returns what would be copied and tagged; writes nothing.
    support: full
  diff_mode:
    description: The target tag's digest before and after.
    support: full
"""

EXAMPLES = r"""
- name: Copy krci-demo 1.2.3 into the production account's registry
  krci.platform.aws_ecr_image_copy:
    source_image: 111111111111.dkr.ecr.eu-central-1.amazonaws.com/krci/krci-demo
    version: 1.2.3
    source_username: AWS
    source_password: "{{ lookup('ansible.builtin.env', 'KRCI_REGISTRY_PASSWORD') }}"
    region: eu-central-1
  register: copied
"""

RETURN = r"""
tag:
  description: The version's image tag.
  returned: always
  type: str
  sample: 1.2.3
digest:
  description: The digest copied (the same in both registries).
  returned: always
  type: str
  sample: sha256:3f1e...
image:
  description: The copy, C(<registry>/<repository>:<tag>@<digest>) - what the environment's manifests name.
  returned: always
  type: str
registry:
  description: The target registry host.
  returned: always
  type: str
copied:
  description: The manifests and blobs copied (in check mode - to copy), the bytes moved and the tags set.
  returned: always
  type: dict
  contains:
    manifests: {description: Digests of the manifests copied., type: list, elements: str}
    blobs: {description: Digests of the blobs copied., type: list, elements: str}
    bytes: {description: Bytes of the blobs copied (0 in check mode)., type: int}
    tags: {description: Tags set or to set in the target., type: list, elements: str}
calls:
  description: The AWS calls and registry requests the task made, in order.
  returned: always
  type: list
  elements: str
"""

import base64
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _promotion
from ansible_collections.krci.platform.plugins.module_utils._aws_client import AWS_CONNECTION_SPEC, AwsError, run_task
from ansible_collections.krci.platform.plugins.module_utils._registry import DIGEST, Registry, RegistryError, copy_image

IMAGE = re.compile(r"^(?P<host>[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?)/(?P<path>[a-z0-9]+([._/-][a-z0-9]+)*)$")


def registry_login(aws):
    """(host, username, password) of the session's ECR registry, from an authorization token made now."""
    data = aws.call("ecr", "get_authorization_token")["authorizationData"][0]
    username, _sep, password = base64.b64decode(data["authorizationToken"]).decode("utf-8").partition(":")
    return data["proxyEndpoint"].split("://", 1)[-1].rstrip("/"), username, password


def converge(aws, params, check_mode):
    source_host, path = params["source_image"].split("/", 1)
    repository = params["repository"] or path
    try:
        aws.call("ecr", "describe_repositories", repositoryNames=[repository])
    except AwsError as exc:
        if exc.code == "RepositoryNotFoundException":
            raise AwsError("the ECR repository %s is not in this account: run playbooks/aws.yml first (it makes the "
                           "applications' repositories in every account with clusters)" % repository, exc.code)
        raise
    host, username, password = registry_login(aws)
    host = params["registry"] or host
    source = Registry(source_host, params["source_username"], params["source_password"], params["source_ca_file"])
    target = Registry(host, username, password, params["registry_ca_file"])
    tag, digest = _promotion.image_tag(params["version"]), params["digest"]
    try:
        named = source.manifest_digest(path, tag)
        if digest and named not in (None, digest):
            raise RegistryError("%s/%s:%s names %s, not the digest given (%s): the tag moved; promote by the version "
                                "whose tag names the build" % (source_host, path, tag, named, digest))
        digest = digest or named
        if not digest:
            raise RegistryError("%s/%s:%s: no such tag in the build's registry (HTTP 404): check the application's "
                                "image and the version" % (source_host, path, tag))
        before = target.manifest_digest(repository, tag)
        report = copy_image(source, path, target, repository, digest, [tag], check_mode)
    except RegistryError as exc:
        raise AwsError("%s (registry requests: %s)" % (exc, ", ".join(source.calls[-3:] + target.calls[-3:])))
    aws.calls.extend("registry %s %s" % (r.host, call) for r in (source, target) for call in r.calls)
    changed = bool(report["tags"] or report["manifests"] or report["blobs"])
    fields = {"tag": tag, "digest": digest, "image": "%s/%s:%s@%s" % (host, repository, tag, digest), "registry": host,
              "copied": report}
    return changed, fields, {"tag": tag, "digest": before}, {"tag": tag, "digest": digest}


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        source_image=dict(type="str", required=True),
        version=dict(type="str", required=True),
        digest=dict(type="str"),
        source_username=dict(type="str"),
        source_password=dict(type="str", no_log=True),
        source_ca_file=dict(type="path"),
        repository=dict(type="str"),
        registry=dict(type="str"),
        registry_ca_file=dict(type="path"),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    params = module.params
    where = "copy %s %s to ECR" % (params["source_image"], params["version"])
    if not IMAGE.match(params["source_image"] or ""):
        module.fail_json(msg="%s: source_image %r must be <registry host>/<path> without tag or digest"
                         % (where, params["source_image"]))
    try:
        _promotion.parse_version(params["version"])
    except _promotion.PromotionError as exc:
        module.fail_json(msg="%s: %s" % (where, exc))
    if params["digest"] and not DIGEST.match(params["digest"]):
        module.fail_json(msg="%s: digest %r must be sha256:<64 hex digits>" % (where, params["digest"]))
    if params["repository"] and not IMAGE.match("x/" + params["repository"]):
        module.fail_json(msg="%s: repository %r is not an ECR repository name" % (where, params["repository"]))

    def task(aws):
        return converge(aws, params, module.check_mode)

    run_task(module, where, task)


if __name__ == "__main__":
    main()
