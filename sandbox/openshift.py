"""The sandbox's ``openshift`` flavour of a cluster: plain Kubernetes that serves OpenShift's API groups.

What is real: the CustomResourceDefinitions of openshift/api (route, security, config, operator,
console), of OLM (operators.coreos.com) and of the GitOps operator's ``ArgoCD`` from
../shared/testdata/crds, so the collection detects the cluster as OpenShift and every object it sends
is checked by the real schemas. Seeded as an installer would leave them: the ClusterVersion
``version``, the cluster ``Ingress`` with an apps domain, the ``OAuth`` and ``Authentication``
``cluster`` objects, the restricted-v2 / nonroot-v2 / anyuid SCCs, the ``openshift-*`` namespaces
and the ``redhat-operators`` CatalogSource.

What is NOT OpenShift, and is named as test stand-ins (``python -m sandbox.openshift``, one process for
all OpenShift clusters of the sandbox, log ``openshift-stand-ins.log``):

- ``NamespaceUidRanges``: gives every namespace the ``openshift.io/sa.scc.uid-range`` (and
  supplemental-groups, mcs) annotations, as OpenShift's namespace security allocation controller does;
- the admission policy ``krci-sandbox-restricted-v2-uid-range`` (a ValidatingAdmissionPolicy, not a
  controller): refuses a Pod whose runAsUser or fsGroup lies outside its namespace's range, the one
  restricted-v2 rule the tests need; SCC admission itself (UID assignment, the other SCC rules) is absent;
- ``SubscriptionResolver``: stands in for OLM's resolution: a Subscription becomes an InstallPlan of its
  ``startingCSV`` (approved at once when ``installPlanApproval: Automatic``); an approved InstallPlan
  installs the bundle's CRDs from ../shared/testdata (what OLM's bundle unpacking would install) and
  records the ClusterServiceVersion as ``Succeeded``. It runs no operator, but for the GitOps one (below);
- the GitOps operator's deployment: OLM would run the operator's Deployment from the bundle; the stand-in
  instead starts, once per cluster, the real argocd-operator (the reconciler OpenShift GitOps ships, built
  from the Go module proxy by ``sandbox.build.argocd_operator``) as a host process against the cluster, with
  the bundle's other CRDs from its module. Nothing else of the bundle runs (no console plugin, no default
  instance); its log is ``gitops-operator/<cluster>.log``;
- ``RouteAdmitter``: admits a Route as the router would (``status.ingress`` with ``Admitted``; a host
  already claimed by an older Route is not admitted). Nothing serves traffic.

No router, OAuth server, SCC admission or OLM runs here: the docs (docs/openshift.md) say so.
"""

import argparse
import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import yaml

from sandbox.charts import TESTDATA
from sandbox.log import Step

OPENSHIFT_VERSION = "4.20.8"
CRD_FOLDERS = ("openshift", "olm", "argocd-operator")
UID_RANGE = "openshift.io/sa.scc.uid-range"
SUPPLEMENTAL = "openshift.io/sa.scc.supplemental-groups"
MCS = "openshift.io/sa.scc.mcs"
UID_BASE, UID_BLOCK = 1000600000, 10000
POLICY = "krci-sandbox-restricted-v2-uid-range"
CATALOG = "redhat-operators"
CATALOG_NAMESPACE = "openshift-marketplace"
SYSTEM_NAMESPACES = ("openshift-config", "openshift-config-managed", "openshift-ingress", "openshift-dns",
                     "openshift-operators", CATALOG_NAMESPACE, "openshift-authentication")

# package -> folders of ../shared/testdata/crds whose CRDs its bundle carries (what the SubscriptionResolver
# installs when an InstallPlan of that package is approved).
BUNDLE_CRDS = {
    "openshift-gitops-operator": ("argo-cd", "argocd-operator"),
    "openshift-pipelines-operator-rh": ("tekton-pipeline", "tekton-triggers"),
    "openshift-cert-manager-operator": ("cert-manager",),
    "openshift-external-secrets-operator": ("external-secrets",),
}


def domain(cluster_name):
    return "apps.%s.krci.test" % cluster_name


def _kubectl(kubectl, cluster, *args, stdin=None):
    proc = subprocess.run([str(kubectl), "--kubeconfig", cluster["kubeconfig"], "--context", cluster["context"]]
                          + list(args), input=stdin, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("openshift flavour of %s: kubectl %s: %s" % (cluster["name"], " ".join(args[:3]),
                                                                          proc.stderr.strip()))
    return proc.stdout


def crd_files(folders):
    files = []
    for folder in folders:
        files.extend(sorted(p for p in (TESTDATA / folder).glob("*.yaml")
                            if p.name not in ("install.yaml", "ha-install.yaml")))
    return files


def install_crds(kubectl, cluster, folders):
    args = ["apply", "--server-side", "--force-conflicts", "--field-manager", "krci-sandbox"]
    for path in crd_files(folders):
        args += ["-f", str(path)]
    names = [line.split("/", 1)[-1].split()[0] for line in _kubectl(kubectl, cluster, *args).splitlines() if "/" in line]
    deadline = time.monotonic() + 60
    while True:
        crds = json.loads(_kubectl(kubectl, cluster, "get", "crd", "-o", "json"))["items"]
        established = {c["metadata"]["name"] for c in crds
                       if any(x["type"] == "Established" and x["status"] == "True"
                              for x in (c.get("status") or {}).get("conditions") or [])}
        waiting = sorted(set(names) - established)
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("openshift flavour of %s: CRDs not Established after 60s: %s"
                               % (cluster["name"], ", ".join(waiting)))
        time.sleep(0.5)


def seed_objects(cluster_name):
    """What an OpenShift installer leaves behind that the collection reads or writes next to."""
    scc_common = {"apiVersion": "security.openshift.io/v1", "kind": "SecurityContextConstraints",
                  "allowHostDirVolumePlugin": False, "allowHostIPC": False, "allowHostNetwork": False,
                  "allowHostPID": False, "allowHostPorts": False, "allowPrivilegedContainer": False,
                  "allowedCapabilities": None, "defaultAddCapabilities": None, "priority": None,
                  "readOnlyRootFilesystem": False, "fsGroup": {"type": "MustRunAs"},
                  "seLinuxContext": {"type": "MustRunAs"}, "supplementalGroups": {"type": "RunAsAny"},
                  "volumes": ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                              "projected", "secret"], "users": [], "groups": []}
    sccs = [
        dict(scc_common, metadata={"name": "restricted-v2"}, allowPrivilegeEscalation=False,
             requiredDropCapabilities=["ALL"], allowedCapabilities=["NET_BIND_SERVICE"],
             runAsUser={"type": "MustRunAsRange"}, seccompProfiles=["runtime/default"]),
        dict(scc_common, metadata={"name": "nonroot-v2"}, allowPrivilegeEscalation=False,
             requiredDropCapabilities=["ALL"], allowedCapabilities=["NET_BIND_SERVICE"],
             runAsUser={"type": "MustRunAsNonRoot"}, seccompProfiles=["runtime/default"]),
        dict(scc_common, metadata={"name": "anyuid"}, requiredDropCapabilities=["MKNOD"],
             runAsUser={"type": "RunAsAny"}, fsGroup={"type": "RunAsAny"}, priority=10,
             groups=["system:cluster-admins"]),
    ]
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in SYSTEM_NAMESPACES]
    objects += sccs
    objects += [
        {"apiVersion": "config.openshift.io/v1", "kind": "ClusterVersion", "metadata": {"name": "version"},
         "spec": {"clusterID": str(uuid.uuid5(uuid.NAMESPACE_DNS, cluster_name + ".krci.test")),
                  "channel": "stable-4.20"}},
        {"apiVersion": "config.openshift.io/v1", "kind": "Ingress", "metadata": {"name": "cluster"},
         "spec": {"domain": domain(cluster_name)}},
        {"apiVersion": "config.openshift.io/v1", "kind": "OAuth", "metadata": {"name": "cluster"}, "spec": {}},
        {"apiVersion": "config.openshift.io/v1", "kind": "Authentication", "metadata": {"name": "cluster"},
         "spec": {"type": "IntegratedOAuth"}},
        {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "CatalogSource",
         "metadata": {"name": CATALOG, "namespace": CATALOG_NAMESPACE},
         "spec": {"sourceType": "grpc", "image": "registry.redhat.io/redhat/redhat-operator-index:v4.20",
                  "displayName": "Red Hat Operators", "publisher": "Red Hat"}},
        # OpenShift's global OperatorGroup: operators in openshift-operators watch all namespaces.
        {"apiVersion": "operators.coreos.com/v1", "kind": "OperatorGroup",
         "metadata": {"name": "global-operators", "namespace": "openshift-operators"}, "spec": {}},
    ]
    return objects


def admission_policy():
    """restricted-v2's UID-range rule, as a ValidatingAdmissionPolicy written for the tests."""
    provider = "unable to validate against any security context constraint: [provider \\\"restricted-v2\\\": "
    return [
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
         "metadata": {"name": POLICY, "annotations": {
             "krci.platform/sandbox": "test stand-in for SCC admission's restricted-v2 UID range rule; not OpenShift"}},
         "spec": {
             "failurePolicy": "Fail",
             "matchConstraints": {
                 "resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                    "resources": ["pods"]}],
                 "namespaceSelector": {"matchExpressions": [{
                     "key": "kubernetes.io/metadata.name", "operator": "NotIn",
                     "values": ["kube-system", "kube-public", "kube-node-lease"]}]}},
             "variables": [
                 {"name": "annotations", "expression":
                  "has(namespaceObject.metadata.annotations) ? namespaceObject.metadata.annotations : {}"},
                 {"name": "range", "expression":
                  "'%s' in variables.annotations ? variables.annotations['%s'] : ''" % (UID_RANGE, UID_RANGE)},
                 {"name": "low", "expression": "variables.range == '' ? 0 : int(variables.range.split('/')[0])"},
                 {"name": "high", "expression":
                  "variables.range == '' ? 0 : variables.low + int(variables.range.split('/')[1]) - 1"},
                 {"name": "ids", "expression":
                  "(has(object.spec.securityContext) && has(object.spec.securityContext.runAsUser)"
                  " ? [object.spec.securityContext.runAsUser] : [])"
                  " + (has(object.spec.securityContext) && has(object.spec.securityContext.fsGroup)"
                  " ? [object.spec.securityContext.fsGroup] : [])"
                  " + (object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : []))"
                  ".filter(c, has(c.securityContext) && has(c.securityContext.runAsUser))"
                  ".map(c, c.securityContext.runAsUser)"},
                 {"name": "outside", "expression":
                  "variables.ids.filter(u, u < variables.low || u > variables.high)"},
             ],
             "validations": [
                 {"expression": "variables.range != ''",
                  "messageExpression": "'%snamespace ' + namespaceObject.metadata.name + ' has no %s annotation]'"
                                       % (provider, UID_RANGE)},
                 {"expression": "size(variables.outside) == 0",
                  "messageExpression": "'%s.spec.securityContext.runAsUser: Invalid value: ' + string(variables.outside[0])"
                                       " + ': must be in the ranges: [' + string(variables.low) + ', '"
                                       " + string(variables.high) + ']] (sandbox policy %s)'" % (provider, POLICY)},
             ]}},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
         "metadata": {"name": POLICY}, "spec": {"policyName": POLICY, "validationActions": ["Deny"]}},
    ]


def prepare(kubectl, cluster):
    """Make one sandbox cluster serve OpenShift's API groups and seed it (the stand-ins run separately)."""
    with Step(cluster["name"], "openshift flavour: CRDs of openshift/api, OLM and the ArgoCD operator"):
        install_crds(kubectl, cluster, CRD_FOLDERS)
        stream = "".join("---\n" + json.dumps(obj) + "\n" for obj in seed_objects(cluster["name"]) + admission_policy())
        _kubectl(kubectl, cluster, "apply", "--server-side", "--field-manager", "krci-sandbox", "-f", "-", stdin=stream)
        status = {"status": {"desired": {"version": OPENSHIFT_VERSION, "image": "quay.io/openshift-release-dev/"
                                         "ocp-release:%s-x86_64" % OPENSHIFT_VERSION},
                             "history": [{"state": "Completed", "version": OPENSHIFT_VERSION, "verified": False,
                                          "image": "quay.io/openshift-release-dev/ocp-release:%s-x86_64"
                                          % OPENSHIFT_VERSION,
                                          "startedTime": "2026-11-01T00:00:00Z",
                                          "completionTime": "2026-11-01T00:40:00Z"}],
                             "observedGeneration": 1, "versionHash": "sandbox", "availableUpdates": []}}
        _kubectl(kubectl, cluster, "patch", "clusterversion", "version", "--subresource", "status", "--type", "merge",
                 "-p", json.dumps(status))
        # The clients the authentication operator lists as configurable under external OIDC (the API takes
        # oidcClients only for them): the console, as on OpenShift 4.20.
        clients = {"status": {"oidcClients": [{"componentName": "console", "componentNamespace": "openshift-console",
                                               "consumingUsers": ["system:serviceaccount:openshift-console:console"]}]}}
        _kubectl(kubectl, cluster, "patch", "authentications.config.openshift.io", "cluster", "--subresource", "status", "--type", "merge",
                 "-p", json.dumps(clients))


# --- The stand-ins (python -m sandbox.openshift --cluster NAME=KUBECONFIG@CONTEXT ...) ------------------------


class Cluster:
    def __init__(self, name, kubeconfig, context):
        from kubernetes import client, config

        self.name = name
        api = config.new_client_from_config(config_file=kubeconfig, context=context)
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.ext = client.ApiextensionsV1Api(api)
        self.api = api


def log(cluster, controller, text):
    sys.stdout.write("%s %s [%s] %s\n" % (time.strftime("%H:%M:%S"), cluster.name, controller, text))
    sys.stdout.flush()


class NamespaceUidRanges:
    """Stand-in for OpenShift's namespace security allocation controller: one UID block per namespace."""

    def __init__(self, cluster):
        self.cluster = cluster

    def watches(self):
        return [("namespaces", self.cluster.core.list_namespace, ())]

    def step(self):
        namespaces = self.cluster.core.list_namespace().items
        taken = set()
        for ns in namespaces:
            value = (ns.metadata.annotations or {}).get(UID_RANGE)
            if value:
                taken.add(int(value.split("/")[0]))
        for ns in namespaces:
            if (ns.metadata.annotations or {}).get(UID_RANGE) or ns.status.phase == "Terminating":
                continue
            block = next(UID_BASE + i * UID_BLOCK for i in range(10000) if UID_BASE + i * UID_BLOCK not in taken)
            taken.add(block)
            annotations = {UID_RANGE: "%d/%d" % (block, UID_BLOCK), SUPPLEMENTAL: "%d/%d" % (block, UID_BLOCK),
                           MCS: "s0:c%d,c%d" % (26 + len(taken) % 900, 5 + len(taken) % 20)}
            self.cluster.core.patch_namespace(ns.metadata.name, {"metadata": {"annotations": annotations}})
            log(self.cluster, "namespace-uid-ranges", "%s: %s" % (ns.metadata.name, annotations[UID_RANGE]))


GITOPS_PACKAGE = "openshift-gitops-operator"
# The operator module's CRDs the bundle carries besides those of ../shared/testdata (which win where both have one).
GITOPS_TESTDATA_CRDS = ("argoproj.io_argocds.yaml", "argoproj.io_applications.yaml", "argoproj.io_applicationsets.yaml",
                        "argoproj.io_appprojects.yaml")


class GitOpsOperator:
    """The real argocd-operator of one cluster, as OLM would run the GitOps bundle's Deployment (all namespaces)."""

    def __init__(self, cluster_entry, kubectl, operator_home, home):
        self.entry = cluster_entry
        self.kubectl = kubectl
        self.operator_home = Path(operator_home)
        self.home = Path(home)
        self.proc = None

    def crds(self):
        folder = self.operator_home / "crds"
        return [p for p in sorted(folder.glob("*.yaml")) if p.name not in GITOPS_TESTDATA_CRDS]

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            return False
        from sandbox import procs

        args = ["apply", "--server-side", "--force-conflicts", "--field-manager", "krci-sandbox-olm"]
        for path in self.crds():
            args += ["-f", str(path)]
        _kubectl(self.kubectl, self.entry, *args)
        ports = [procs.free_port(), procs.free_port()]
        self.home.mkdir(parents=True, exist_ok=True)
        # All namespaces, as OLM's AllNamespaces install mode (an empty WATCH_NAMESPACE); the redis templates its
        # image carries in /var/lib/redis.
        env = {"KUBECONFIG": self.entry["kubeconfig"], "PATH": "/usr/bin:/bin", "HOME": str(self.home),
               "LOG_LEVEL": "info", "WATCH_NAMESPACE": "", "REDIS_CONFIG_PATH": str(self.operator_home / "redis")}
        log_file = open(str(self.home / ("%s.log" % self.entry["name"])), "ab")  # pylint: disable=consider-using-with
        # Same process group as the stand-ins: stopping them stops it.
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(self.operator_home / "bin" / "argocd-operator"), "--metrics-bind-address", "127.0.0.1:%d" % ports[0], "--health-probe-bind-address",
             "127.0.0.1:%d" % ports[1], "--leader-elect=false"],
            stdout=log_file, stderr=subprocess.STDOUT, env=env, cwd=str(self.home))
        return True


class SubscriptionResolver:
    """Stand-in for OLM's catalog resolution: Subscription -> InstallPlan -> (approved) CRDs + Succeeded CSV."""

    GROUP = "operators.coreos.com"

    def __init__(self, cluster, kubectl, cluster_entry, gitops_operator=None):
        self.cluster = cluster
        self.kubectl = kubectl
        self.entry = cluster_entry
        self.gitops_operator = gitops_operator
        self.first = True

    def _list(self, plural):
        return self.cluster.custom.list_cluster_custom_object(self.GROUP, "v1alpha1", plural)["items"]

    def watches(self):
        return [(plural, self.cluster.custom.list_cluster_custom_object, (self.GROUP, "v1alpha1", plural))
                for plural in ("subscriptions", "installplans")]

    def step(self):
        if self.first:
            # A sandbox whose stand-ins restarted: the GitOps operator OLM had installed runs again.
            self.first = False
            if any((s.get("spec") or {}).get("name") == GITOPS_PACKAGE and (s.get("status") or {}).get("installedCSV")
                   for s in self._list("subscriptions")):
                self._start_gitops_operator()
        for sub in self._list("subscriptions"):
            meta, spec, status = sub["metadata"], sub.get("spec") or {}, sub.get("status") or {}
            if status.get("installPlanRef"):
                continue
            csv = spec.get("startingCSV") or "%s.v0.0.0" % spec.get("name")
            plan_name = "install-%s" % uuid.uuid5(uuid.NAMESPACE_URL, meta["namespace"] + "/" + meta["name"] + csv).hex[:5]
            approval = spec.get("installPlanApproval") or "Automatic"
            plan = {"apiVersion": self.GROUP + "/v1alpha1", "kind": "InstallPlan",
                    "metadata": {"name": plan_name, "namespace": meta["namespace"],
                                 "labels": {"operators.coreos.com/%s.%s" % (spec.get("name"), meta["namespace"]): ""},
                                 "ownerReferences": [{"apiVersion": self.GROUP + "/v1alpha1", "kind": "Subscription",
                                                      "name": meta["name"], "uid": meta["uid"]}]},
                    "spec": {"approval": approval, "approved": approval == "Automatic",
                             "clusterServiceVersionNames": [csv], "generation": 1}}
            self._create(meta["namespace"], "installplans", plan)
            created = self.cluster.custom.get_namespaced_custom_object(self.GROUP, "v1alpha1", meta["namespace"],
                                                                       "installplans", plan_name)
            ref = {"apiVersion": self.GROUP + "/v1alpha1", "kind": "InstallPlan", "name": plan_name,
                   "namespace": meta["namespace"], "uid": created["metadata"]["uid"]}
            self._subscription_status(sub, {"installPlanRef": ref, "installplan": {
                "apiVersion": ref["apiVersion"], "kind": "InstallPlan", "name": plan_name,
                "uuid": created["metadata"]["uid"]},
                "currentCSV": csv, "state": "UpgradePending",
                "catalogHealth": [{"catalogSourceRef": {"name": spec.get("source"), "namespace": spec.get("sourceNamespace")},
                                   "healthy": True, "lastUpdated": _now()}],
                "lastUpdated": _now()})
            log(self.cluster, "subscription-resolver", "%s/%s -> InstallPlan %s (%s) of %s"
                % (meta["namespace"], meta["name"], plan_name, approval, csv))
        for plan in self._list("installplans"):
            if not plan["spec"].get("approved") or (plan.get("status") or {}).get("phase") == "Complete":
                continue
            self._install(plan)

    def _install(self, plan):
        meta = plan["metadata"]
        owner = next((o["name"] for o in meta.get("ownerReferences") or [] if o["kind"] == "Subscription"), None)
        sub = self.cluster.custom.get_namespaced_custom_object(self.GROUP, "v1alpha1", meta["namespace"],
                                                              "subscriptions", owner) if owner else None
        package = ((sub or {}).get("spec") or {}).get("name")
        folders = BUNDLE_CRDS.get(package, ())
        if folders:
            install_crds(self.kubectl, self.entry, folders)
        for csv in plan["spec"]["clusterServiceVersionNames"]:
            body = {"apiVersion": self.GROUP + "/v1alpha1", "kind": "ClusterServiceVersion",
                    "metadata": {"name": csv, "namespace": meta["namespace"],
                                 "annotations": {"krci.platform/sandbox": "recorded by the sandbox's OLM stand-in; "
                                                                          "no operator runs"}},
                    "spec": {"displayName": package or csv, "install": {"strategy": "deployment",
                                                                         "spec": {"deployments": []}},
                             "version": csv.split(".v", 1)[-1] if ".v" in csv else "0.0.0"}}
            self._create(meta["namespace"], "clusterserviceversions", body)
            self.cluster.custom.patch_namespaced_custom_object_status(
                self.GROUP, "v1alpha1", meta["namespace"], "clusterserviceversions", csv,
                {"status": {"phase": "Succeeded", "reason": "InstallSucceeded", "message": "sandbox stand-in",
                            "lastUpdateTime": _now(), "lastTransitionTime": _now()}})
        self.cluster.custom.patch_namespaced_custom_object_status(
            self.GROUP, "v1alpha1", meta["namespace"], "installplans", meta["name"],
            {"status": {"phase": "Complete", "catalogSources": [], "plan": []}})
        if package == GITOPS_PACKAGE:
            self._start_gitops_operator()
        if sub is not None:
            self._subscription_status(sub, dict(sub.get("status") or {}, state="AtLatestKnown",
                                                installedCSV=plan["spec"]["clusterServiceVersionNames"][0],
                                                lastUpdated=_now()))
        log(self.cluster, "subscription-resolver", "InstallPlan %s/%s approved: %s Succeeded (CRDs of %s)"
            % (meta["namespace"], meta["name"], ", ".join(plan["spec"]["clusterServiceVersionNames"]),
               ", ".join(folders) or "none"))

    def _start_gitops_operator(self):
        if self.gitops_operator is not None and self.gitops_operator.start():
            log(self.cluster, "subscription-resolver", "GitOps operator: argocd-operator started (log %s)"
                % (self.gitops_operator.home / ("%s.log" % self.cluster.name)))

    def _create(self, namespace, plural, body):
        """Create an OLM object; one that exists already (an earlier step of this stand-in) is kept."""
        try:
            self.cluster.custom.create_namespaced_custom_object(self.GROUP, "v1alpha1", namespace, plural, body)
        except Exception as exc:  # pylint: disable=broad-except
            if getattr(exc, "status", None) != 409:
                raise

    def _subscription_status(self, sub, status):
        meta = sub["metadata"]
        self.cluster.custom.patch_namespaced_custom_object_status(
            self.GROUP, "v1alpha1", meta["namespace"], "subscriptions", meta["name"], {"status": status})


class RouteAdmitter:
    """Stand-in for the router's admission: the oldest Route of a host is admitted, the others are not."""

    def __init__(self, cluster):
        self.cluster = cluster

    def watches(self):
        return [("routes", self.cluster.custom.list_cluster_custom_object, ("route.openshift.io", "v1", "routes"))]

    def step(self):
        routes = self.cluster.custom.list_cluster_custom_object("route.openshift.io", "v1", "routes")["items"]
        routes.sort(key=lambda r: (r["metadata"]["creationTimestamp"], r["metadata"]["namespace"], r["metadata"]["name"]))
        owners = {}
        for route in routes:
            meta, spec = route["metadata"], route.get("spec") or {}
            host = spec.get("host") or "%s-%s.%s" % (meta["name"], meta["namespace"], domain(self.cluster.name))
            owner = owners.setdefault(host, (meta["namespace"], meta["name"]))
            admitted = owner == (meta["namespace"], meta["name"])
            condition = {"type": "Admitted", "status": "True" if admitted else "False",
                         "lastTransitionTime": _now()}
            if not admitted:
                condition.update(reason="HostAlreadyClaimed",
                                 message="route %s already exposes %s and is older" % (owner[1], host))
            current = ((route.get("status") or {}).get("ingress") or [{}])[0]
            if current.get("host") == host and [(c.get("type"), c.get("status")) for c in current.get("conditions") or []] \
                    == [("Admitted", condition["status"])]:
                continue
            self.cluster.custom.patch_namespaced_custom_object_status(
                "route.openshift.io", "v1", meta["namespace"], "routes", meta["name"],
                {"status": {"ingress": [{"host": host, "routerName": "default", "wildcardPolicy": "None",
                                         "routerCanonicalHostname": "router-default." + domain(self.cluster.name),
                                         "conditions": [condition]}]}})
            log(self.cluster, "route-admitter", "%s/%s %s: %s" % (meta["namespace"], meta["name"], host,
                                                                  "admitted" if admitted else "not admitted"))


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# A controller steps when a watch of what it reads reports a change (at most once per SETTLE seconds), and every
# RESYNC seconds in any case: not a list of every resource every second, which on six clusters was a CPU of its own
# (9 lists a second, each decoded in Python) while the tests need the CPU.
SETTLE = 0.5
RESYNC = 30.0
WATCH_SECONDS = 300


def watch_changes(controller, what, list_function, args, wake):
    """Sets ``wake`` on every event of a watch of ``what`` (and when a watch ends or fails, to resync)."""
    from kubernetes import watch

    while True:
        try:
            for _event in watch.Watch().stream(list_function, *args, timeout_seconds=WATCH_SECONDS,
                                               _request_timeout=WATCH_SECONDS + 30):
                wake.set()
        except Exception as exc:  # pylint: disable=broad-except
            # A CRD not served yet, an API server restarted by a fault test: watch again shortly.
            log(controller.cluster, type(controller).__name__, "watch of %s: %s" % (what, str(exc).splitlines()[0]))
            time.sleep(2)
        wake.set()


def step_on_change(controller, wake, settle=SETTLE, resync=RESYNC):
    """The controller's loop: wait for a change (or the resync), let a burst of writes settle, step."""
    while True:
        wake.wait(resync)
        time.sleep(settle)
        wake.clear()
        try:
            controller.step()
        except Exception as exc:  # pylint: disable=broad-except
            log(controller.cluster, type(controller).__name__, "error: %s" % exc)
            wake.set()  # step again once settled (a conflict, an API server restarting)
            time.sleep(1)


def run(clusters, kubectl, gitops_operator=None, home=None):
    controllers = []
    for entry in clusters:
        cluster = Cluster(entry["name"], entry["kubeconfig"], entry["context"])
        operator = GitOpsOperator(entry, kubectl, gitops_operator, home) if gitops_operator else None
        controllers += [NamespaceUidRanges(cluster), SubscriptionResolver(cluster, kubectl, entry, operator),
                        RouteAdmitter(cluster)]
    threads = []
    for controller in controllers:
        wake = threading.Event()
        wake.set()  # the first step at once
        threads.append(threading.Thread(target=step_on_change, args=(controller, wake), daemon=True))
        threads += [threading.Thread(target=watch_changes, args=(controller, what, function, args, wake), daemon=True)
                    for what, function, args in controller.watches()]
    for thread in threads:
        thread.start()
    sys.stdout.write("stand-ins running for %s\n" % ", ".join(c["name"] for c in clusters))
    sys.stdout.flush()
    while True:
        time.sleep(3600)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.openshift", description=(
        "Test stand-ins for the sandbox's OpenShift-flavoured clusters (namespace UID ranges, OLM's Subscription "
        "resolution, the router's Route admission). Not OpenShift."))
    parser.add_argument("--kubectl", required=True)
    parser.add_argument("--cluster", action="append", required=True, help="NAME=KUBECONFIG@CONTEXT")
    parser.add_argument("--gitops-operator", help="the argocd-operator build (bin/, crds/) to run for the GitOps bundle")
    parser.add_argument("--home", help="where the GitOps operator's logs go")
    args = parser.parse_args(argv)
    clusters = []
    for spec in args.cluster:
        name, rest = spec.split("=", 1)
        kubeconfig, context = rest.rsplit("@", 1)
        clusters.append({"name": name, "kubeconfig": kubeconfig, "context": context})
    run(clusters, Path(args.kubectl), gitops_operator=args.gitops_operator, home=args.home)


if __name__ == "__main__":
    main()
