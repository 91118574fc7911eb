"""Social's settings, from `KERANJANG_SOCIAL_*` environment variables."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from keranjang.infra.settings import ServiceSettings


class SocialSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="KERANJANG_SOCIAL_")

    port: int = 8001
    public_url: str = "http://127.0.0.1:8001"
    # Commerce as the viewer's browser sees it (yellow-cart redirects, Shop tab) and as social's
    # server reads its public catalog feed.
    commerce_url: str = "http://127.0.0.1:8002"
    signing_key_file: Path | None = None
    handoff_ttl_seconds: int = 120
    # How often pinned products' public data (price, title, stock status) is re-read from
    # commerce's catalog feed; 0 turns the refresh off.
    catalog_refresh_seconds: float = 60.0
    # Platform operators' token for granting creators e-commerce permission.
    admin_token: str | None = None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or self.sqlite_default("social")

    @property
    def resolved_signing_key_file(self) -> Path:
        return self.signing_key_file or self.data_dir / "social-signing-key.pem"
