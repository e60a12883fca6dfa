"""A TCP relay in front of a real server, for fault tests: ``stop()`` makes the server unreachable at once (the
listener closes and every open connection is cut) while the server keeps its state; ``start()`` brings the same
address back. It forwards bytes and nothing else; it never answers a request itself.

``cut_on`` makes the fault land at one exact call: the first chunk a client sends that holds those bytes (the
request's action, e.g. ``b"Action=CreateOpenIDConnectProvider"``) is not forwarded, and the relay stops there, as if
the server went away just before that request. ``cut`` is then True; ``start()`` forwards everything again."""

import socket
import threading

from sandbox import procs


class TcpRelay:
    def __init__(self, target_port, target_host="127.0.0.1", port=None, cut_on=None):
        self.target = (target_host, target_port)
        self.cut_on = cut_on
        self.cut = False
        self.port = port or procs.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self._listener = None
        self._sockets = set()
        self._lock = threading.Lock()

    def start(self):
        self.cut_on = None if self.cut else self.cut_on  # once cut, the restarted relay forwards everything
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self):
        """The endpoint goes away: no new connection is accepted, open ones are cut."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink, request in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(source, sink, request), daemon=True).start()

    def _pipe(self, source, sink, request):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if request and self.cut_on is not None and self.cut_on in data:
                    self.cut = True
                    self.stop()
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
                with self._lock:
                    self._sockets.discard(sock)
