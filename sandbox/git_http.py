"""The sandbox's Git server: git's own ``git http-backend`` (smart HTTP) behind TLS and basic auth.

``python -m sandbox.git_http --root DIR --listen 127.0.0.1:PORT --cert C --key K --users USERS.json``

Everything Git is done by ``git http-backend`` (the CGI program Git ships, as Apache or nginx would
run it); this module is only the web server around it: TLS with the sandbox CA, a user list with a
read-only and a read-write user (``{"users": {"name": {"password": ..., "write": bool}}}``), and
nothing anonymous. A read-only user who tries to push gets 403, as from a Git host.
"""

import argparse
import base64
import hmac
import json
import os
import ssl
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

REALM = "krci-gitops"


def _backend():
    exec_path = subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(exec_path, "git-http-backend")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = None
    users = {}
    backend = None

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    def _user(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        user = self.users.get(name)
        if user is None or not hmac.compare_digest(user["password"], password):
            return None
        return name

    def _deny(self, status, text):
        body = (text + "\n").encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="%s"' % REALM)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self):
        url = urlsplit(self.path)
        user = self._user()
        if user is None:
            self._deny(401, "authentication required")
            return
        pushing = url.path.endswith("/git-receive-pack") or "service=git-receive-pack" in url.query
        if pushing and not self.users[user].get("write"):
            self._deny(403, "%s may read, not push" % user)
            return
        body = self._body() if self.command == "POST" else b""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.root, "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": url.path, "QUERY_STRING": url.query, "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user, "REMOTE_ADDR": self.client_address[0],
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        proc = subprocess.run([self.backend], input=body, env=env, capture_output=True, check=False)
        head, _, payload = proc.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = proc.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        if proc.returncode != 0 and status == 200:
            status = 500
            sys.stderr.write(proc.stderr.decode(errors="replace"))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox.git_http")
    parser.add_argument("--root", required=True)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--users", required=True)
    args = parser.parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    Handler.root = os.path.abspath(args.root)
    with open(args.users) as handle:
        Handler.users = json.load(handle)["users"]
    Handler.backend = _backend()
    server = ThreadingHTTPServer((host, int(port)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write("git over https://%s:%s/ (root %s)\n" % (host, port, Handler.root))
    server.serve_forever()


if __name__ == "__main__":
    main()
