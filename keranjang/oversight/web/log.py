"""The audit log for anyone to verify, no token needed: the signed checkpoint, the verifier
key, C2SP tlog-tiles (`/log/tile/<L>/<N>[.p/<W>]`, `/log/tile/entries/<N>[.p/<W>]`) and
inclusion and consistency proofs as JSON."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from keranjang.oversight.auditlog.tiles import WIDTH
from keranjang.oversight.errors import InvalidRequest
from keranjang.oversight.web.api import Service
from keranjang.oversight.web.errors import ApiRoute
from keranjang.oversight.web.models import ProofOut

router = APIRouter(prefix="/log", tags=["audit log"], route_class=ApiRoute)
Size = Annotated[int, Query(ge=0, le=2**62)]
TILE = "application/octet-stream"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
MAX_LEVEL = 63


def parse_index(path: str) -> tuple[int, int]:
    """`x001/x234/067[.p/<W>]` → (1234067, W or 256); InvalidRequest if it is not one."""
    parts = path.split("/")
    width = WIDTH
    if len(parts) >= 2 and parts[-2].endswith(".p"):
        if not parts[-1].isdigit() or not 1 <= int(parts[-1]) < WIDTH or parts[-1].startswith("0"):
            raise InvalidRequest("a partial tile's width is 1 to 255")
        width, parts = int(parts[-1]), [*parts[:-2], parts[-2][:-2]]
    groups = [p.removeprefix("x") for p in parts[:-1]] + [parts[-1]]
    wellformed = all(p.startswith("x") for p in parts[:-1]) and len(parts) <= 8
    if not wellformed or not all(len(g) == 3 and g.isdigit() for g in groups):
        raise InvalidRequest("a tile index is written x001/x234/067 (three digits a group)")
    return int("".join(groups)), width


def tile_response(data: bytes, width: int) -> Response:
    headers = IMMUTABLE if width == WIDTH else {"Cache-Control": "no-cache"}
    return Response(data, media_type=TILE, headers=headers)


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(svc: Service) -> PlainTextResponse:
    """The newest signed checkpoint (C2SP tlog-checkpoint as a signed note)."""
    return PlainTextResponse(svc.checkpoint().note, headers={"Cache-Control": "no-cache"})


@router.get("/key", response_class=PlainTextResponse)
def key(svc: Service) -> PlainTextResponse:
    """The verifier key: `<name>+<hex key id>+<base64 Ed25519 key>`."""
    return PlainTextResponse(svc.verifier_key() + "\n")


@router.get("/tile/entries/{index:path}", response_class=Response)
def entries(index: str, svc: Service) -> Response:
    """An entry bundle: big-endian uint16 length-prefixed entries."""
    n, width = parse_index(index)
    return tile_response(svc.bundle(n, width), width)


@router.get("/tile/{level:int}/{index:path}", response_class=Response)
def tile(level: int, index: str, svc: Service) -> Response:
    """A tile: up to 256 consecutive hashes at `level`."""
    if not 0 <= level <= MAX_LEVEL:
        raise InvalidRequest(f"tile levels are 0 to {MAX_LEVEL}")
    n, width = parse_index(index)
    return tile_response(svc.tile(level, n, width), width)


@router.get("/proof/inclusion", response_model=ProofOut)
def inclusion(svc: Service, index: Size, size: Size) -> ProofOut:
    """That entry `index` is in the signed tree of `size` entries (RFC 9162 2.1.3)."""
    return ProofOut.of(svc.inclusion(index, size))


@router.get("/proof/consistency", response_model=ProofOut)
def consistency(
    svc: Service,
    first: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    second: Annotated[int, Query(alias="to", ge=0, le=2**62)],
) -> ProofOut:
    """That the tree of `from` entries is a prefix of the tree of `to` (RFC 9162 2.1.4)."""
    return ProofOut.of(svc.consistency(first, second))
