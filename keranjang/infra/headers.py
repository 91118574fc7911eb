"""The security headers every page (an HTML response) carries, whichever service serves it.

The pages run no script at all, so scripts are refused outright; their styles are inline (a
`<style>` in each base template, a few `style=` attributes), so styles may be inline. Product
images can come from anywhere a seller put them. A header a route set itself wins (the hand-off
landing keeps its `Referrer-Policy: no-referrer`)."""

from keranjang.infra.observability import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'none'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https: http:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"


def page_headers(public_url: str) -> dict[str, str]:
    """The headers for pages of a service reached at `public_url` (HSTS only over https)."""
    headers = dict(PAGE_HEADERS)
    if public_url.lower().startswith("https://"):
        headers["strict-transport-security"] = HSTS
    return headers


class SecurityHeaders:
    """Pure ASGI middleware: adds `headers` to every `text/html` response that lacks them."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._added(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _added(self, raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        present = {name.lower() for name, _ in raw}
        content_type = next((v for k, v in raw if k.lower() == b"content-type"), b"")
        if not content_type.lower().startswith(b"text/html"):
            return raw
        return raw + [(k, v) for k, v in self.headers if k not in present]
