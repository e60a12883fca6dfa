# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.module_utils import _rotation


def rotation_plan(platform_plan, settings=None):
    """What one rotation run rotates (see the rotation_plan documentation)."""
    if not isinstance(platform_plan, dict) or "clusters" not in platform_plan:
        raise AnsibleFilterError("rotation_plan: the input must be the platform plan (krci.platform.platform_plan), "
                                 "got %s" % type(platform_plan).__name__)
    return _rotation.plan(platform_plan, dict(settings or {}))


class FilterModule:
    def filters(self):
        return {"rotation_plan": rotation_plan}
