"""moto in server mode: the test ground's AWS (the one stand-in the integration tests allow), with its request
recorder on, so a test or a bench can tell which AWS calls a run made and whether any of them wrote.

moto records every request it serves (headers, method, URL, body) to a JSON-lines file; ``requests`` reads that
file back as (service, action, write) entries: the service from the SigV4 credential scope, the action from the
query protocol's ``Action``, the JSON protocol's ``X-Amz-Target`` or, for REST services such as EKS, the method
and path.
"""

import base64
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sandbox import procs

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
# Calls that read, or open a session: anything else is a write.
READS = re.compile(r"^(Describe|Get|List|BatchGet|Lookup|Search|AssumeRole|Decrypt|Encrypt|GenerateDataKey)")


def start(log_path):
    """moto on a free loopback port, AWS's managed IAM policies loaded (they exist in every real account) and its
    recorder writing to ``<log_path's folder>/moto-requests.jsonl``. Returns (url, process)."""
    import requests  # pylint: disable=import-outside-toplevel

    log_path = Path(log_path)
    port = procs.free_port()
    # ACM issues a requested certificate this many seconds after the request (moto checks no DNS record; the tests
    # check that the run wrote them in the zone).
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", MOTO_ENABLE_RECORDING="true",
               MOTO_RECORDER_FILEPATH=str(recording_path(log_path)), MOTO_ACM_VALIDATION_WAIT="3")
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-p", str(port)], stdout=log, stderr=log,
                                   env=env)
    url = "http://127.0.0.1:%d" % port
    for _attempt in range(100):
        try:
            requests.get(url + "/moto-api/", timeout=1)
            break
        except requests.exceptions.ConnectionError:
            time.sleep(0.1)
    return url, process


def recording_path(log_path):
    return Path(log_path).parent / "moto-requests.jsonl"


def reset(url):
    """Forget the requests recorded so far."""
    import requests  # pylint: disable=import-outside-toplevel

    requests.post(url + "/moto-api/recorder/reset-recording", timeout=10).raise_for_status()


def requests_made(log_path):
    """[{service, action, write}] of every request moto served since the last ``reset``."""
    import json  # pylint: disable=import-outside-toplevel

    path = recording_path(log_path)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text().splitlines():
        if line.strip():
            entries.append(classify(json.loads(line)))
    return entries


def classify(entry):
    """(service, action, write) of one recorded request."""
    headers = dict((k.lower(), v) for k, v in entry.get("headers", {}).items())
    scope = SCOPE.search(headers.get("authorization", ""))
    service = scope.group(1) if scope else "unsigned"
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    action = None
    if "x-amz-target" in headers:
        action = headers["x-amz-target"].rsplit(".", 1)[-1]
    else:
        query = parse_qs(urlparse(entry.get("url", "")).query)
        form = parse_qs(body) if "x-www-form-urlencoded" in headers.get("content-type", "") else {}
        action = (form.get("Action") or query.get("Action") or [None])[0]
    if action is not None:
        write = not READS.match(action)
    else:  # REST (EKS, ...): the operation whose method and URI pattern match, from botocore's model
        method = entry.get("method", "GET").upper()
        path = urlparse(entry.get("url", "")).path
        action = rest_operation(service, method, path) or "%s %s" % (method, path)
        write = method not in ("GET", "HEAD")
    return {"service": service, "action": action, "write": write}


_REST = {}


def rest_operation(service, method, path):
    """The API operation (IAM action name) of a REST request, matched against botocore's service model."""
    if service not in _REST:
        import botocore.session  # pylint: disable=import-outside-toplevel

        try:
            model = botocore.session.get_session().get_service_model(service)
        except Exception:  # pylint: disable=broad-except
            _REST[service] = []
        else:
            routes = []
            for name in model.operation_names:
                http = model.operation_model(name).http
                uri = http.get("requestUri", "/").split("?", 1)[0]
                pattern = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(uri))
                pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", pattern)
                routes.append((http.get("method", "GET"), re.compile("^%s/?$" % pattern), name, uri.count("{")))
            # the most literal match first (/clusters/x/node-groups before /clusters/{name}/{rest+})
            _REST[service] = sorted(routes, key=lambda r: r[3])
    for route_method, pattern, name, _params in _REST[service]:
        if route_method == method and pattern.match(path):
            return name
    return None


def actions(entries):
    """The distinct IAM actions (service:Action) of ``requests_made``'s entries, sorted."""
    return sorted(set("%s:%s" % (e["service"], e["action"]) for e in entries))


def counts(entries):
    """{service: {requests, writes}} of ``requests_made``'s entries."""
    result = {}
    for entry in entries:
        item = result.setdefault(entry["service"], {"requests": 0, "writes": 0})
        item["requests"] += 1
        item["writes"] += int(entry["write"])
    return dict(sorted(result.items()))


def aws_only_topology(where, option, aws, names):
    """A topology of ``option`` on AWS alone, for runs of playbooks/aws.yml against moto: ``where``/topology.yml with
    the ``aws`` block, and per cluster of ``names`` a kubeconfig naming an EKS endpoint no run reaches (the AWS play
    writes the real ones under ``where``/kubeconfigs); EKS access entries off (not in moto)."""
    import yaml

    where = Path(where)
    where.mkdir(parents=True, exist_ok=True)
    clusters = {}
    for name in names:
        path = where / ("%s.kubeconfig" % name)
        path.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": "https://%s.eks.invalid" % name}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": {"token": "unused"}}]}))
        clusters[name] = {"kubeconfig": str(path)}
    path = where / "topology.yml"
    path.write_text(yaml.safe_dump({"plugin": "krci.platform.topology", "option": option, "aws": aws,
                                    "clusters": clusters, "vars": {"aws_eks_cluster_access": False,
                                                                   "aws_kubeconfig_dir": str(where / "kubeconfigs")}}))
    return path
