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


def layout(clusters, services=None):
    """Where each shape goes: one box per cluster holding its environments and what runs in it.

    Returns a dict: ``clusters`` (name -> x, y, width, height, header, environments, services), ``git``
    (the repository's box) and ``external`` (services given by URL that run outside every cluster).
    Services: the hub Argo CD on the platform cluster, a dedicated Argo CD in each pull cluster, and
    Keycloak and Vault on the platform cluster when installed there (``services[name]["where"] ==
    "platform"``), else outside (given by URL).
    """
    services = services or {}
    order = [c for c in clusters if c["gitops"] != "pull"] + [c for c in clusters if c["gitops"] == "pull"]
    width, height, gap = 2.4, 2.0, 0.5
    shapes = {}
    for index, cluster in enumerate(order):
        inside = []
        if cluster["role"] == "platform":
            inside.append(HUB)
            inside.extend(name.capitalize() for name in ("keycloak", "vault")
                          if (services.get(name) or {}).get("where") == "platform")
        if cluster["gitops"] == "pull":
            inside.append("dedicated Argo CD")
        shapes[cluster["name"]] = {
            "x": index * (width + gap), "y": 0.0, "width": width, "height": height,
            "header": "%s\n%s, %s" % (cluster["name"], cluster["role"], cluster["gitops"]),
            "environments": list(cluster.get("environments") or []), "services": inside}
    span = len(order) * (width + gap) - gap
    external = [name.capitalize() for name in ("keycloak", "vault")
                if name in services and (services[name] or {}).get("where") != "platform"]
    top = height + 0.35 * len(order) + 0.6
    return {"clusters": shapes, "git": {"x": span / 2 - 0.8, "y": top, "width": 1.6, "height": 0.6},
            "external": {"x": 0.0, "y": top, "width": 2.0, "height": 0.6, "services": external}}


def draw(graph, clusters, title, paths, services=None):
    """Write the picture to every path (format from the extension: .svg, .png).

    Each cluster is one shape with its name, role and GitOps model, its environments and the services
    that run in it, labels inside; arrows: Git to the hub (source), the hub to each push target (push),
    Git to each pull cluster's own Argo CD (pull).
    """
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "krci.platform"  # stable element ids: same topology, same file
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # pylint: disable=import-outside-toplevel

    colors = {"platform": "#5d9cec", "workloads": "#8cc152", "staging": "#ac92ec", "production": "#da4453"}
    plan = layout(clusters, services)
    fig, axis = plt.subplots(figsize=(3.0 * max(len(clusters), 3), 5.0))

    def box(x, y, w, h, face, text=None, size=8, weight="normal", edge="#333333", style="round,pad=0.02"):
        axis.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=style, facecolor=face, edgecolor=edge, linewidth=1.2))
        if text:
            axis.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight)

    anchors = {}
    for cluster in clusters:
        shape = plan["clusters"][cluster["name"]]
        x, y, w, h = shape["x"], shape["y"], shape["width"], shape["height"]
        box(x, y, w, h, colors.get(cluster["role"], "#cccccc") + "33", edge=colors.get(cluster["role"], "#333333"))
        # The services at the top (arrows reach them from above), the environments, the name at the bottom.
        for index, service in enumerate(shape["services"]):
            sx, sy = x + 0.1, y + h - 0.44 - index * 0.4
            box(sx, sy, w - 0.2, 0.32, "#ef7b45" if "Argo CD" in service else "#f5f5f5", service, size=7)
            if "Argo CD" in service:
                anchors[(cluster["name"], "argocd")] = (sx + (w - 0.2) / 2, sy + 0.32)
        envs = shape["environments"] or ["no environments"]
        chip = (w - 0.2) / max(len(envs), 1)
        for index, env in enumerate(envs):
            box(x + 0.1 + index * chip + 0.03, y + 0.5, chip - 0.06, 0.36, "#ffffff", env, size=7)
        axis.text(x + w / 2, y + 0.2, shape["header"], ha="center", va="center", fontsize=8, weight="bold")
        anchors[(cluster["name"], "box")] = (x + w / 2, y + h)
    git = plan["git"]
    box(git["x"], git["y"], git["width"], git["height"], "#f2c14e", "Git", size=9, weight="bold")
    external = plan["external"]
    if external["services"]:
        box(external["x"], external["y"], external["width"], external["height"], "#f5f5f5",
            "outside the clusters:\n" + ", ".join(external["services"]), size=7)

    def arrow(start, end, style, color, label=None, bend=0.12):
        axis.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, linestyle=style,
                                       color=color, linewidth=1.6, connectionstyle="arc3,rad=%s" % bend))
        if label:
            lift = abs(end[0] - start[0]) * bend / -2 if bend < 0 else 0
            axis.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + lift, label, fontsize=7, color=color,
                      ha="center", va="center", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})

    git_bottom = (git["x"] + git["width"] / 2, git["y"])
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1])):
        if data["model"] == "source" and (graph.nodes[HUB].get("cluster"), "argocd") in anchors:
            arrow(git_bottom, anchors[(graph.nodes[HUB]["cluster"], "argocd")], "dotted", "#999999", "source")
        elif data["model"] == "pull" and (v, "argocd") in anchors:
            arrow(git_bottom, anchors[(v, "argocd")], "dashed", "#da4453", "pull")
        elif data["model"] == "push" and v != graph.nodes[HUB].get("cluster") and \
                (graph.nodes[HUB].get("cluster"), "argocd") in anchors:
            arrow(anchors[(graph.nodes[HUB]["cluster"], "argocd")], anchors[(v, "box")], "solid", "#ef7b45", "push",
                  bend=-0.35)
    right = max(s["x"] + s["width"] for s in plan["clusters"].values()) if plan["clusters"] else 3.0
    axis.set_xlim(-0.3, right + 0.3)
    axis.set_ylim(-0.3, git["y"] + git["height"] + 0.3)
    axis.set_title(title)
    axis.set_aspect("equal")
    axis.axis("off")
    for path in paths:
        fig.savefig(path, bbox_inches="tight", metadata={"Date": None} if path.endswith(".svg") else None)
    plt.close(fig)


def markdown(option, clusters, changes, picture, services=None, flavours=None):
    lines = ["# krci.platform: %s" % option, "",
             "| cluster | role | environments | GitOps | flavour | API server | changed objects |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for cluster in clusters:
        summary = changes.get(cluster["name"]) or {}
        changed = ", ".join("%s %d" % (k, summary[k]) for k in ("created", "updated", "deleted") if summary.get(k)) or "none"
        flavour = (flavours or {}).get(cluster["name"]) or {}
        shown = flavour.get("name") or cluster.get("flavour") or "-"
        if flavour.get("openshift_version"):
            shown += " " + flavour["openshift_version"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            cluster["name"], cluster["role"], ", ".join(cluster.get("environments") or []) or "-",
            cluster["gitops"], shown, cluster.get("api_url") or "-", changed))
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
