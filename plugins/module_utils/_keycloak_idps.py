# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identity providers (brokers) and their mappers.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # noqa

from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER


def reconcile_identity_providers(ctx, providers):
    current = dict((p["alias"], p) for p in ctx.list("/identity-provider/instances", "read identity providers"))
    for provider in providers or []:
        want = dict((k, v) for k, v in provider.items() if k != "mappers")
        want.setdefault("providerId", "oidc")
        ref = "identity provider %s" % want["alias"]
        have = current.get(want["alias"])
        if have is None:
            want["config"] = dict(want.get("config") or {}, **{MARKER: "true"})
        alias = quote(want["alias"], safe="")
        compare = want
        if have is not None and set(str((have.get("config") or {}).get("clientSecret", ""))) == {"*"}:
            # Keycloak never returns an IdP's client secret: it is written on create and with
            # any other change of the provider, but cannot be compared.
            compare = dict(want, config=dict((k, v) for k, v in (want.get("config") or {}).items()
                                             if k != "clientSecret"))
        ctx.ensure(ref, have, want,
                   lambda w=want: ctx.client.create(ctx.path + "/identity-provider/instances", w, "create " + ref),
                   lambda body: ctx.client.put(ctx.path + "/identity-provider/instances/" + alias, body,
                                               "update " + ref), compare=compare)
        listing = ctx.list("/identity-provider/instances/%s/mappers" % alias, "read mappers of " + ref) \
            if have else []
        existing = dict((m["name"], m) for m in listing)
        for mapper in provider.get("mappers") or []:
            mwant = dict(mapper, identityProviderAlias=want["alias"])
            mref = "%s mapper %s" % (ref, mapper["name"])
            mhave = existing.get(mapper["name"])
            ctx.ensure(mref, mhave, mwant,
                       lambda w=mwant: ctx.client.create(
                           ctx.path + "/identity-provider/instances/%s/mappers" % alias, w, "create " + mref),
                       lambda body, h=mhave: ctx.client.put(
                           ctx.path + "/identity-provider/instances/%s/mappers/%s" % (alias, h["id"]), body,
                           "update " + mref))
