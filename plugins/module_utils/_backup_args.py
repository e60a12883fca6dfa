# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec and result of the modules that write one backup artifact (doc fragment: backup_artifact).

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.krci.platform.plugins.module_utils import _backup

ARTIFACT_SPEC = dict(
    dest=dict(type="path", required=True),
    recipient=dict(type="str", required=True),
    name=dict(type="str", required=True),
)


def checked(module):
    """The recipient key, after the destination directory and name were checked; fails the module otherwise."""
    params = module.params
    try:
        recipient = _backup.load_recipient(params["recipient"], "recipient")
    except _backup.BackupError as exc:
        module.fail_json(msg=str(exc))
    if not _backup.ARTIFACT_NAME.match(params["name"]):
        module.fail_json(msg="name: %r is not an artifact name (lowercase letters, digits, '.', '-')" % params["name"])
    directory = os.path.dirname(params["dest"]) or "."
    if not module.check_mode and not (os.path.isdir(directory) and os.access(directory, os.W_OK)):
        module.fail_json(msg="dest: %s is not a writable directory on the controller; the backup playbook makes the "
                             "archive's staging directory first" % directory)
    return recipient


def write(module, chunks, started, errors=(), **details):
    """Encrypt ``chunks`` into the module's dest (nothing in check mode) and exit with the artifact's record.

    An exception of ``errors`` raised by ``chunks`` (the source went away mid-export) fails the module with its
    message; the partial artifact is removed."""
    params = module.params
    if module.check_mode:
        module.exit_json(changed=True, artifact={"name": params["name"], "planned": True}, **details)
    try:
        record = _backup.write_artifact(params["dest"], params["recipient"], params["name"], chunks)
    except tuple(errors) as exc:
        module.fail_json(msg="%s; no artifact %s was written" % (exc, params["name"]))
    except (OSError, _backup.BackupError) as exc:
        module.fail_json(msg="write artifact %s to %s: %s" % (params["name"], params["dest"], exc))
    record["seconds"] = round(time.time() - started, 3)
    module.exit_json(changed=True, artifact=record, **details)


RESTORE_SPEC = dict(
    archive=dict(type="path", required=True),
    identity=dict(type="str", required=True, no_log=True),
    name=dict(type="str", required=True),
)


def read(module):
    """The plaintext of the module's artifact (``archive``/``name``.enc, decrypted with ``identity``); fails the
    module naming the artifact when it cannot be read."""
    params = module.params
    try:
        identity = _backup.load_identity(params["identity"], "identity")
        return _backup.read_all(os.path.join(params["archive"], params["name"] + ".enc"), identity, params["name"])
    except (IOError, OSError, _backup.BackupError) as exc:
        module.fail_json(msg="read artifact %s from %s: %s; fetch the archive with krci.platform.backup_archive_fetch "
                             "first, nothing was restored" % (params["name"], params["archive"], exc))
