#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_archive_fetch
short_description: Fetch a backup archive to the controller and prove it complete, intact and decryptable
version_added: 0.9.0
description:
  - The first step of a restore (playbooks/restore.yml). Reads the archive's C(manifest.json) from a directory or
    S3 and refuses, before anything is restored, an archive without a manifest (incomplete), of another format or
    option, or made for another key than O(identity). Then copies every artifact into O(dest), checks each against
    the manifest's size and SHA-256, and decrypts each end to end (authenticated encryption, so an altered, cut or
    swapped artifact fails) without writing any plaintext.
  - Returns the manifest; the restore modules read the artifacts from O(dest).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  source:
    description:
      - The archive - C(type=directory) with C(path) (the archive's own directory, C(<destination>/<archive>)), or
        C(type=s3) with C(bucket), C(prefix) (the destination's) and C(name) (the archive's), and C(region),
        C(endpoint_url), C(profile) overriding the task's AWS connection options.
    type: dict
    required: true
  dest:
    description: An existing directory on the controller to copy the (encrypted) artifacts into.
    type: path
    required: true
  identity:
    description: The PEM X25519 private key the archive was made for.
    type: str
    required: true
  option:
    description: The allocation option being restored; an archive of another option is refused.
    type: str
    required: true
    choices: [shared, separated, isolated]
attributes:
  check_mode:
    description: Runs in check mode too (it restores nothing; the encrypted copies go to O(dest) only).
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Fetch and verify the archive
  krci.platform.backup_archive_fetch:
    source: {type: s3, bucket: krci-backups, prefix: separated, name: separated-20261204T020000Z, region: eu-central-1}
    dest: /tmp/restore
    identity: "{{ lookup('ansible.builtin.file', '/secure/backup.key') }}"
    option: separated
"""

RETURN = r"""
manifest:
  description: The archive's manifest (format, option, time, recipient, versions, artifacts with sizes and checksums).
  returned: always
  type: dict
artifacts:
  description: The artifacts' names, verified.
  returned: always
  type: list
  elements: str
"""

import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _backup
from ansible_collections.krci.platform.plugins.module_utils._aws_client import (
    AWS_CONNECTION_SPEC, AwsClient, AwsError, connection_params)


def _where(source):
    if source.get("type") == "s3":
        parts = ((source.get("prefix") or "").strip("/"), source.get("name"))
        return "s3://%s/%s/" % (source.get("bucket"), "/".join(p for p in parts if p))
    return str(source.get("path"))


class _Reader:
    def __init__(self, source, module):
        self.source = source
        if source.get("type") == "s3":
            params = connection_params(module.params)
            for key in ("region", "endpoint_url", "profile"):
                if source.get(key):
                    params[key] = source[key]
            self.aws = AwsClient(**params)
            prefix = (source.get("prefix") or "").strip("/")
            self.base = (prefix + "/" if prefix else "") + source["name"] + "/"

    def manifest(self):
        if self.source.get("type") == "s3":
            found = self.aws.read_or_none("s3", "get_object", Bucket=self.source["bucket"], Key=self.base + _backup.MANIFEST)
            return None if found is None else found["Body"].read()
        path = os.path.join(self.source["path"], _backup.MANIFEST)
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read()

    def fetch(self, name, dest):
        if self.source.get("type") == "s3":
            self.aws.call("s3", "download_file", Bucket=self.source["bucket"], Key=self.base + name, Filename=dest)
        else:
            shutil.copyfile(os.path.join(self.source["path"], name), dest)


def main(module_class=AnsibleModule):
    argument_spec = dict(
        source=dict(type="dict", required=True),
        dest=dict(type="path", required=True),
        identity=dict(type="str", required=True, no_log=True),
        option=dict(type="str", required=True, choices=["shared", "separated", "isolated"]),
    )
    argument_spec.update(AWS_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    source = params["source"]
    where = _where(source)
    if source.get("type") not in ("directory", "s3") or (source.get("type") == "directory" and not source.get("path")) \
            or (source.get("type") == "s3" and not (source.get("bucket") and source.get("name"))):
        module.fail_json(msg="source: {type: directory, path} or {type: s3, bucket, prefix, name}, got %r; nothing was "
                             "restored" % (source,))
    try:
        identity = _backup.load_identity(params["identity"], "identity")
        reader = _Reader(source, module)
        raw = reader.manifest()
        if raw is None:
            raise _backup.BackupError("%s has no %s: the archive is incomplete (a backup that failed) or not an archive"
                                      % (where, _backup.MANIFEST))
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise _backup.BackupError("%s: %s is not JSON (%s)" % (where, _backup.MANIFEST, exc))
        problems = _backup.check_manifest(document, params["option"], _backup.fingerprint(identity.public_key()))
        if problems:
            raise _backup.BackupError("%s: %s" % (where, "; ".join(problems)))
        held = {}
        for artifact in document["artifacts"]:
            target = os.path.join(params["dest"], artifact["file"])
            try:
                reader.fetch(artifact["file"], target)
            except AwsError as exc:
                if "404" in str(exc) or "Not Found" in str(exc) or "NoSuchKey" in str(exc):
                    continue  # check_files names it as missing
                raise
            except (IOError, OSError):
                continue
            held[artifact["file"]] = (os.path.getsize(target), _backup.sha256_file(target))
        problems = _backup.check_files(document, held)
        if problems:
            raise _backup.BackupError("%s: %s" % (where, "; ".join(problems)))
        for artifact in document["artifacts"]:
            for _chunk in _backup.read_artifact(os.path.join(params["dest"], artifact["file"]), identity,
                                                artifact["name"]):
                pass
    except (_backup.BackupError, AwsError, OSError) as exc:
        module.fail_json(msg="the archive cannot be restored: %s; nothing was restored" % exc)
    module.exit_json(changed=False, manifest=document, artifacts=[a["name"] for a in document["artifacts"]])


if __name__ == "__main__":
    main()
