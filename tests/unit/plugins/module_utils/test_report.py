from ansible_collections.krci.platform.plugins.module_utils import _report, _topology


def edges(graph, model):
    return sorted((u, v) for u, v, d in graph.edges(data=True) if d["model"] == model)


def test_separated_graph_pushes_to_workloads_and_pull_clusters_read_git():
    graph = _report.topology_graph(_topology.clusters("separated"))
    assert edges(graph, "push") == [(_report.HUB, "workloads")]
    assert edges(graph, "pull") == [(_report.GIT, "production"), (_report.GIT, "staging")]
    assert graph.nodes[_report.HUB]["cluster"] == "platform"


def test_no_push_arrow_ever_reaches_a_pull_cluster():
    for option in _topology.OPTIONS:
        clusters = _topology.clusters(option)
        graph = _report.topology_graph(clusters)
        pulled = {c["name"] for c in clusters if c["gitops"] == "pull"}
        assert not {edge[1] for edge in edges(graph, "push")} & pulled


def test_markdown_lists_every_cluster_with_its_changes():
    clusters = _topology.clusters("shared")
    text = _report.markdown("shared", clusters, {"platform": {"created": 3, "updated": 1, "unchanged": 9}},
                            "topology.svg", flavours={"production": {"name": "openshift", "openshift_version": "4.20.3"},
                                                      "platform": {"name": "kubernetes"}})
    assert "| platform | platform | dev, test | push | kubernetes | - | created 3, updated 1 |" in text
    assert "| production | production | production | pull | openshift 4.20.3 | - | none |" in text
    assert "| staging | staging | staging | push | - | - | none |" in text
    assert "![topology](topology.svg)" in text


def test_pictures_are_written_and_stable(tmp_path):
    clusters = _topology.clusters("isolated")
    first = [str(tmp_path / "a.svg"), str(tmp_path / "a.png")]
    second = [str(tmp_path / "b.svg"), str(tmp_path / "b.png")]
    _report.draw(_report.topology_graph(clusters), clusters, "isolated", first)
    _report.draw(_report.topology_graph(clusters), clusters, "isolated", second)
    assert open(first[0]).read().startswith("<?xml")
    assert open(first[1], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert open(first[0]).read() == open(second[0]).read()


def test_markdown_lists_the_platform_services_when_given():
    clusters = [{"name": "platform", "role": "platform", "environments": [], "gitops": "hub"}]
    text = _report.markdown("shared", clusters, {}, "topology.svg", {
        "keycloak": {"issuer": "https://kc/realms/krci", "clients": {"kubernetes": "kubernetes", "vault": "vault"}}})
    assert "## Platform services" in text
    assert "| keycloak | issuer | https://kc/realms/krci |" in text
    assert "| keycloak | clients | kubernetes: kubernetes, vault: vault |" in text
    assert "Platform services" not in _report.markdown("shared", clusters, {}, "topology.svg")


def test_each_cluster_is_one_shape_with_its_environments_and_services():
    clusters = _topology.clusters("separated")
    plan = _report.layout(clusters, {"keycloak": {"where": "external"}, "vault": {"where": "platform"}})
    shapes = plan["clusters"]
    assert shapes["workloads"]["environments"] == ["dev", "test", "uat"]
    assert shapes["platform"]["services"] == [_report.HUB, "Vault"]
    assert shapes["production"]["services"] == ["dedicated Argo CD"] == shapes["staging"]["services"]
    assert shapes["workloads"]["services"] == []
    assert plan["external"]["services"] == ["Keycloak"]
    # Side by side, never overlapping, pull clusters last.
    boxes = sorted(shapes.values(), key=lambda s: s["x"])
    assert all(a["x"] + a["width"] < b["x"] for a, b in zip(boxes, boxes[1:]))
    assert [name for name, s in sorted(shapes.items(), key=lambda i: i[1]["x"])][-2:] == ["staging", "production"]


def test_the_picture_labels_every_cluster_environment_and_service_inside(tmp_path):
    clusters = _topology.clusters("shared")
    path = str(tmp_path / "t.svg")
    _report.draw(_report.topology_graph(clusters), clusters, "shared", [path], {"keycloak": {"where": "platform"}})
    text = open(path).read()
    for label in ("platform", "platform, push", "staging, push", "production, pull",
                  "dev", "test", "hub Argo CD", "dedicated Argo CD", "Keycloak", "Git"):
        assert "<!-- %s -->" % label in text or label in text, label
