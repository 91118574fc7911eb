"""The migration's evidence for the regulator (`/evidence/migration/…` on the migration service):
progress per category and overall, its history, each merchant's move and the verification
results. Counts, sums, percentages and flags: never a buyer's row, never a row's content (a
verification that found differences says how many, not which rows)."""

from datetime import datetime

from pydantic import BaseModel, Field

Percent = Field(ge=0, le=100, description="Percent of done, two decimals (rounded down).")


class Category(BaseModel):
    percent: float = Percent
    weight: int = Field(ge=0, description="Its weight in the overall figure.")


class Categories(BaseModel):
    payment: Category = Field(description="Share of the legacy shop's sales now in commerce.")
    data: Category = Field(description="Share of legacy rows copied, verified and purged.")
    merchant_operations: Category = Field(
        description="Share of merchants bound, with payout account and pins on commerce."
    )


class MigrationProgress(BaseModel):
    at: datetime
    overall_percent: float = Percent
    categories: Categories
    merchants_total: int = Field(ge=0)
    merchants_moved: int = Field(ge=0, description="Transacting in commerce (cut over).")
    merchants_by_phase: dict[str, int]
    rows_total: int = Field(ge=0)
    rows_done: int = Field(ge=0, description="Row steps done: copied, verified, purged.")
    rows_per_second: float = Field(ge=0)
    merchants_per_hour: float = Field(ge=0)
    eta: datetime | None = Field(description="From recent throughput; null without progress.")


class ProgressSnapshot(BaseModel):
    at: datetime
    payment_percent: float = Percent
    data_percent: float = Percent
    merchant_operations_percent: float = Percent
    overall_percent: float = Percent
    merchants_moved: int = Field(ge=0)
    merchants_total: int = Field(ge=0)
    rows_per_second: float = Field(ge=0)
    eta: datetime | None


class MigrationHistory(BaseModel):
    snapshots: list[ProgressSnapshot] = Field(description="Oldest first.")


class MerchantMove(BaseModel):
    """One legacy seller's move. `seller_id` is the shop's id in the app, not a person's."""

    seller_id: int
    rank: int = Field(description="Its place in the plan (largest sales first).")
    phase: str
    commerce_merchant_id: int | None
    confirmed_by_seller: bool
    forced_by_operator: bool
    failing: bool = Field(description="The last attempt at its phase failed.")
    attempts: int = Field(ge=0)
    sales_idr: int = Field(ge=0)
    rows_total: int = Field(ge=0)
    rows_copied: int = Field(ge=0)
    rows_verified: int = Field(ge=0)
    rows_purged: int = Field(ge=0)
    pause_ms: int | None = Field(description="Its cutover's pause.")
    cutover_at: datetime | None
    verified_at: datetime | None
    purge_after: datetime | None = Field(description="When its rollback window closes.")
    purged_at: datetime | None


class MerchantMoves(BaseModel):
    merchants: list[MerchantMove]
    next_after_rank: int | None = Field(description="Pass as after_rank for the next page.")


class VerificationResult(BaseModel):
    seller_id: int
    at: datetime
    passed: bool
    checks: int = Field(ge=0, description="Business checks compared on both sides.")
    differences: int = Field(ge=0, description="Rows that differed (how many, never which).")


class Verifications(BaseModel):
    results: list[VerificationResult] = Field(description="Newest first.")
    passed: int = Field(ge=0)
    failed: int = Field(ge=0)


Scalar = str | int | float | bool | None


class MigrationEvent(BaseModel):
    """One journal event: a phase entered, a cutover abandoned, a verification, or an
    operator's action (`operator`: a forced bind or a rollback, with who and why)."""

    id: int = Field(ge=1, description="The journal's event id: ask for events after it.")
    at: datetime
    merchant_id: int = Field(description="The legacy seller's id (a shop, not a person).")
    phase: str = Field(max_length=20, description="The move's phase when it happened.")
    what: str = Field(max_length=60)
    actor: str = Field(max_length=80, description="The worker, or the operator who acted.")
    operator: bool = Field(description="An operator's action rather than the engine's.")
    detail: dict[str, Scalar] = Field(
        description="Counts, flags, reasons; a list (rows that differed) is given by its length."
    )


class MigrationEvents(BaseModel):
    """The journal's events after `after`, oldest first, at most `limit` of them."""

    events: list[MigrationEvent]
    next_after: int | None = Field(description="Pass as `after` for the next page; null: no more.")
