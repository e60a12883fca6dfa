#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: topology_report
short_description: Write the run report, a Markdown summary and a picture of the topology
version_added: 0.1.0
description:
  - Writes C(report.md), C(topology.svg) and C(topology.png) into O(dest).
  - The picture shows the clusters with their roles and environments, push arrows from the hub
    Argo CD on the platform cluster, and pull arrows from Git to each cluster with a dedicated Argo CD.
    It is drawn with networkx and matplotlib.
  - The summary lists per cluster its role, environments, GitOps model, API server and what changed.
  - Files are rewritten only when their content differs; C(changed) says so.
  - The picture is drawn again only when what it shows (the topology, the services) changed since it was
    drawn (a digest in C(.topology.digest) beside it) or a picture file is missing.
author:
  - krci.platform contributors (@krci-platform)
requirements:
  - networkx
  - matplotlib
options:
  option:
    description: The cluster allocation option.
    type: str
    required: true
  topology:
    description: The clusters, as the inventory variable C(krci_topology) gives them.
    type: list
    elements: dict
    required: true
  changes:
    description: Per cluster name, counts of C(created), C(updated), C(deleted) and C(unchanged) objects.
    type: dict
    default: {}
  services:
    description:
      - Per platform service (for example C(keycloak), C(vault)), settings the other roles consume
        (issuer URL, client IDs, mounts), listed in a section of C(report.md). Never pass secrets.
      - C(where) of a service, C(platform) (installed on the platform cluster) or C(external) (given by
        URL), places it in the picture inside the platform cluster's shape or outside every cluster.
    type: dict
    default: {}
  flavours:
    description:
      - Per cluster name, its flavour fact (C(krci_flavour) of the first play; C(name) and C(openshift_version)
        are shown). Without it, the inventory's declared flavour or C(-).
    type: dict
    default: {}
  dest:
    description: Directory to write into; created if missing.
    type: path
    required: true
  documents:
    description:
      - More files of the run's output, per path relative to O(dest) (for example
        C(api-server-authentication.yaml), C(gitops/platform/root.yaml)), each a structure written as YAML
        (block style, keys sorted, indent 2), its directories created.
      - Each is rewritten only when its content differs; they never make the result changed (output of the
        run, not platform state). One call writes them all instead of a task per file.
    type: dict
    default: {}
attributes:
  check_mode:
    description: In check mode nothing is written; the markdown is still returned.
    support: full
  diff_mode:
    description: Not supported; the report is returned as RV(markdown).
    support: none
"""

EXAMPLES = r"""
- name: Write the run report
  krci.platform.topology_report:
    option: "{{ krci_allocation_option }}"
    topology: "{{ krci_topology }}"
    changes: "{{ {'platform': {'created': 3, 'updated': 0, 'unchanged': 20}} }}"
    dest: /var/tmp/krci-report
"""

RETURN = r"""
markdown:
  description: The summary, as written to report.md.
  returned: always
  type: str
files:
  description: Paths of the report files.
  returned: always
  type: list
  elements: str
documents:
  description: Paths of the files of O(documents), sorted (in check mode, the paths they would have).
  returned: always
  type: list
  elements: str
"""

import hashlib
import importlib.util
import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import yaml  # a requirement of ansible-core itself
    HAS_YAML = True
except ImportError:
    HAS_YAML = False

# Found, not imported: drawing imports them, and a picture whose inputs did not change is not drawn again.
HAS_LIBS = all(importlib.util.find_spec(name) is not None for name in ("matplotlib", "networkx"))
PICTURE_DIGEST = ".topology.digest"

from ansible_collections.krci.platform.plugins.module_utils import _report


def _replace_if_different(path, new_path):
    with open(new_path, "rb") as new:
        content = new.read()
    if os.path.exists(path):
        with open(path, "rb") as old:
            if old.read() == content:
                os.unlink(new_path)
                return False
    os.replace(new_path, path)
    return True


def _document_paths(dest, documents):
    """Per name of documents, its path under dest; a name that leads out of dest is refused."""
    paths = {}
    for name in sorted(documents):
        path = os.path.normpath(os.path.join(dest, name))
        if os.path.isabs(name) or not path.startswith(os.path.normpath(dest) + os.sep):
            raise ValueError("documents: %r is not a path inside %s" % (name, dest))
        paths[name] = path
    return paths


def _write_documents(paths, documents):
    """Each document as YAML at its path, rewritten only when its content differs; their paths."""
    for name, path in paths.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(path), delete=False) as handle:
            handle.write(yaml.safe_dump(documents[name], indent=2, allow_unicode=True, default_flow_style=False))
        os.chmod(handle.name, 0o644)
        _replace_if_different(path, handle.name)
    return list(paths.values())


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def main(module_class=AnsibleModule):
    module = module_class(argument_spec=dict(
        option=dict(type="str", required=True),
        topology=dict(type="list", elements="dict", required=True),
        changes=dict(type="dict", default={}),
        services=dict(type="dict", default={}),
        flavours=dict(type="dict", default={}),
        dest=dict(type="path", required=True),
        documents=dict(type="dict", default={}),
    ), supports_check_mode=True)
    if not HAS_LIBS:
        module.fail_json(msg=missing_required_lib("networkx and matplotlib"))
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    params = module.params
    dest = params["dest"]
    text = _report.markdown(params["option"], params["topology"], params["changes"], "topology.svg",
                            params["services"], params["flavours"])
    files = [os.path.join(dest, name) for name in ("report.md", "topology.svg", "topology.png")]
    try:
        paths = _document_paths(dest, params["documents"])
    except ValueError as exc:
        module.fail_json(msg="%s; name each document by a relative path without '..'" % exc)
    if module.check_mode:
        module.exit_json(changed=False, markdown=text, files=files, documents=list(paths.values()))
    title = "%s option" % params["option"]
    # The picture shows the topology and the services only: the same inputs draw the same files.
    digest = hashlib.sha256(json.dumps([title, params["topology"], params["services"]], sort_keys=True,
                                       default=str).encode("utf-8")).hexdigest()
    digest_path = os.path.join(dest, PICTURE_DIGEST)
    try:
        os.makedirs(dest, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest) as scratch:
            staged = [os.path.join(scratch, os.path.basename(f)) for f in files]
            with open(staged[0], "w") as handle:
                handle.write(text)
            changed = [_replace_if_different(files[0], staged[0])]
            if not (all(os.path.exists(f) for f in files[1:]) and _read(digest_path) == digest):
                graph = _report.topology_graph(params["topology"])
                _report.draw(graph, params["topology"], title, staged[1:], params["services"])
                changed.extend(_replace_if_different(f, s) for f, s in zip(files[1:], staged[1:]))
                with open(digest_path, "w") as handle:
                    handle.write(digest)
        documents = _write_documents(paths, params["documents"])
    except OSError as exc:
        module.fail_json(msg="write the report to %s: %s; check that the directory is writable" % (dest, exc))
    module.exit_json(changed=any(changed), markdown=text, files=files, documents=documents)


if __name__ == "__main__":
    main()
