"""Viewers' use cases: sign up, log in, log out, who is this, the profile. Each public method is
one transaction; passwords are hashed before it begins (hashing is slow on purpose)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.credentials import hash_password, password_matches, token_digest
from keranjang.infra.database import read_connection, transaction
from keranjang.social.domain import Conflict, NotFound, Unauthenticated
from keranjang.social.viewers import db, domain

SESSION_DAYS = 30


@dataclass(frozen=True)
class SignedIn:
    viewer: domain.Viewer
    token: str = ""


class ViewerService:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def sign_up(self, new: domain.NewViewer) -> SignedIn:
        """A new account and its first session. An email taken (even by a sign-up racing this
        one) is a Conflict, never a server error."""
        new = domain.check_new_viewer(new)
        password_hash = hash_password(new.password)
        taken = Conflict("an account with this email exists; log in instead")
        try:
            with transaction(self.sessions) as s:
                if s.scalar(select(db.ViewerRow.id).where(db.ViewerRow.email == new.email)):
                    raise taken
                row = db.ViewerRow(
                    email=new.email,
                    name=new.name,
                    password_hash=password_hash,
                    created_at=self.clock.now(),
                )
                s.add(row)
                s.flush()
                return SignedIn(row.to_domain(), self._new_session(s, row.id))
        except IntegrityError as exc:
            raise taken from exc

    def log_in(self, email: str, password: str) -> SignedIn:
        with self.sessions() as s:
            row = s.scalar(select(db.ViewerRow).where(db.ViewerRow.email == email.strip().lower()))
        if not password_matches(None if row is None else row.password_hash, password):
            raise Unauthenticated("email or password is wrong", "wrong_login")
        assert row is not None
        with transaction(self.sessions) as s:
            return SignedIn(row.to_domain(), self._new_session(s, row.id))

    def _new_session(self, s: Session, viewer_id: int) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        s.add(
            db.ViewerTokenRow(
                token_digest=token_digest(token),
                viewer_id=viewer_id,
                created_at=now,
                expires_at=now + timedelta(days=SESSION_DAYS),
            )
        )
        return token

    def log_out(self, token: str) -> None:
        """The token is no longer accepted, by the API or in a cookie."""
        with transaction(self.sessions) as s:
            s.execute(
                delete(db.ViewerTokenRow).where(
                    db.ViewerTokenRow.token_digest == token_digest(token)
                )
            )

    def authenticate(self, token: str | None) -> domain.Viewer:
        if not token:
            raise Unauthenticated(
                "log in first: send 'Authorization: Bearer <token>'", "sign_in_needed"
            )
        with read_connection(self.sessions) as c:
            row = c.execute(db.SESSION_VIEWER, {"digest": token_digest(token)}).first()
        if row is None or row.expires_at <= self.clock.now():
            raise Unauthenticated("your session has ended; log in again", "session_ended")
        return domain.Viewer(row.id, row.email, row.name)

    def rename(self, viewer_id: int, name: str) -> domain.Viewer:
        name = domain.check_name(name)
        with transaction(self.sessions) as s:
            row = s.get(db.ViewerRow, viewer_id)
            if row is None:
                raise NotFound(f"no viewer with id {viewer_id}", "no_viewer", id=viewer_id)
            row.name = name
            return row.to_domain()
