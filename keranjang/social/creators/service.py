"""Creators' sign-in and their own page: set a password, log in and out, who is this, and the
dashboard. Each public method is one transaction; passwords are hashed before it begins (hashing
is slow on purpose) and commerce is read outside any transaction."""

import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from keranjang.infra.clock import Clock
from keranjang.infra.credentials import hash_password, password_matches, token_digest
from keranjang.infra.database import read_connection, transaction
from keranjang.social import db as social_db
from keranjang.social.creators import db, domain
from keranjang.social.creators.figures import FiguresSource
from keranjang.social.domain import Creator, FiguresUnavailable, NotFound, Unauthenticated

WRONG = "Nama pengguna atau kata sandi salah."
DASHBOARD_CONTENT = 100


class CreatorAccounts:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, figures: FiguresSource
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.figures = figures

    def set_password(self, creator_id: int, password: str) -> None:
        """A new password; every page session the creator had ends with the old one."""
        password_hash = hash_password(domain.check_password(password))
        with transaction(self.sessions) as s:
            if s.get(social_db.CreatorRow, creator_id) is None:
                raise NotFound(f"no creator with id {creator_id}", "no_creator", id=creator_id)
            db.set_password(s, creator_id, password_hash, self.clock.now())
            s.execute(
                delete(db.CreatorSessionRow).where(db.CreatorSessionRow.creator_id == creator_id)
            )

    def log_in(self, handle: str, password: str) -> str:
        """A new page session's token for the creator with this handle and password."""
        with self.sessions() as s:
            found = db.password_of(s, handle.strip().lstrip("@").lower())
        if not password_matches(None if found is None else found[1], password):
            raise Unauthenticated(WRONG, "wrong_creator_login")
        assert found is not None  # password_matches is False without a stored hash
        creator_id = found[0]
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with transaction(self.sessions) as s:
            s.add(
                db.CreatorSessionRow(
                    token_digest=token_digest(token),
                    creator_id=creator_id,
                    created_at=now,
                    expires_at=now + timedelta(days=domain.SESSION_DAYS),
                )
            )
        return token

    def log_out(self, token: str) -> None:
        with transaction(self.sessions) as s:
            s.execute(
                delete(db.CreatorSessionRow).where(
                    db.CreatorSessionRow.token_digest == token_digest(token)
                )
            )

    def authenticate(self, token: str | None) -> Creator:
        if not token:
            raise Unauthenticated("Masuk dulu sebagai kreator.", "sign_in_needed")
        with read_connection(self.sessions) as c:
            row = c.execute(db.SESSION_CREATOR, {"digest": token_digest(token)}).first()
        if row is None or row.expires_at <= self.clock.now():
            raise Unauthenticated("Sesi Anda sudah berakhir; masuk lagi.", "session_ended")
        return Creator(row.id, row.handle, row.display_name, row.ecommerce_permitted)

    def dashboard(self, creator: Creator) -> domain.Dashboard:
        """The creator's own content (newest first) and figures; figures commerce cannot give
        now leave the rest of the page standing, with the reason."""
        with self.sessions() as s:
            rows = db.content_of(s, creator.id, DASHBOARD_CONTENT)
            content = [social_db.content_to_domain(r) for r in rows]
        try:
            figures = self.figures.of_creator(creator.id)
        except FiguresUnavailable as exc:
            return domain.Dashboard(creator, content, None, exc)
        return domain.Dashboard(creator, content, figures)
