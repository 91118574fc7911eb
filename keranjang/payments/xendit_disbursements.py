"""Xendit Disbursements as a `DisbursementPartner`, following Xendit's documented API
(docs.xendit.co/xendisburse/apis/using-disbursement, and the xendit-go `disbursement` package):

- send: `POST /disbursements` with `external_id` (our key), `amount`, `bank_code`,
  `account_holder_name`, `account_number`, `description`, and the `X-IDEMPOTENCY-KEY` header set
  to our key, so a send repeated after a lost answer returns the same disbursement. Xendit answers
  it `PENDING`; a key it already has is `DUPLICATE_TRANSACTION_ERROR`, which this adapter answers
  by looking the key up.
- lookup: `GET /disbursements/{id}`; a send under a key Xendit already has is answered by
  `GET /disbursements?external_id=<key>` (a list: keys being unique, it holds ours).
- callback: a POST carrying the same disbursement object with `status` `COMPLETED` or `FAILED`
  (and `failure_code`), verified by the `x-callback-token` header against the account's callback
  verification token (constant-time compare). Xendit does not sign the body, so commerce believes
  a callback's outcome only after the look-up agrees (see commerce's payout sending).
- check_account: this adapter offers none (None): Xendit's name validation is a separate product
  whose API we could not confirm from its documentation, so payees' names are checked by the
  disbursement itself (a wrong name fails it, and the money comes back).
"""

import hmac
from collections.abc import Mapping

import httpx
from pydantic import BaseModel, ConfigDict, RootModel, ValidationError

from keranjang.payments.disbursements import (
    AccountCheck,
    DisbursementEvent,
    DisbursementStatus,
    Transfer,
)
from keranjang.payments.errors import DuplicateOrder, NotificationRejected, UnknownPayment
from keranjang.payments.http_client import Call, PartnerHttp
from keranjang.payments.xendit import BASE_URL, judged
from keranjang.payments.xendit_wire import parse_time

STATUSES = {
    "PENDING": DisbursementStatus.PENDING,
    "COMPLETED": DisbursementStatus.COMPLETED,
    "FAILED": DisbursementStatus.FAILED,
}


class XenditDisbursement(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    external_id: str
    amount: int
    status: str
    updated: str | None = None
    created: str | None = None
    failure_code: str | None = None


class XenditDisbursementList(RootModel[list[XenditDisbursement]]):
    pass


class XenditDisbursements:
    name = "xendit"

    def __init__(
        self,
        secret_key: str,
        callback_token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        base_url: str = BASE_URL,
    ) -> None:
        self.http = PartnerHttp("Xendit", (secret_key, ""), judged, transport=transport)
        self.callback_token = callback_token.encode()
        self.base_url = base_url.rstrip("/")

    def send(self, transfer: Transfer) -> DisbursementEvent:
        body = {
            "external_id": transfer.key,
            "amount": transfer.amount,
            "bank_code": transfer.to.bank_code.upper(),
            "account_holder_name": transfer.to.holder_name,
            "account_number": transfer.to.account_number,
            "description": transfer.description[:255] or transfer.key,
        }
        what = f"the disbursement {transfer.key}"
        headers = {"X-IDEMPOTENCY-KEY": transfer.key}
        url = self.base_url + "/disbursements"
        call = Call(
            "POST", url, what, body=body, headers=headers, safe=True, conflict=DuplicateOrder
        )
        try:
            return self.http.readable(event, self.http.answer(call, XenditDisbursement))
        except DuplicateOrder:  # a 409 or a DUPLICATE_* code: that key's disbursement exists
            return self._by_key(transfer.key)

    def lookup(self, partner_id: str) -> DisbursementEvent:
        url = f"{self.base_url}/disbursements/{partner_id}"
        call = Call("GET", url, f"the disbursement {partner_id}", safe=True)
        return self.http.readable(event, self.http.answer(call, XenditDisbursement))

    def _by_key(self, key: str) -> DisbursementEvent:
        call = Call(
            "GET",
            self.base_url + "/disbursements",
            f"the disbursement {key}",
            params={"external_id": key},
            safe=True,
        )
        found = self.http.parse(self.http.checked(call), XenditDisbursementList, call.what)
        if not found.root:
            raise UnknownPayment(f"Xendit has no disbursement {key}", 404)
        return self.http.readable(event, found.root[-1])

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> DisbursementEvent:
        given = next((v for k, v in headers.items() if k.lower() == "x-callback-token"), "")
        if not hmac.compare_digest(given.encode(), self.callback_token):
            raise NotificationRejected(
                NotificationRejected.BAD_SIGNATURE,
                "x-callback-token missing or not this account's callback verification token",
            )
        try:
            return event(XenditDisbursement.model_validate_json(body))
        except (ValidationError, ValueError) as exc:
            raise NotificationRejected(
                NotificationRejected.MALFORMED, f"not a Xendit disbursement callback: {exc}"
            ) from exc

    def check_account(self, bank_code: str, account_number: str) -> AccountCheck | None:
        return None


def event(d: XenditDisbursement) -> DisbursementEvent:
    """A Xendit disbursement object as the contract's event; ValueError if unreadable."""
    status = STATUSES.get(d.status)
    if status is None:
        raise ValueError(f"unknown disbursement status {d.status!r}")
    at = d.updated or d.created
    if at is None:
        raise ValueError("a disbursement without a time")
    return DisbursementEvent(
        key=d.external_id,
        status=status,
        amount=d.amount,
        partner_id=d.id,
        partner_status=d.status,
        occurred_at=parse_time(at),
        failure=d.failure_code or "",
    )
