# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.module_utils import _upgrade


def upgrade_plan(platform_plan, settings=None):
    """What one upgrade run changes (see the upgrade_plan documentation)."""
    if not isinstance(platform_plan, dict) or "clusters" not in platform_plan:
        raise AnsibleFilterError("upgrade_plan: the input must be the platform plan (krci.platform.platform_plan), "
                                 "got %s" % type(platform_plan).__name__)
    return _upgrade.plan(platform_plan, dict(settings or {}))


def release_changes(platform_plan, settings=None):
    """Each running release a converge would change (see the release_changes documentation)."""
    if not isinstance(platform_plan, dict) or "clusters" not in platform_plan:
        raise AnsibleFilterError("release_changes: the input must be the platform plan (krci.platform.platform_plan), "
                                 "got %s" % type(platform_plan).__name__)
    return _upgrade.converge_errors(platform_plan, dict(settings or {}))


def vault_roll_order(pods, statefulset, unseal_urls):
    """OpenBao's pods to replace, in order, with their URLs (see the vault_roll_order documentation)."""
    return _upgrade.vault_roll(pods, statefulset, unseal_urls)


class FilterModule:
    def filters(self):
        return {"upgrade_plan": upgrade_plan, "release_changes": release_changes, "vault_roll_order": vault_roll_order}
