"""What a service's page forms need from any web framework-free rule: whether a browser's post
came from the service's own pages (against cross-site requests), and an urlencoded form read
within limits. Each part turns `FormRefused` into its own error.

Commerce's pages, the in-app shop's and social's creator pages all use it, each with its own
limits and its own error."""

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", ""})
# `Sec-Fetch-Site` values of a request the service's own pages made (or the person typed).
OWN_FETCH_SITES = frozenset({"same-origin", "none"})


class FormRefused(ValueError):
    """A form that cannot be read; the message (in Indonesian) says what to do."""


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lowercased; "" for anything not absolute."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def from_own_pages(request: Request, public_url: str) -> bool:
    """Whether a browser says this post came from this service (Go's CrossOriginProtection
    rule): `Sec-Fetch-Site` (pages cannot forge it), else `Origin`, else `Referer`; a post with
    none of them is refused. SameSite=Lax cookies stop other sites, not other origins of the
    same site (another service on another port of the same host)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in OWN_FETCH_SITES
    claimed = request.headers.get("origin") or request.headers.get("referer") or ""
    own = {origin_of(str(request.base_url)), origin_of(public_url)} - {""}
    return origin_of(claimed) in own


async def urlencoded(
    request: Request, max_bytes: int = 16 * 1024, max_fields: int = 20
) -> dict[str, str]:
    """An urlencoded form, the first value of each field (read by hand: the forms have no
    uploads, and python-multipart is not a dependency)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in FORM_TYPES:
        raise FormRefused("Kirim formulir sebagai application/x-www-form-urlencoded.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise FormRefused(f"Formulir terlalu besar (lebih dari {max_bytes} byte).")
    try:
        pairs = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=max_fields
        )
    except ValueError:
        raise FormRefused(f"Formulir berisi lebih dari {max_fields} isian.") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields
