"""A person in front of the real argocd-server: the browser's SSO login, then the API with its token.

The login is Argo CD's own authorization-code flow with PKCE: argocd-server redirects to the realm,
the user posts the realm's login form, and argocd-server exchanges the code for tokens at Keycloak
over the private CA (oidc.config's rootCA) with the client secret the collection wired. Only the
last hop is redirected by hand: the browser would follow Location to the instance's public URL
(https://argocd-<instance>.krci.test), which on this machine is the server's loopback address.
"""

import html
import re
import time
from urllib.parse import urlsplit

import requests


class LoginError(AssertionError):
    pass


def _cookies(response):
    return {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in response.raw.headers.getlist("Set-Cookie")}


class ArgoCDUser:
    def __init__(self, server_url, keycloak_ca, username, password):
        self.server = server_url.rstrip("/")
        self.username = username
        self.token = self._login(keycloak_ca, username, password)

    def _login(self, keycloak_ca, username, password):
        local = requests.Session()
        local.trust_env = False
        start = local.get(self.server + "/auth/login", allow_redirects=False, timeout=30)
        if start.status_code != 303:
            raise LoginError("argocd-server did not start a login: %s %s" % (start.status_code, start.text[:200]))
        state_cookies = _cookies(start)
        browser = requests.Session()
        browser.trust_env = False
        browser.verify = keycloak_ca
        page = browser.get(start.headers["Location"], timeout=30)
        form = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        if form is None:
            raise LoginError("the realm showed no login form: %s" % page.text[:300])
        posted = browser.post(html.unescape(form.group(1)), data={"username": username, "password": password},
                              allow_redirects=False, timeout=30)
        back = urlsplit(posted.headers.get("Location", ""))
        if "code=" not in back.query:
            raise LoginError("the realm did not hand back a code: %s %s" % (posted.status_code,
                                                                           posted.headers.get("Location", posted.text[:300])))
        callback = local.get(self.server + back.path + "?" + back.query, allow_redirects=False, timeout=30,
                             headers={"Cookie": "; ".join("%s=%s" % kv for kv in state_cookies.items())})
        token = _cookies(callback).get("argocd.token")
        if not token:
            raise LoginError("argocd-server issued no session: %s %s" % (callback.status_code, callback.text[:300]))
        return token

    def call(self, method, path, **kwargs):
        return requests.request(method, self.server + path, headers={"Authorization": "Bearer " + self.token},
                                timeout=60, **kwargs)

    def applications(self):
        reply = self.call("GET", "/api/v1/applications")
        assert reply.status_code == 200, reply.text
        return sorted(a["metadata"]["name"] for a in reply.json().get("items") or [])

    def sync(self, name):
        return self.call("POST", "/api/v1/applications/%s/sync" % name, json={"name": name, "prune": True})

    def get(self, name):
        return self.call("GET", "/api/v1/applications/%s" % name)

    def userinfo(self):
        return self.call("GET", "/api/v1/session/userinfo").json()


def wait_for(probe, timeout, what, interval=1.0):
    """Poll ``probe()`` until it returns something truthy; fail with ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("%s: not within %ss (last: %r)" % (what, timeout, last))
