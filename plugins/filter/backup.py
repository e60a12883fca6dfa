# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.module_utils import _backup
from ansible_collections.krci.platform.plugins.module_utils._platform import plan as platform_plan

COLLECTION_ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def backup_plan(topology, option, settings=None, platform_settings=None, now=None):
    """What one backup run does (see the backup_plan documentation)."""
    if not isinstance(topology, list):
        raise AnsibleFilterError("backup_plan: the input must be krci_topology (a list of clusters), got %s"
                                 % type(topology).__name__)
    result = _backup.plan(platform_plan([dict(c) for c in topology], dict(platform_settings or {})), option,
                          dict(settings or {}))
    when = datetime.datetime.strptime(now, _backup.TIME_FORMAT) if now else datetime.datetime.now(datetime.timezone.utc)
    result["archive"] = _backup.archive_name(option, when)
    result["collection_version"] = _backup.collection_version(COLLECTION_ROOT)
    return result


def role_default(role, variable):
    """A role's documented default (roles/<role>/defaults/main.yml), for a play that does not run the role."""
    path = os.path.join(COLLECTION_ROOT, "roles", str(role), "defaults", "main.yml")
    if not os.path.isfile(path):
        raise AnsibleFilterError("role_default: krci.platform has no role %r (no %s)" % (role, path))
    with open(path) as handle:
        defaults = yaml.safe_load(handle) or {}
    if variable not in defaults:
        raise AnsibleFilterError("role_default: role %s has no default %s (%s)" % (role, variable, path))
    return defaults[variable]


def restore_installs(versions, settings=None):
    """What restore.yml installs before it restores (see the restore_installs documentation)."""
    if not isinstance(versions, dict):
        raise AnsibleFilterError("restore_installs: the input must be the archive manifest's versions, got %s"
                                 % type(versions).__name__)
    return _backup.restore_installs(versions, dict(settings or {}))


class FilterModule:
    def filters(self):
        return {"backup_plan": backup_plan, "role_default": role_default, "restore_installs": restore_installs}
