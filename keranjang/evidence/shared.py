"""The pieces every service's evidence document shares. The monitor reads these very models
(every service serves them, the monitor validates what it is served against them); a few fields
(marked "beyond the monitor's reading") carry what a regulator asked for besides, and no rule
reads them. Counts, sums, flags and key names only: no buyer's row."""

from pydantic import BaseModel, Field

Count = Field(ge=0)


class SystemIdentity(BaseModel):
    """Which system answered, without its address or its secrets."""

    service: str = Field(max_length=40, description="social, commerce or payments.")
    database_id: str = Field(
        min_length=8,
        max_length=128,
        description="SHA-256 of the database's dialect, host, port and name (a SQLite file's "
        "path): equal for two services only when they share one database.",
    )
    key_ids: list[str] = Field(
        max_length=50,
        description="Ids of the keys the service holds: a signing key's JWK thumbprint, or "
        "`kind:` and 16 hex digits of SHA-256 of a symmetric secret. Equal ids across services "
        "mean a shared key.",
    )


class HandoffSample(BaseModel):
    """Hand-off tokens in the window and the distinct sets of claim NAMES they carried (never a
    claim's value)."""

    sampled: int = Field(ge=0, description="Tokens looked at in the window.")
    claim_sets: list[list[str]] = Field(
        max_length=100, description="Distinct sorted sets of claim names, at most 100."
    )


class InvoiceLinks(BaseModel):
    """Invoice links the service issued or shows in the window, and the hosts they point at."""

    issued_in_window: int = Field(ge=0)
    link_hosts: list[str] = Field(max_length=100, description="`host:port` of the links.")


class StatusFigure(BaseModel):
    """Beyond the monitor's reading: how many things were in one status, and their sum."""

    status: str = Field(max_length=40)
    count: int = Field(ge=0)
    sum_idr: int = Field(ge=0, description="Whole rupiah.")
