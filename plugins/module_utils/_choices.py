# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A variable that chooses some of a fixed set of names (rotate_credentials, upgrade_components), checked.

For internal collection use only. Pure Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def chosen(value, field, known, noun):
    """(names, errors): ``value`` as a list of names (a comma-separated string is split) and each problem, naming
    ``field``: not a non-empty list of strings, or names not in ``known`` (``noun``: what they are not)."""
    errors = []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        errors.append("%s: a non-empty list of %s, got %r" % (field, ", ".join(known), value))
        value = []
    unknown = sorted(set(value) - set(known))
    if unknown:
        errors.append("%s: %s %s not %s; known: %s" % (field, ", ".join(unknown), "is" if len(unknown) == 1 else "are",
                                                       noun, ", ".join(known)))
    return value, errors
