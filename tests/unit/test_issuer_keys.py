"""Commerce's cache of social's published keys, over an injected HTTP transport."""

import httpx
import pytest

from keranjang import handoff
from keranjang.commerce.attribution.issuer_keys import IssuerKeys

KEY = handoff.SigningKey.generate()


def token_by(key: handoff.SigningKey) -> str:
    from datetime import UTC, datetime

    target = handoff.HandoffTarget(1, 2, 3, 4, 5)
    return handoff.sign(handoff.new_claims(target, now=datetime.now(UTC)), key)


def serving(*keys: handoff.SigningKey) -> tuple[httpx.Client, list[str]]:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"keys": [k.public_jwk() for k in keys]})

    return httpx.Client(transport=httpx.MockTransport(answer)), calls


def test_keys_are_fetched_once_and_then_served_from_cache() -> None:
    client, calls = serving(KEY)
    keys = IssuerKeys("http://social.test/.well-known/jwks.json", client)
    for _ in range(5):
        assert keys.get(handoff.key_id(token_by(KEY))) is not None
    assert calls == ["http://social.test/.well-known/jwks.json"]


def test_unknown_key_ids_cannot_make_commerce_hammer_social() -> None:
    client, calls = serving(KEY)
    keys = IssuerKeys("http://social.test/jwks", client, min_refresh_seconds=60)
    for _ in range(20):
        with pytest.raises(handoff.UnknownKey):
            keys.get(handoff.SigningKey.generate().kid)
    assert len(calls) == 1
    assert keys.get(KEY.kid) is not None


def test_social_being_down_leaves_tokens_refused_not_crashing() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    keys = IssuerKeys("http://social.test/jwks", httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(handoff.UnknownKey):
        keys.get(KEY.kid)
