# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.krci.platform.plugins.module_utils import _flavour


def endpoint_route(url, name, namespace, service, port, flavour=None, base_domain="", termination="reencrypt",
                   tls=None, labels=None):
    """The Route that publishes ``url`` on an OpenShift cluster (None on other flavours); AnsibleFilterError naming
    the endpoint when its host is not a DNS name or lies outside the base domain."""
    flavour = flavour or {}
    if flavour.get("name") != _flavour.OPENSHIFT:
        return None
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.hostname:
        raise AnsibleFilterError("%s: %r is not an https URL, so no Route host can be taken from it" % (name, url))
    try:
        host = _flavour.route_host(name, base_domain, flavour.get("ingress_domain"), parts.hostname)
        route = _flavour.route(name, namespace, host, service, port, termination, labels=labels)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))
    route["spec"]["tls"].update(tls or {})
    return route


class FilterModule(object):
    def filters(self):
        return {"endpoint_route": endpoint_route}
