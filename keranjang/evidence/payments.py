"""The payment simulator's evidence (`GET /evidence/payments`, regulator token): payments
created in the window and notifications sent, by the host they were notified at (commerce's,
or social's while its in-app shop still takes payments)."""

from pydantic import AwareDatetime, BaseModel, Field

from keranjang.evidence.shared import StatusFigure, SystemIdentity


class NotificationTarget(BaseModel):
    host: str = Field(max_length=255, description="`host:port`; `(none)` where none is set.")
    payments_created: int = Field(ge=0, description="Payments created in the window.")
    notifications_sent: int = Field(ge=0, description="Notifications sent in the window.")
    last_payment_created_at: AwareDatetime | None = Field(
        default=None, description="The latest of those payments' creation (null: none)."
    )
    last_notification_sent_at: AwareDatetime | None = Field(
        default=None, description="The latest of those notifications' delivery (null: none)."
    )
    payments_by_status: list[StatusFigure] = Field(
        default_factory=list,
        description="Beyond the monitor's reading: those payments by status, with their sums.",
    )


class PaymentsEvidence(BaseModel):
    observed_at: AwareDatetime
    window_seconds: int = Field(gt=0)
    system: SystemIdentity
    by_notification_host: list[NotificationTarget] = Field(max_length=100)
