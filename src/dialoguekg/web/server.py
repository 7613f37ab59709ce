"""Running the application under uvicorn with the limits a public server needs: a body size
cap (413) and a deadline for each request's head and body (slow clients are cut off)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import ServeSettings


class BodyLimit:
    """ASGI middleware: a request body larger than ``limit`` bytes is answered with 413, read
    no further than the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        digits = declared.lstrip(b"0")  # the length first: Python converts at most 4,300 digits
        too_long = len(digits) > len(str(self.limit))
        if not declared.isdigit() or too_long or int(digits or b"0") > self.limit:
            await self._refuse(send, declared)
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                if not started:
                    await self._refuse(send, str(seen).encode())
                return {"type": "http.disconnect"}  # the application stops reading here
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send, declared: bytes) -> None:
        body = (
            f"the request body ({declared.decode('latin-1')[:20]} bytes or more) is over this "
            f"server's limit of {self.limit:,} bytes\n"
        ).encode()
        if not declared.isdigit():
            body = b"the Content-Length header is not a number\n"
        status = 413 if declared.isdigit() else 400
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


TOO_LARGE_HEAD = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8"
    b"\r\nconnection: close\r\ncontent-length: 58\r\n\r\n"
    b"the request line and headers are over this server's limit\n"
)


def guarded_protocol(deadline: float, max_head: int) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP/1.1 protocol (the httptools parser) with two limits it lacks: a request's
    line and headers over ``max_head`` bytes are refused (431, or 400 when they arrived in one
    piece), and a connection that takes longer than
    ``deadline`` seconds to send a request's head and body, or to start one after connecting,
    is closed (uvicorn times out only idle keep-alive connections)."""

    class Guarded(HttpToolsProtocol):
        _timer: asyncio.TimerHandle | None = None
        _unparsed = 0  # bytes received since the last head was complete, while no body runs
        _parsed = 0  # bytes of the current head's URL and headers, as parsed
        _completed = False  # whether a head was completed in the current data_received
        _in_body = False  # between a head's end and its message's end

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            """Feed the parser; a head still incomplete past the limit (a slow drip) gets
            431 and the connection closes."""
            counting, self._completed = not self._in_body, False
            super().data_received(data)
            if not counting or self._completed:
                return
            self._unparsed += len(data)
            if self._unparsed > max_head and not self.transport.is_closing():
                self.transport.write(TOO_LARGE_HEAD)
                self.transport.close()

        def on_message_begin(self) -> None:
            self._parsed = 0
            super().on_message_begin()
            if self._timer is None:
                self._arm()

        def on_url(self, url: bytes) -> None:
            super().on_url(url)
            self._measure(len(url))

        def on_header(self, name: bytes, value: bytes) -> None:
            super().on_header(name, value)
            self._measure(len(name) + len(value) + 4)

        def _measure(self, size: int) -> None:
            """A head parsed whole in one piece: past the limit, the parser stops (uvicorn
            then answers 400 and closes)."""
            self._parsed += size
            if self._parsed > max_head:
                raise ValueError("request head over the limit")

        def on_headers_complete(self) -> None:
            self._unparsed, self._completed, self._in_body = 0, True, True
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._in_body = False
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._timer = self.loop.call_later(deadline, self._expire)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expire(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return Guarded


def run(app: ASGIApp, host: str, port: int, settings: ServeSettings) -> None:
    """Serve ``app`` until interrupted, with the settings' connection limits."""
    import uvicorn

    uvicorn.run(
        BodyLimit(app, settings.max_body),
        host=host,
        port=port,
        log_level="warning",
        http=guarded_protocol(settings.header_timeout, settings.max_head),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,  # SIGTERM ends the server within seconds, busy or not
        loop="uvloop",
    )
