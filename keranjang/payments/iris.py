"""Midtrans Iris (Payouts) as a `DisbursementPartner`, following the Iris API reference
(docs.midtrans.com "Payouts API": base URL `https://app.sandbox.midtrans.com/iris` or
`https://app.midtrans.com/iris`, basic auth with the creator's API key as user name):

- send: `POST /api/v1/payouts` with `{"payouts": [{beneficiary_name, beneficiary_account,
  beneficiary_bank, beneficiary_email, amount, notes}]}` and the `X-Idempotency-Key` header set to
  our key, so a send repeated after a lost answer names the same payout. Iris answers each payout
  `queued` with its `reference_no`. Keranjang expects the Iris account to approve payouts
  automatically (Iris' auto-approval setting); until approved a payout stays pending here.
- lookup: `GET /api/v1/payouts/{reference_no}`.
- callback ("Payout notification"): `{reference_no, amount, status, updated_at, error_code,
  error_message}`, verified by the `Iris-Signature` header, which is
  SHA512(raw body + the Iris merchant key) in hex ("Validating Payout Notification"); compared in
  constant time. The callback does not carry our key: the event names the payout by reference_no.
- statuses: queued, approved, processed → pending; completed → completed; failed, rejected →
  failed (`error_code`/`error_message` say why).
- check_account: `GET /api/v1/account_validation?bank=<code>&account=<number>` answers
  `account_name` (Iris' bank account validation).
"""

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from keranjang.payments.disbursements import (
    AccountCheck,
    DisbursementEvent,
    DisbursementStatus,
    Transfer,
)
from keranjang.payments.errors import NotificationRejected, PartnerUnavailable
from keranjang.payments.http_client import Call, PartnerHttp
from keranjang.payments.midtrans import judged
from keranjang.payments.midtrans_wire import format_amount, parse_amount

IRIS_URLS = {True: "https://app.sandbox.midtrans.com/iris", False: "https://app.midtrans.com/iris"}
STATUSES = {
    "queued": DisbursementStatus.PENDING,
    "approved": DisbursementStatus.PENDING,
    "processed": DisbursementStatus.PENDING,
    "completed": DisbursementStatus.COMPLETED,
    "failed": DisbursementStatus.FAILED,
    "rejected": DisbursementStatus.FAILED,
}


class IrisPayout(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reference_no: str
    status: str
    amount: str | None = None
    updated_at: str | None = None
    created_at: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class IrisCreated(BaseModel):
    payouts: list[IrisPayout]


class IrisAccount(BaseModel):
    model_config = ConfigDict(extra="ignore")
    account_name: str
    account_no: str
    bank_name: str = ""


class IrisPartner:
    name = "midtrans"

    def __init__(
        self,
        creator_key: str,
        merchant_key: str,
        *,
        sandbox: bool = True,
        transport: httpx.BaseTransport | None = None,
        base_url: str | None = None,
        client: httpx.Client | None = None,
        name: str = "midtrans",
    ) -> None:
        self.name = name  # whose balance pays: the simulator speaks Iris too
        self.http = PartnerHttp(
            "Midtrans Iris", (creator_key, ""), judged, transport=transport, client=client
        )
        self.merchant_key = merchant_key
        self.base_url = (base_url or IRIS_URLS[sandbox]).rstrip("/")

    def send(self, transfer: Transfer) -> DisbursementEvent:
        payout = {
            "beneficiary_name": transfer.to.holder_name,
            "beneficiary_account": transfer.to.account_number,
            "beneficiary_bank": transfer.to.bank_code.lower(),
            "amount": format_amount(transfer.amount),
            "notes": (transfer.description or transfer.key)[:100],
        }
        what = f"the payout {transfer.key}"
        url = self.base_url + "/api/v1/payouts"
        headers = {"X-Idempotency-Key": transfer.key}
        call = Call("POST", url, what, body={"payouts": [payout]}, headers=headers, safe=True)
        created = self.http.answer(call, IrisCreated)
        if len(created.payouts) != 1:
            raise PartnerUnavailable(f"Midtrans Iris answered {what} without one payout")
        queued = created.payouts[0]
        queued.amount = queued.amount or payout["amount"]
        return self.http.readable(event, queued, transfer.key)

    def lookup(self, partner_id: str) -> DisbursementEvent:
        url = f"{self.base_url}/api/v1/payouts/{partner_id}"
        call = Call("GET", url, f"the payout {partner_id}", safe=True)
        return self.http.readable(event, self.http.answer(call, IrisPayout), "")

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> DisbursementEvent:
        given = next((v for k, v in headers.items() if k.lower() == "iris-signature"), "")
        if not hmac.compare_digest(given.strip().lower().encode(), self.signature(body).encode()):
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE,
                "Iris-Signature missing or not SHA512(body + this account's Iris merchant key)",
            )
        try:
            return event(IrisPayout.model_validate_json(body), "")
        except (ValidationError, ValueError) as exc:
            raise NotificationRejected(
                NotificationRejected.MALFORMED, f"not an Iris payout notification: {exc}"
            ) from exc

    def signature(self, body: bytes) -> str:
        return hashlib.sha512(body + self.merchant_key.encode()).hexdigest()

    def check_account(self, bank_code: str, account_number: str) -> AccountCheck | None:
        what = f"the account {account_number} at {bank_code}"
        params = {"bank": bank_code.lower(), "account": account_number}
        url = self.base_url + "/api/v1/account_validation"
        found = self.http.answer(Call("GET", url, what, params=params, safe=True), IrisAccount)
        return AccountCheck(bank_code, found.account_no, found.account_name)


def event(p: IrisPayout, key: str) -> DisbursementEvent:
    """An Iris payout as the contract's event; ValueError if unreadable."""
    status = STATUSES.get(p.status)
    if status is None:
        raise ValueError(f"unknown payout status {p.status!r}")
    if p.amount is None:
        raise ValueError("a payout without an amount")
    at = p.updated_at or p.created_at
    when = datetime.fromisoformat(at) if at else datetime.now(UTC)
    failure = " ".join(x for x in (p.error_code, p.error_message) if x)
    return DisbursementEvent(
        key=key,
        status=status,
        amount=parse_amount(p.amount),
        partner_id=p.reference_no,
        partner_status=p.status,
        occurred_at=when if when.tzinfo else when.replace(tzinfo=UTC),
        failure=failure,
    )
