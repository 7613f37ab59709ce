"""The query worker's network sandbox (dialoguekg.web.sandbox), for real: every sandboxed check
runs in a fresh interpreter, so that this test process keeps its network, and reports back as
JSON on its last line of output. A child that cannot install the filter exits with
UNAVAILABLE, and only then is the test skipped, with its reason."""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import textwrap
import threading
from types import TracebackType
from typing import Any

import pytest

from dialoguekg.web.sandbox import SandboxUnavailable, _abi

UNAVAILABLE = 77
CHILD_TIMEOUT = 10.0  # seconds; a child takes about a fifth of a second

PRELUDE = f"""\
import sys
from dialoguekg.web.sandbox import SandboxUnavailable, forbid_network
try:
    forbid_network()
except SandboxUnavailable as error:
    print(error)
    sys.exit({UNAVAILABLE})
"""


def run_child(code: str, *, sandboxed: bool = True) -> Any:
    """Run ``code`` in a fresh interpreter, after forbid_network() if ``sandboxed``, and return
    the JSON it printed last; skip the test if the child exited with UNAVAILABLE. Proxy
    variables are dropped so that a connection, if any, goes straight to its address."""
    script = (PRELUDE if sandboxed else "") + textwrap.dedent(code)
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env=env,
        check=False,
    )
    if done.returncode == UNAVAILABLE:
        pytest.skip(f"SandboxUnavailable: {done.stdout.strip()}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


class Canary:
    """A TCP listener on 127.0.0.1, in a thread of the test process, that counts the
    connections made to it and answers each with an HTTP 503. Use as a context manager;
    ``connections`` is final once the block has exited."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self.port: int = self._server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Canary:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        # Count, too, any connection completed but not yet accepted.
        self._server.setblocking(False)
        while True:
            try:
                connection, _ = self._server.accept()
            except BlockingIOError:
                break
            connection.close()
            self.connections += 1
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with connection:
                connection.settimeout(2)
                try:
                    connection.recv(65536)
                    connection.sendall(
                        b"HTTP/1.1 503 Service Unavailable\r\n"
                        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                except OSError:
                    pass


def test_internet_sockets_are_denied_unix_sockets_and_pipes_are_not() -> None:
    result = run_child("""
        import json, os, socket

        def attempt(family, kind=socket.SOCK_STREAM):
            try:
                socket.socket(family, kind).close()
            except OSError as error:
                return type(error).__name__
            return "opened"

        a, b = socket.socketpair()
        a.sendall(b"unix")
        read, write = os.pipe()
        os.write(write, b"pipe")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM):
            pass
        print(json.dumps({
            "inet": attempt(socket.AF_INET),
            "inet_udp": attempt(socket.AF_INET, socket.SOCK_DGRAM),
            "inet6": attempt(socket.AF_INET6),
            "packet": attempt(socket.AF_PACKET, socket.SOCK_RAW),
            "socketpair": b.recv(4).decode(),
            "pipe": os.read(read, 4).decode(),
        }))
    """)
    assert result == {
        "inet": "PermissionError",
        "inet_udp": "PermissionError",
        "inet6": "PermissionError",
        "packet": "PermissionError",
        "socketpair": "unix",
        "pipe": "pipe",
    }


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "control"])
def test_no_tcp_connection_to_a_local_listener(sandboxed: bool) -> None:
    with Canary() as canary:
        result = run_child(
            f"""
            import json, socket
            try:
                with socket.create_connection(("127.0.0.1", {canary.port}), timeout=2):
                    outcome = "connected"
            except OSError as error:
                outcome = type(error).__name__
            print(json.dumps(outcome))
            """,
            sandboxed=sandboxed,
        )
    if sandboxed:
        assert (result, canary.connections) == ("PermissionError", 0)
    else:
        assert (result, canary.connections) == ("connected", 1)


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "control"])
def test_pyoxigraph_service_cannot_reach_the_network(sandboxed: bool) -> None:
    """The point of the sandbox: a stranger's SERVICE clause makes no request."""
    with Canary() as canary:
        service = (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{canary.port}/sparql> {{ ?s ?p ?o }} }}"
        )
        silent = service.replace("SERVICE", "SERVICE SILENT")
        result = run_child(
            f"""
            import json, pyoxigraph
            store = pyoxigraph.Store()
            try:
                rows = list(store.query({service!r}))
                service = f"{{len(rows)}} rows"
            except Exception as error:
                service = f"{{type(error).__name__}}: {{error}}"
            rows = store.query({silent!r})
            bound = [[str(term) for term in row if term is not None] for row in rows]
            print(json.dumps({{"service": service, "silent": bound}}))
            """,
            sandboxed=sandboxed,
        )
    # A failed SERVICE SILENT yields one solution that binds nothing (SPARQL 1.1 Federated
    # Query, 4), not an empty result.
    assert result["silent"] == [[]]
    if sandboxed:
        # pyoxigraph surfaces the refused socket() as Python's PermissionError (an OSError).
        assert result["service"] == "PermissionError: Permission denied (os error 13)"
        assert canary.connections == 0
    else:
        assert result["service"].startswith("OSError: Error 503 Service Unavailable returned by")
        assert canary.connections == 2  # SERVICE, then SERVICE SILENT


def test_threads_already_running_and_child_processes_are_covered_too() -> None:
    """forbid_network() synchronises the filter onto every thread (pyoxigraph's, say) and
    processes started afterwards inherit it."""
    code = """
        import json, socket, subprocess, sys, threading
        from dialoguekg.web.sandbox import SandboxUnavailable, forbid_network

        go, outcome = threading.Event(), {}
        def early_thread():
            go.wait()
            try:
                socket.socket(socket.AF_INET6).close()
                outcome["thread"] = "opened"
            except OSError as error:
                outcome["thread"] = type(error).__name__
        thread = threading.Thread(target=early_thread)
        thread.start()
        try:
            forbid_network()
            forbid_network()  # a second call does nothing
        except SandboxUnavailable as error:
            print(error)
            sys.exit(UNAVAILABLE)
        finally:
            go.set()
            thread.join()
        child = subprocess.run(
            [sys.executable, "-c", "import socket; socket.socket().close()"],
            capture_output=True, text=True, timeout=10,
        )
        outcome["child"] = child.stderr.strip().splitlines()[-1] if child.returncode else "opened"
        print(json.dumps(outcome))
    """
    # The prelude would install the filter before the thread starts: do without it.
    code = code.replace("UNAVAILABLE", str(UNAVAILABLE))
    assert run_child(code, sandboxed=False) == {
        "thread": "PermissionError",
        "child": "PermissionError: [Errno 13] Permission denied",
    }


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86_64 only")
def test_x32_and_io_uring_cannot_sidestep_the_check() -> None:
    result = run_child("""
        import ctypes, errno, json, socket
        libc = ctypes.CDLL(None, use_errno=True)

        def call(number, *args):
            if libc.syscall(ctypes.c_long(number), *args) != -1:
                return "succeeded"
            return errno.errorcode[ctypes.get_errno()]

        params = ctypes.create_string_buffer(120)  # struct io_uring_params
        print(json.dumps({
            "x32 socket": call(0x40000000 | 41, socket.AF_INET, socket.SOCK_STREAM, 0),
            "io_uring_setup": call(425, 1, params),
        }))
    """)
    assert result == {"x32 socket": "EACCES", "io_uring_setup": "ENOSYS"}


@pytest.mark.parametrize(
    ("system", "machine", "pointer_size"),
    [
        ("Darwin", "arm64", 8),
        ("Windows", "AMD64", 8),
        ("Linux", "riscv64", 8),
        ("Linux", "", 8),
        ("Linux", "x86_64", 4),
    ],
)
def test_unsupported_platforms_say_why(system: str, machine: str, pointer_size: int) -> None:
    with pytest.raises(SandboxUnavailable, match=system if system != "Linux" else machine or "''"):
        _abi(system, machine, pointer_size)


def test_supported_platforms() -> None:
    assert _abi("Linux", "x86_64", 8).nr_socket == 41
    assert _abi("Linux", "aarch64", 8).nr_socket == 198
