# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API client of the collection: kubeconfig, TLS, JSON over HTTP, discovery per kind.

For internal collection use only.

Why not the ``kubernetes`` package at module start: importing it loads the whole generated client
(hundreds of model classes), which costs more than the requests of a converged module call. This
client reads the kubeconfig itself (server, CA, client certificate, token or token file, basic auth,
``insecure-skip-tls-verify``, ``tls-server-name``) and speaks JSON with urllib3. A kubeconfig whose
user authenticates through an ``exec`` plugin or an ``auth-provider`` (EKS, GKE, OIDC refresh), or
that names a proxy, is loaded by the ``kubernetes`` package (imported only then), which runs the
plugin; the requests still go through this client.

Discovery is per group-version and only for the kinds a call uses (one small GET each, kept for the
process), never the whole API.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import ssl
import tempfile
import threading

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover - Python 2
    from urllib import quote, urlencode

try:
    import urllib3
    import yaml

    HAS_DEPS = True
    IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_DEPS = False
    IMPORT_ERROR = exc

# Connect fast, but give a big dry run or a slow admission webhook time to answer.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class KubeConfigError(Exception):
    """The kubeconfig cannot be used; the message names the file, the context and the field."""


class ApiError(Exception):
    """An answer of the API server with an error status; ``body`` keeps its text (a Status object)."""

    def __init__(self, status, reason, body):
        super(ApiError, self).__init__("(%s) %s" % (status, reason))
        self.status = status
        self.reason = reason
        self.body = body


class NotFoundError(ApiError):
    """404: the object (or the kind, or its namespace) does not exist."""


class ResourceNotFoundError(Exception):
    """The API server does not serve this apiVersion and kind (its CRD is not installed yet)."""


class Resource:
    """One served kind: its plural name and scope, as discovery told."""

    def __init__(self, api_version, kind, name, namespaced):
        self.api_version = api_version
        self.kind = kind
        self.name = name
        self.namespaced = namespaced

    def path(self, name=None, namespace=None):
        base = "/api/%s" % self.api_version if "/" not in self.api_version else "/apis/%s" % self.api_version
        if self.namespaced and namespace:
            base += "/namespaces/%s" % quote(namespace, safe="")
        base += "/" + self.name
        if name:
            base += "/" + quote(name, safe="")
        return base


def _read_file(path, base_dir, what):
    full = path if os.path.isabs(path) else os.path.join(base_dir, path)
    try:
        with open(full, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        raise KubeConfigError("%s: cannot read %s (%s)" % (what, full, exc))


def _named(entries, name, what, source):
    for entry in entries or []:
        if entry.get("name") == name:
            return entry.get(what) or {}
    raise KubeConfigError("%s: no %s named %r" % (source, what, name))


class Connection:
    """Where and how to reach one API server: URL, TLS settings and credentials (never printed)."""

    def __init__(self, server, ca_data=None, verify=True, server_name=None, cert_data=None, key_data=None,
                 token=None, token_file=None, basic=None, refresh=None):
        self.server = server.rstrip("/")
        self.ca_data = ca_data
        self.verify = verify
        self.server_name = server_name
        self.cert_data = cert_data
        self.key_data = key_data
        self.token = token
        self.token_file = token_file
        self.basic = basic
        self.refresh = refresh  # re-runs an exec plugin for a fresh token (the kubernetes package's loader)

    def headers(self):
        headers = {}
        if self.refresh is not None:
            self.token = self.refresh() or self.token
        token = self.token
        if self.token_file:
            try:
                with open(self.token_file) as handle:
                    token = handle.read().strip()  # re-read: a projected token is rotated on disk
            except (IOError, OSError) as exc:
                raise KubeConfigError("tokenFile %s: %s" % (self.token_file, exc))
        if token:
            headers["Authorization"] = "Bearer %s" % token
        elif self.basic:
            headers["Authorization"] = "Basic %s" % base64.b64encode(("%s:%s" % self.basic).encode()).decode()
        return headers

    def ssl_context(self):
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.ca_data:
            context = ssl.create_default_context(cadata=self.ca_data.decode("ascii", "replace")
                                                 if isinstance(self.ca_data, bytes) else self.ca_data)
        if self.cert_data and self.key_data:
            # The ssl module loads a key pair from files only: private files, removed once loaded.
            directory = tempfile.mkdtemp(prefix="krci-kube-")
            try:
                cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
                for path, data in ((cert, self.cert_data), (key, self.key_data)):
                    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(handle, "wb") as out:
                        out.write(data)
                context.load_cert_chain(cert, key)
            finally:
                for name in os.listdir(directory):
                    os.unlink(os.path.join(directory, name))
                os.rmdir(directory)
        return context


def _kubeconfig_paths(kubeconfig):
    if kubeconfig:
        return [kubeconfig]
    env = os.environ.get("KUBECONFIG")
    if env:
        return [p for p in env.split(os.pathsep) if p]
    return [os.path.expanduser("~/.kube/config")]


def _in_cluster():
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    token_file = os.path.join(SERVICE_ACCOUNT_DIR, "token")
    if not (host and port and os.path.isfile(token_file)):
        return None
    host = "[%s]" % host if ":" in host else host
    return Connection("https://%s:%s" % (host, port), ca_data=_read_file("ca.crt", SERVICE_ACCOUNT_DIR, "in-cluster CA"),
                      token_file=token_file)


def load_connection(kubeconfig=None, context=None):
    """The Connection of a kubeconfig and context (the current one by default); in a Pod without a
    kubeconfig, its ServiceAccount."""
    paths = _kubeconfig_paths(kubeconfig)
    if not kubeconfig and not any(os.path.isfile(p) for p in paths):
        connection = _in_cluster()
        if connection is not None:
            return connection
    if len(paths) > 1:
        return _load_with_kubernetes(None, context)  # several files are merged as kubectl does
    path = paths[0]
    try:
        with open(path) as handle:
            config = yaml.safe_load(handle) or {}
    except (IOError, OSError) as exc:
        raise KubeConfigError("cannot read kubeconfig %s: %s" % (path, exc))
    except yaml.YAMLError as exc:
        raise KubeConfigError("kubeconfig %s is not YAML: %s" % (path, exc))
    if not isinstance(config, dict):
        raise KubeConfigError("kubeconfig %s is not a kubeconfig (a mapping with clusters, users and contexts)" % path)
    context = context or config.get("current-context")
    if not context:
        raise KubeConfigError("kubeconfig %s has no current-context; name a context" % path)
    ctx = _named(config.get("contexts"), context, "context", path)
    cluster = _named(config.get("clusters"), ctx.get("cluster"), "cluster", "%s (context %s)" % (path, context))
    user = _named(config.get("users"), ctx.get("user"), "user", "%s (context %s)" % (path, context)) \
        if ctx.get("user") else {}
    if user.get("exec") or user.get("auth-provider") or cluster.get("proxy-url"):
        return _load_with_kubernetes(path, context)
    if not cluster.get("server"):
        raise KubeConfigError("kubeconfig %s (context %s): the cluster has no server URL" % (path, context))
    base = os.path.dirname(os.path.abspath(path))
    where = "kubeconfig %s (context %s)" % (path, context)

    def data(entry, field):
        if entry.get(field + "-data"):
            try:
                return base64.b64decode("".join(str(entry[field + "-data"]).split()), validate=True)
            except (TypeError, ValueError) as exc:
                raise KubeConfigError("%s: %s-data is not base64 (%s)" % (where, field, exc))
        if entry.get(field):
            return _read_file(entry[field], base, "%s: %s" % (where, field))
        return None

    token_file = user.get("tokenFile")
    if token_file and not os.path.isabs(token_file):
        token_file = os.path.join(base, token_file)
    basic = (user["username"], user.get("password", "")) if user.get("username") else None
    return Connection(cluster["server"], ca_data=data(cluster, "certificate-authority"),
                      verify=not cluster.get("insecure-skip-tls-verify"), server_name=cluster.get("tls-server-name"),
                      cert_data=data(user, "client-certificate"), key_data=data(user, "client-key"),
                      token=user.get("token"), token_file=token_file, basic=basic)


def _load_with_kubernetes(path, context):
    """Kubeconfigs with exec plugins, auth providers or proxies, through the kubernetes package."""
    try:
        from kubernetes import config as kube_config  # pylint: disable=import-outside-toplevel
    except ImportError:
        raise KubeConfigError("kubeconfig %s (context %s) authenticates through an exec plugin or auth provider, "
                              "or names a proxy: that needs the Python package kubernetes (pip install kubernetes)"
                              % (path or os.environ.get("KUBECONFIG"), context or "current"))
    try:
        api_client = kube_config.new_client_from_config(config_file=path, context=context)
    except Exception as exc:  # pylint: disable=broad-except
        raise KubeConfigError("load kubeconfig %s (context %s): %s" % (path, context or "current", exc))
    conf = api_client.configuration

    def read(value):
        return _read_file(value, "/", "kubeconfig") if value else None

    def refresh():
        if getattr(conf, "refresh_api_key_hook", None):
            conf.refresh_api_key_hook(conf)
        key = (conf.api_key or {}).get("authorization") or (conf.api_key or {}).get("BearerToken") or ""
        return key[len("Bearer "):] if key.startswith("Bearer ") else key or None

    return Connection(conf.host, ca_data=read(conf.ssl_ca_cert), verify=conf.verify_ssl,
                      server_name=getattr(conf, "tls_server_name", None), cert_data=read(conf.cert_file),
                      key_data=read(conf.key_file), refresh=refresh)


class ApiClient:
    """JSON requests to one API server over a pool of connections (thread-safe), with discovery per kind."""

    def __init__(self, connection, max_connections=8):
        self.connection = connection
        self.api_url = connection.server
        kwargs = {"maxsize": max_connections, "retries": False, "block": False,
                  "timeout": urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)}
        if connection.server.startswith("https://"):
            kwargs["ssl_context"] = connection.ssl_context()
            if connection.server_name:
                kwargs["server_hostname"] = connection.server_name
            if not connection.verify:
                kwargs["cert_reqs"] = "CERT_NONE"
                kwargs["assert_hostname"] = False
        self.pool = urllib3.PoolManager(**kwargs)
        self._groups = {}
        self._lock = threading.Lock()

    def request(self, method, path, body=None, query=None, headers=None, content_type="application/json"):
        """The parsed JSON reply (None when empty); ApiError (NotFoundError for 404) on an error status."""
        url = self.api_url + path
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        if params:
            url += "?" + urlencode(params)
        all_headers = {"Accept": "application/json", "User-Agent": "krci.platform"}
        all_headers.update(self.connection.headers())
        all_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = content_type
        reply = self.pool.request(method, url, body=data, headers=all_headers, preload_content=True,
                                  redirect=False)
        text = reply.data
        if reply.status >= 400:
            error = NotFoundError if reply.status == 404 else ApiError
            raise error(reply.status, reply.reason, text.decode("utf-8", "replace"))
        return json.loads(text.decode("utf-8")) if text else None

    def resource(self, api_version, kind):
        """The Resource of an apiVersion and kind; ResourceNotFoundError if the server does not serve it."""
        with self._lock:
            resources = self._groups.get(api_version)
        if resources is None:
            path = "/api/%s" % api_version if "/" not in api_version else "/apis/%s" % api_version
            try:
                listing = self.request("GET", path) or {}
            except NotFoundError:
                raise ResourceNotFoundError("%s is not served" % api_version)
            resources = dict((r["kind"], Resource(api_version, r["kind"], r["name"], r.get("namespaced", False)))
                             for r in listing.get("resources") or [] if "/" not in r.get("name", "/"))
            with self._lock:
                self._groups[api_version] = resources
        if kind not in resources:
            raise ResourceNotFoundError("%s %s is not served" % (api_version, kind))
        return resources[kind]

    def forget(self, api_version=None):
        """Discovery is asked again (a CRD was just applied)."""
        with self._lock:
            if api_version is None:
                self._groups.clear()
            else:
                self._groups.pop(api_version, None)
