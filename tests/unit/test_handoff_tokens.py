"""The hand-off contract: what may be signed, and which tokens commerce must refuse."""

import base64
import contextlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keranjang import handoff
from keranjang.handoff import (
    BadSignature,
    ClaimsRejected,
    HandoffTarget,
    KeyRing,
    SigningKey,
    TokenExpired,
    TokenMalformed,
    UnknownKey,
    WrongAudience,
)

NOW = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)
TARGET = HandoffTarget(pin=11, content=22, product=33, merchant=44, creator=55, campaign="live-7")
KEY = SigningKey.generate()
RING = KeyRing.of(KEY)


def claims_dict(**changes: object) -> dict[str, object]:
    base = handoff.new_claims(TARGET, now=NOW).model_dump()
    return base | changes


def verify(token: str, now: datetime = NOW, ring: KeyRing = RING) -> handoff.HandoffClaims:
    return handoff.verify(token, ring, now=now)


def test_a_signed_token_verifies_to_the_same_claims() -> None:
    claims = handoff.new_claims(TARGET, now=NOW)
    assert verify(handoff.sign(claims, KEY)) == claims


@pytest.mark.parametrize("campaign", ["live-7", None])
def test_claim_names_are_those_the_signed_token_carries(campaign: str | None) -> None:
    claims = handoff.new_claims(replace(TARGET, campaign=campaign), now=NOW)
    payload = handoff.sign(claims, KEY).split(".")[1]
    signed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims.names() == tuple(sorted(signed))
    assert ("campaign" in claims.names()) is (campaign is not None)
    assert verify(handoff.sign(claims, KEY)).names() == claims.names()


@pytest.mark.parametrize(
    "extra",
    [
        {"buyer_id": 9},
        {"email": "viewer@example.com"},
        {"phone": "+6281234567890"},
        {"name": "Siti"},
        {"address": "Jl. Sudirman 1"},
        {"history": [1, 2, 3]},
    ],
)
def test_a_claim_outside_the_allow_list_cannot_be_signed(extra: dict[str, object]) -> None:
    with pytest.raises(ClaimsRejected, match=next(iter(extra))):
        handoff.sign(claims_dict(**extra), KEY)


@given(
    name=st.text(min_size=1, max_size=20).filter(
        lambda n: n not in handoff.HandoffClaims.model_fields
    ),
    value=st.one_of(st.integers(), st.text(max_size=20), st.none()),
)
def test_any_unknown_claim_is_refused_at_signing(name: str, value: object) -> None:
    with pytest.raises(ClaimsRejected):
        handoff.sign(claims_dict(**{name: value}), KEY)


def test_a_token_living_longer_than_five_minutes_cannot_be_signed() -> None:
    claims = claims_dict()
    with pytest.raises(ClaimsRejected, match="at most 300 seconds"):
        handoff.sign(claims | {"exp": claims["iat"] + 301}, KEY)  # type: ignore[operator]


def _forge(payload: dict[str, object], key: SigningKey = KEY) -> str:
    """Sign arbitrary claims, bypassing the allow-list, as an attacker with a key would."""
    return jwt.encode(payload, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})


def test_a_token_carrying_unknown_claims_is_refused_at_verifying() -> None:
    token = _forge(claims_dict(buyer_email="viewer@example.com"))
    with pytest.raises(ClaimsRejected, match="buyer_email"):
        verify(token)


def test_a_tampered_token_is_refused() -> None:
    token = handoff.sign(handoff.new_claims(TARGET, now=NOW), KEY)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["product"] = 999
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignature):
        verify(f"{header}.{forged}.{signature}")


def test_a_token_signed_by_another_key_with_a_known_id_is_refused() -> None:
    impostor = SigningKey.generate()
    impostor.kid = KEY.kid
    with pytest.raises(BadSignature):
        verify(handoff.sign(handoff.new_claims(TARGET, now=NOW), impostor))


def test_a_token_from_an_unknown_key_is_refused() -> None:
    other = SigningKey.generate()
    with pytest.raises(UnknownKey):
        verify(handoff.sign(handoff.new_claims(TARGET, now=NOW), other))


def test_a_token_for_another_audience_is_refused() -> None:
    with pytest.raises(WrongAudience):
        verify(_forge(claims_dict(aud="some-other-shop")))


def test_a_token_from_another_issuer_is_refused() -> None:
    with pytest.raises(WrongAudience):
        verify(_forge(claims_dict(iss="someone-else")))


def test_an_expired_token_is_refused() -> None:
    token = handoff.sign(handoff.new_claims(TARGET, now=NOW, ttl_seconds=120), KEY)
    assert verify(token, now=NOW + timedelta(seconds=119))
    with pytest.raises(TokenExpired):
        verify(token, now=NOW + timedelta(seconds=121 + handoff.tokens.CLOCK_SKEW_SECONDS))


def test_a_token_issued_in_the_future_is_refused() -> None:
    token = handoff.sign(handoff.new_claims(TARGET, now=NOW + timedelta(minutes=3)), KEY)
    with pytest.raises(TokenExpired, match="future"):
        verify(token)


def test_a_forged_long_lived_token_is_refused_at_verifying() -> None:
    claims = claims_dict()
    token = _forge(claims | {"exp": claims["iat"] + 3600})  # type: ignore[operator]
    with pytest.raises(ClaimsRejected, match="at most 300 seconds"):
        verify(token)


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
def test_tokens_with_another_algorithm_are_refused(algorithm: str) -> None:
    key = None if algorithm == "none" else "shared-secret-of-32-bytes-or-more!!"
    token = jwt.encode(claims_dict(), key, algorithm=algorithm, headers={"kid": KEY.kid})
    with pytest.raises(TokenMalformed):
        verify(token)


def test_rotation_old_and_new_keys_both_verify_while_published() -> None:
    new = SigningKey.generate()
    ring = KeyRing.from_jwks({"keys": [KEY.public_jwk(), new.public_jwk()]})
    for key in (KEY, new):
        assert verify(handoff.sign(handoff.new_claims(TARGET, now=NOW), key), ring=ring)
    assert KEY.kid != new.kid


def test_a_key_survives_being_saved_and_loaded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys" / "social.pem"
    first = SigningKey.load_or_create(path)
    again = SigningKey.load_or_create(path)
    assert first.kid == again.kid
    assert path.stat().st_mode & 0o077 == 0


@given(st.text(max_size=300))
def test_no_garbage_token_escapes_the_error_tree(token: str) -> None:
    with pytest.raises(handoff.HandoffError):
        verify(token)


@given(st.binary(max_size=200))
def test_no_corrupted_token_escapes_the_error_tree(noise: bytes) -> None:
    token = handoff.sign(handoff.new_claims(TARGET, now=NOW), KEY)
    cut = len(noise) % len(token)
    corrupted = token[:cut] + base64.urlsafe_b64encode(noise).decode() + token[cut + 5 :]
    with contextlib.suppress(handoff.HandoffError):
        verify(corrupted)
