"""Buyer accounts that nobody has signed up for yet, and how their owners claim them.

A merchant moved from the old in-app shop brings the buyers its orders need. Each becomes a
commerce account of its own, identified by the email (and phone) it bought with, with no
password: an *unclaimed* account, which nobody can log in to. Its owner claims it through a
one-time link (valid `CLAIM_DAYS` days; only its digest is stored) by setting a password, and is
signed in. Commerce stores nothing that names the buyer in the social app.

Each public method is one transaction."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.buying import db as buying_db
from keranjang.commerce.buying.domain import (
    check_claim_usable,
    check_password,
    checked_email,
    claim_expiry,
)
from keranjang.commerce.errors import Conflict, Gone, Invalid, NotFound
from keranjang.infra.clock import Clock
from keranjang.infra.credentials import hash_password, token_digest
from keranjang.infra.database import transaction

SESSION_DAYS = 30


@dataclass(frozen=True)
class ClaimView:
    """What a claim link's page shows: whose account it opens, and until when."""

    buyer_id: int
    email: str
    name: str
    expires_at: datetime


def open_session(s: Session, buyer_id: int, now: datetime) -> str:
    """A new session for the buyer: the bearer token (only its digest is stored)."""
    token = secrets.token_urlsafe(32)
    s.add(
        buying_db.BuyerSessionRow(
            token_hash=token_digest(token),
            buyer_id=buyer_id,
            created_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    return token


class AccountService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def open_unclaimed(self, email: str, name: str, phone: str | None = None) -> int:
        """The account of this email: an existing one is returned as it is (never overwritten,
        claimed or not), else an unclaimed one is made. Safe to repeat, and to race."""
        email = checked_email(email)
        try:
            with transaction(self.sessions) as s:
                found = _account_id(s, email)
                if found is not None:
                    return found
                buyer = buying_db.BuyerRow(
                    email=email,
                    name=(name.strip() or email)[:120],
                    password_hash=None,
                    phone=(phone or "").strip()[:16] or None,
                    created_at=self.clock.now(),
                )
                s.add(buyer)
                s.flush()
                return buyer.id
        except IntegrityError:  # made by a concurrent call: that one is the account
            with self.sessions() as s:
                raced = _account_id(s, email)
            if raced is None:
                raise
            return raced

    def issue_claim_link(self, buyer_id: int) -> str:
        """A new one-time claim token for an unclaimed account (earlier links stay valid until
        used or expired; using any one claims the account and spends them all)."""
        now = self.clock.now()
        with transaction(self.sessions) as s:
            buyer = s.get(buying_db.BuyerRow, buyer_id)
            if buyer is None:
                raise NotFound(
                    f"no buyer with id {buyer_id}", code="no_buyer", params={"id": buyer_id}
                )
            if buyer.password_hash is not None:
                raise Conflict(
                    "this account already has a password: log in instead", code="has_password"
                )
            return _new_claim(s, buyer_id, now)

    def request_claim_link(self, email: str) -> str | None:
        """A new claim token if this email has an unclaimed account, else None. The caller
        answers the same either way, so the answer does not tell who has an account."""
        try:
            email = checked_email(email)
        except Invalid:
            return None
        with transaction(self.sessions) as s:
            buyer = s.scalar(select(buying_db.BuyerRow).where(buying_db.BuyerRow.email == email))
            if buyer is None or buyer.password_hash is not None:
                return None
            return _new_claim(s, buyer.id, self.clock.now())

    def claim_for(self, token: str) -> ClaimView:
        """Whose account a claim link opens; `Gone` if it was used or has expired."""
        with self.sessions() as s:
            claim = s.get(buying_db.BuyerClaimRow, token_digest(token))
            if claim is None:
                raise NotFound(
                    "this claim link is not known: check the link, or ask for a new one",
                    code="claim_unknown",
                )
            check_claim_usable(claim.used_at, claim.expires_at, self.clock.now())
            buyer = s.get_one(buying_db.BuyerRow, claim.buyer_id)
            if buyer.password_hash is not None:
                raise Gone("this account was already claimed: log in", code="claimed")
            return ClaimView(buyer.id, buyer.email, buyer.name, claim.expires_at)

    def claim(self, token: str, password: str) -> str:
        """Set the account's password through a claim link, spend the link (and every other
        link of the account) and sign in: answers the new session's token. A used or expired
        link is `Gone`; a password against the sign-up rule changes nothing."""
        check_password(password)
        now = self.clock.now()
        digest = token_digest(token)
        with transaction(self.sessions) as s:
            claim = s.get(buying_db.BuyerClaimRow, digest, with_for_update=True)
            if claim is None:
                raise NotFound(
                    "this claim link is not known: check the link, or ask for a new one",
                    code="claim_unknown",
                )
            check_claim_usable(claim.used_at, claim.expires_at, now)
            buyer_id = claim.buyer_id
            # Compare and set: of two claims racing, one sets the password, the other is Gone.
            done = s.execute(
                update(buying_db.BuyerRow)
                .where(
                    buying_db.BuyerRow.id == buyer_id, buying_db.BuyerRow.password_hash.is_(None)
                )
                .values(password_hash=hash_password(password), claimed_at=now)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise Gone("this account was already claimed: log in", code="claimed")
            s.execute(
                update(buying_db.BuyerClaimRow)
                .where(
                    buying_db.BuyerClaimRow.buyer_id == buyer_id,
                    buying_db.BuyerClaimRow.used_at.is_(None),
                )
                .values(used_at=now)
            )
            return open_session(s, buyer_id, now)


def _account_id(s: Session, email: str) -> int | None:
    return s.scalar(select(buying_db.BuyerRow.id).where(buying_db.BuyerRow.email == email))


def _new_claim(s: Session, buyer_id: int, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    s.add(
        buying_db.BuyerClaimRow(
            token_digest=token_digest(token),
            buyer_id=buyer_id,
            created_at=now,
            expires_at=claim_expiry(now),
            used_at=None,
        )
    )
    return token
