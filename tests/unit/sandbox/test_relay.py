"""sandbox/relay.py: bytes through while started; refused and cut while stopped; the same address again after."""

import socket
import threading

import pytest

from sandbox.relay import TcpRelay


@pytest.fixture(name="echo_port")
def echo_port_fixture():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                conn, _address = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def roundtrip(port, payload=b"ping"):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(payload)
        return conn.recv(1024)


def test_the_relay_forwards_then_cuts_then_forwards_again(echo_port):
    relay = TcpRelay(echo_port).start()
    try:
        assert roundtrip(relay.port) == b"ping"
        open_conn = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        open_conn.sendall(b"a")
        assert open_conn.recv(10) == b"a"
        relay.stop()
        assert open_conn.recv(10) == b""  # cut
        open_conn.close()
        with pytest.raises(OSError):
            roundtrip(relay.port)
        relay.start()
        assert roundtrip(relay.port, b"again") == b"again"
    finally:
        relay.stop()


def test_a_relay_with_cut_on_drops_that_request_and_stops_until_started_again(echo_port):
    relay = TcpRelay(echo_port, cut_on=b"Action=Create").start()
    try:
        assert roundtrip(relay.port, b"Action=Describe") == b"Action=Describe"
        assert roundtrip(relay.port, b"POST / Action=CreateThing") == b""  # never reached the server
        assert relay.cut
        with pytest.raises(OSError):
            roundtrip(relay.port)
        relay.start()
        assert roundtrip(relay.port, b"Action=CreateThing") == b"Action=CreateThing"  # no second cut
    finally:
        relay.stop()
