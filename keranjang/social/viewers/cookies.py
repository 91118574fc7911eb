"""The page session: a signed cookie (itsdangerous) carrying a viewer's session token, so a
tampered or foreign cookie is refused before any database look-up and a logged-out token is
refused by the database."""

from itsdangerous import BadSignature, URLSafeTimedSerializer

from keranjang.social.viewers.service import SESSION_DAYS

COOKIE = "kj_viewer"
MAX_AGE_SECONDS = SESSION_DAYS * 24 * 3600


class SessionCookies:
    def __init__(self, secret: str, salt: str = "keranjang.social.viewer-session") -> None:
        # Each kind of session has its own salt: a viewer's cookie is never a creator's.
        self._serializer = URLSafeTimedSerializer(secret, salt=salt)

    def seal(self, token: str) -> str:
        return self._serializer.dumps(token)

    def token(self, cookie: str | None) -> str | None:
        """The session token in a cookie, or None if there is none or it is not ours."""
        if not cookie:
            return None
        try:
            value = self._serializer.loads(cookie, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None
