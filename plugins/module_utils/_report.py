# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run report: a Markdown summary and a picture of the topology (networkx + matplotlib).

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

GIT = "Git"
HUB = "hub Argo CD"


def topology_graph(clusters):
    """A directed graph: Git -> hub Argo CD -> push targets; Git -> each pull cluster's own Argo CD."""
    import networkx as nx  # pylint: disable=import-outside-toplevel

    graph = nx.DiGraph()
    graph.add_node(GIT, kind="git")
    platform = [c for c in clusters if c["role"] == "platform"]
    hub_cluster = platform[0]["name"] if platform else None
    graph.add_node(HUB, kind="argocd", cluster=hub_cluster)
    graph.add_edge(GIT, HUB, model="source")
    for cluster in clusters:
        graph.add_node(cluster["name"], kind="cluster", role=cluster["role"],
                       environments=cluster.get("environments") or [], gitops=cluster["gitops"])
        if cluster["name"] == hub_cluster:
            graph.add_edge(cluster["name"], HUB, model="hosts")
        if cluster["gitops"] == "pull":
            graph.add_edge(GIT, cluster["name"], model="pull")
        elif cluster.get("environments"):
            graph.add_edge(HUB, cluster["name"], model="push")
    return graph


def _positions(graph, clusters):
    pull = [c["name"] for c in clusters if c["gitops"] == "pull"]
    others = [c["name"] for c in clusters if c["gitops"] != "pull"]
    pos = {GIT: (0.0, 2.0), HUB: (-1.2, 1.0)}
    for index, name in enumerate(others):
        pos[name] = (-2.4 + index * 1.3, 0.0)
    for index, name in enumerate(pull):
        pos[name] = (1.4 + index * 1.4, 0.6)
    return pos


def draw(graph, clusters, title, paths):
    """Write the picture to every path (format from the extension: .svg, .png)."""
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "krci.platform"  # stable element ids: same topology, same file
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    import networkx as nx  # pylint: disable=import-outside-toplevel

    pos = _positions(graph, clusters)
    fig, axis = plt.subplots(figsize=(11, 5.5))
    colors = {"git": "#f2c14e", "argocd": "#ef7b45", "platform": "#5d9cec", "workloads": "#8cc152",
              "staging": "#ac92ec", "production": "#da4453"}
    node_colors = [colors.get(graph.nodes[n].get("role") or graph.nodes[n]["kind"], "#cccccc") for n in graph]
    labels = {}
    for node, data in graph.nodes(data=True):
        if data["kind"] == "cluster":
            envs = ", ".join(data["environments"]) or "no environments"
            extra = "\n+ dedicated Argo CD" if data["gitops"] == "pull" else ""
            labels[node] = "%s\n(%s)\n%s%s" % (node, data["role"], envs, extra)
        else:
            labels[node] = node
    nx.draw_networkx_nodes(graph, pos, ax=axis, node_color=node_colors, node_size=5200, edgecolors="#333333")
    nx.draw_networkx_labels(graph, pos, labels=labels, ax=axis, font_size=8)
    styles = {"push": ("solid", "#ef7b45"), "pull": ("dashed", "#da4453"), "source": ("dotted", "#999999"),
              "hosts": ("dotted", "#5d9cec")}
    for model, (style, color) in styles.items():
        edges = [(u, v) for u, v, d in graph.edges(data=True) if d["model"] == model]
        if edges:
            nx.draw_networkx_edges(graph, pos, edgelist=edges, ax=axis, style=style, edge_color=color, width=2,
                                   arrows=True, arrowsize=18, node_size=5200)
    edge_labels = {(u, v): d["model"] for u, v, d in graph.edges(data=True) if d["model"] in ("push", "pull")}
    nx.draw_networkx_edge_labels(graph, pos, edge_labels=edge_labels, ax=axis, font_size=8)
    axis.set_title(title)
    axis.axis("off")
    axis.margins(0.15)
    for path in paths:
        fig.savefig(path, bbox_inches="tight", metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)


def markdown(option, clusters, changes, picture, services=None):
    lines = ["# krci.platform: %s" % option, "",
             "| cluster | role | environments | GitOps | API server | changed objects |",
             "| --- | --- | --- | --- | --- | --- |"]
    for cluster in clusters:
        summary = changes.get(cluster["name"]) or {}
        changed = ", ".join("%s %d" % (k, summary[k]) for k in ("created", "updated") if summary.get(k)) or "none"
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            cluster["name"], cluster["role"], ", ".join(cluster.get("environments") or []) or "-",
            cluster["gitops"], cluster.get("api_url") or "-", changed))
    lines += ["", "Push: the hub Argo CD on the platform cluster syncs into the cluster. "
              "Pull: a dedicated Argo CD inside the cluster reads Git; nothing outside it holds its credentials.",
              "", "![topology](%s)" % picture, ""]
    if services:
        lines += ["## Platform services", "", "| service | setting | value |", "| --- | --- | --- |"]
        for service in sorted(services):
            for key, value in sorted((services[service] or {}).items()):
                if isinstance(value, dict):
                    value = ", ".join("%s: %s" % item for item in sorted(value.items())) or "-"
                elif isinstance(value, list):
                    value = ", ".join(str(v) for v in value) or "-"
                lines.append("| %s | %s | %s |" % (service, key, value))
        lines.append("")
    return "\n".join(lines)
