#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backup_archive
short_description: Publish a backup archive (manifest, checksums) to directories and S3, and apply retention
version_added: 0.9.0
description:
  - With O(step=preflight), before anything is exported - checks that every destination can be written (a
    directory is made if missing and a probe file written and removed in it; an S3 bucket is listed and a
    probe object written and deleted) and fails naming the destination otherwise.
  - With O(step=publish) - checks that each of O(artifacts) is in O(staging) with its size and SHA-256, writes
    the archive's C(manifest.json) (format, option, time, the recipient's fingerprint, O(versions), each
    artifact's size and checksum), and copies the archive to every destination with the manifest last - into
    C(<path>/<name>.partial/), renamed to C(<path>/<name>/) when complete, or under C(<prefix>/<name>/) in S3.
    An archive without its manifest is incomplete and is never restored.
  - Then applies O(retention) to the complete archives of the same option in each destination (the newest
    C(count), none older than C(days)), and removes incomplete archives older than an hour
    (a run that failed).
  - Artifacts are encrypted by the modules that wrote them (M(krci.platform.keycloak_realm_backup),
    M(krci.platform.vault_raft_snapshot), M(krci.platform.backup_artifact)); this module never decrypts.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  step:
    description: C(preflight) checks the destinations; C(publish) writes the archive and applies retention.
    type: str
    choices: [preflight, publish]
    default: publish
  name:
    description: The archive's name, C(<option>-<YYYYmmddTHHMMSSZ>) (UTC).
    type: str
    required: true
  staging:
    description: The directory on the controller that holds the artifacts. Required with O(step=publish).
    type: path
  artifacts:
    description: The artifact records the artifact modules returned (C(name), C(file), C(size), C(sha256), ...).
    type: list
    elements: dict
    default: []
  versions:
    description: What was backed up at which version (collection, Keycloak, OpenBao, Argo CD, operators).
    type: dict
    default: {}
  recipient:
    description: The PEM X25519 public key the artifacts were encrypted for; the manifest records its fingerprint.
    type: str
    required: true
  destinations:
    description:
      - Where to keep the archive. C(type=directory) with C(path) (absolute, on the controller);
        C(type=s3) with C(bucket), C(prefix), and C(region), C(endpoint_url), C(profile) overriding the
        task's AWS connection options.
    type: list
    elements: dict
    required: true
  retention:
    description: C(count) (keep the newest N complete archives, 0 - no limit) and C(days) (delete older ones, 0 - no limit).
    type: dict
    default: {count: 7, days: 0}
attributes:
  check_mode:
    description: Reports what would be written and deleted; writes and deletes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Check the destinations before the export
  krci.platform.backup_archive:
    step: preflight
    name: separated-20261204T120000Z
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
    destinations:
      - {type: directory, path: /var/backups/krci}
      - {type: s3, bucket: krci-backups, prefix: separated, region: eu-central-1}

- name: Publish the archive
  krci.platform.backup_archive:
    name: separated-20261204T120000Z
    staging: /tmp/krci-backup/separated-20261204T120000Z
    artifacts: "{{ exported | map(attribute='artifact') | list }}"
    versions: {keycloak: 26.4.7, openbao: 2.7.2}
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
    destinations:
      - {type: directory, path: /var/backups/krci}
    retention: {count: 14, days: 30}
"""

RETURN = r"""
archive:
  description: The archive's name.
  returned: always
  type: str
locations:
  description: Where the complete archive is (a directory, or C(s3://bucket/prefix/name/)).
  returned: always
  type: list
  elements: str
size:
  description: The archive's bytes (artifacts and manifest).
  returned: with O(step=publish)
  type: int
seconds:
  description: Seconds per destination to write the archive.
  returned: with O(step=publish)
  type: dict
deleted:
  description: Archives removed by O(retention), and incomplete ones, per location.
  returned: with O(step=publish)
  type: list
  elements: str
manifest:
  description: The manifest written.
  returned: with O(step=publish)
  type: dict
"""

import datetime
import os
import shutil
import tempfile
import time
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils import _backup
from ansible_collections.krci.platform.plugins.module_utils._aws_client import (
    AWS_CONNECTION_SPEC, AwsClient, AwsError, connection_params)

STALE = datetime.timedelta(hours=1)


def _where(dest, name=""):
    if dest["type"] == "directory":
        return os.path.join(dest["path"], name) if name else dest["path"]
    return "s3://%s/%s" % (dest["bucket"], "/".join(p for p in (dest["prefix"], name) if p) + ("/" if name else ""))


class Directory:
    def __init__(self, dest):
        self.dest = dest
        self.root = dest["path"]

    def preflight(self, write_probe):
        if not os.path.isdir(self.root):
            if not write_probe:
                parent = self.root
                while not os.path.isdir(parent):
                    parent = os.path.dirname(parent)
                if not os.access(parent, os.W_OK):
                    raise OSError("%s does not exist and %s is not writable" % (self.root, parent))
                return
            os.makedirs(self.root, 0o700)
        probe = os.path.join(self.root, ".krci-probe-%s" % uuid.uuid4().hex)
        with open(probe, "w") as handle:
            handle.write("probe")
        os.remove(probe)

    def publish(self, name, staging, files):
        partial = os.path.join(self.root, name + ".partial")
        if os.path.exists(partial):
            shutil.rmtree(partial)
        os.makedirs(partial, 0o700)
        for item in files:  # the manifest is the last item
            shutil.copyfile(os.path.join(staging, item), os.path.join(partial, item))
            os.chmod(os.path.join(partial, item), 0o600)
            with open(os.path.join(partial, item), "rb") as handle:
                os.fsync(handle.fileno())
        final = os.path.join(self.root, name)
        if os.path.exists(final):
            raise OSError("%s exists already; an archive is never overwritten" % final)
        os.rename(partial, final)

    def archives(self):
        """(complete names, incomplete names) in the directory."""
        complete, incomplete = [], []
        if not os.path.isdir(self.root):  # check mode before the first backup
            return complete, incomplete
        for entry in sorted(os.listdir(self.root)):
            base = entry[:-len(".partial")] if entry.endswith(".partial") else entry
            if _backup.archive_time(base) is None or not os.path.isdir(os.path.join(self.root, entry)):
                continue
            if entry.endswith(".partial") or not os.path.exists(os.path.join(self.root, entry, _backup.MANIFEST)):
                incomplete.append(entry)
            else:
                complete.append(entry)
        return complete, incomplete

    def delete(self, entry):
        shutil.rmtree(os.path.join(self.root, entry))


class Bucket:
    def __init__(self, dest, module):
        self.dest = dest
        params = connection_params(module.params)
        for key in ("region", "endpoint_url", "profile"):
            if dest.get(key):
                params[key] = dest[key]
        self.aws = AwsClient(**params)
        self.prefix = dest["prefix"] + "/" if dest["prefix"] else ""

    def preflight(self, write_probe):
        self.aws.call("s3", "list_objects_v2", Bucket=self.dest["bucket"], Prefix=self.prefix, MaxKeys=1)
        if write_probe:
            key = self.prefix + ".krci-probe-%s" % uuid.uuid4().hex
            self.aws.call("s3", "put_object", Bucket=self.dest["bucket"], Key=key, Body=b"probe")
            self.aws.call("s3", "delete_object", Bucket=self.dest["bucket"], Key=key)

    def publish(self, name, staging, files):
        for item in files:  # the manifest is the last item
            self.aws.call("s3", "upload_file", Filename=os.path.join(staging, item), Bucket=self.dest["bucket"],
                          Key=self.prefix + name + "/" + item)

    def _keys(self):
        keys, token = [], None
        while True:
            kwargs = dict(Bucket=self.dest["bucket"], Prefix=self.prefix)
            if token:
                kwargs["ContinuationToken"] = token
            page = self.aws.call("s3", "list_objects_v2", **kwargs)
            keys.extend(o["Key"] for o in page.get("Contents") or [])
            token = page.get("NextContinuationToken")
            if not token:
                return keys

    def archives(self):
        members = {}
        for key in self._keys():
            parts = key[len(self.prefix):].split("/", 1)
            if len(parts) == 2 and _backup.archive_time(parts[0]) is not None:
                members.setdefault(parts[0], []).append(parts[1])
        self._members = members
        complete = sorted(n for n, items in members.items() if _backup.MANIFEST in items)
        return complete, sorted(n for n in members if n not in complete)

    def delete(self, entry):
        keys = [{"Key": self.prefix + entry + "/" + item} for item in self._members.get(entry, [])]
        for start in range(0, len(keys), 1000):
            self.aws.call("s3", "delete_objects", Bucket=self.dest["bucket"], Delete={"Objects": keys[start:start + 1000]})


def _store(dest, module):
    return Directory(dest) if dest["type"] == "directory" else Bucket(dest, module)


def _check_artifacts(staging, artifacts):
    errors = []
    for artifact in artifacts:
        path = os.path.join(staging, str(artifact.get("file")))
        if not os.path.isfile(path):
            errors.append("%s: not in %s (its export failed or was skipped)" % (artifact.get("name"), staging))
            continue
        found = (os.path.getsize(path), _backup.sha256_file(path))
        if found != (artifact.get("size"), artifact.get("sha256")):
            errors.append("%s: %s changed after it was written (size %s, sha256 %s)"
                          % (artifact.get("name"), path, found[0], found[1]))
    return errors


def _retention(store, dest, name, retention, now, check_mode):
    complete, incomplete = store.archives()
    option = _backup.ARCHIVE_NAME.match(name).group("option")
    mine = [n for n in complete if _backup.ARCHIVE_NAME.match(n).group("option") == option]
    doomed = _backup.expired(mine, retention.get("count", 7), retention.get("days", 0), now, name)
    stale = [entry for entry in incomplete
             if now - _backup.archive_time(entry.replace(".partial", "")) > STALE]
    for entry in doomed + stale:
        if not check_mode:
            store.delete(entry)
    return [_where(dest, entry) for entry in doomed + stale]


def main(module_class=AnsibleModule):
    argument_spec = dict(
        step=dict(type="str", choices=["preflight", "publish"], default="publish"),
        name=dict(type="str", required=True),
        staging=dict(type="path"),
        artifacts=dict(type="list", elements="dict", default=[]),
        versions=dict(type="dict", default={}),
        recipient=dict(type="str", required=True),
        destinations=dict(type="list", elements="dict", required=True),
        retention=dict(type="dict", default={"count": 7, "days": 0}),
    )
    argument_spec.update(AWS_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True,
                          required_if=[("step", "publish", ("staging",))])
    params = module.params
    name = params["name"]
    errors = []
    if not _backup.ARCHIVE_NAME.match(name):
        errors.append("name: %r is not <option>-<YYYYmmddTHHMMSSZ>" % name)
    for index, dest in enumerate(params["destinations"]):
        errors.extend(_backup.check_destination(index, dest))
    try:
        recipient = _backup.fingerprint(_backup.load_recipient(params["recipient"], "recipient"))
    except _backup.BackupError as exc:
        errors.append(str(exc))
    if errors:
        module.fail_json(msg="invalid input, nothing written: " + "; ".join(errors))
    destinations = [_backup.normalise_destination(d) for d in params["destinations"]]
    stores = []
    for dest in destinations:
        try:
            store = _store(dest, module)
            # The publish step finds the destinations as its preflight left them: no second probe.
            store.preflight(not module.check_mode and params["step"] == "preflight")
        except (OSError, AwsError) as exc:
            module.fail_json(msg="backup destination %s cannot be written: %s; fix it (or remove it from "
                                 "backup_destinations) and run again; nothing was backed up" % (_where(dest), exc))
        stores.append(store)
    locations = [_where(dest, name) for dest in destinations]
    if params["step"] == "preflight":
        module.exit_json(changed=False, archive=name, locations=locations)

    staging = params["staging"]
    artifacts = params["artifacts"]
    planned = [a for a in artifacts if a.get("planned")]
    now = datetime.datetime.now(datetime.timezone.utc)
    if planned or module.check_mode:
        try:
            deleted = [entry for dest, store in zip(destinations, stores)
                       for entry in _retention(store, dest, name, params["retention"], now, True)]
        except (OSError, AwsError) as exc:
            module.fail_json(msg="list the archives of %s: %s" % (", ".join(locations), exc))
        module.exit_json(changed=True, archive=name, locations=locations, size=0, seconds={}, deleted=deleted,
                         manifest={"archive": name, "artifacts": [a.get("name") for a in artifacts]})
    problems = _check_artifacts(staging, artifacts)
    if problems:
        module.fail_json(msg="the archive %s is not complete, nothing was published: %s" % (name, "; ".join(problems)))
    document = _backup.manifest(
        name, _backup.ARCHIVE_NAME.match(name).group("option"), now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        [dict((k, a[k]) for k in ("name", "file", "size", "sha256", "plaintext_size") if k in a) for a in artifacts],
        params["versions"], recipient, dict((a["name"], a.get("seconds")) for a in artifacts))
    handle, path = tempfile.mkstemp(dir=staging, prefix=".manifest-")
    with os.fdopen(handle, "w") as out:
        out.write(_backup.dumps(document))
    os.rename(path, os.path.join(staging, _backup.MANIFEST))
    files = [a["file"] for a in artifacts] + [_backup.MANIFEST]
    size = sum(os.path.getsize(os.path.join(staging, f)) for f in files)
    seconds, deleted = {}, []
    for dest, store in zip(destinations, stores):
        started = time.time()
        try:
            store.publish(name, staging, files)
            deleted.extend(_retention(store, dest, name, params["retention"], now, False))
        except (OSError, AwsError) as exc:
            module.fail_json(msg="write archive %s to %s: %s; the destinations before it hold the archive, this one "
                                 "holds no complete archive; run again" % (name, _where(dest), exc),
                             locations=locations[:len(seconds)])
        seconds[_where(dest)] = round(time.time() - started, 3)
    module.exit_json(changed=True, archive=name, locations=locations, size=size, seconds=seconds, deleted=deleted,
                     manifest=document)


if __name__ == "__main__":
    main()
