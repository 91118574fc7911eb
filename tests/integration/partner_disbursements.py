"""Replicas of the disbursement partners, as `httpx.MockTransport` handlers speaking each one's
documented wire format (see the adapters' docstrings): Xendit Disbursements and Midtrans Iris.
Each keeps its disbursements by our idempotency key (a repeated send answers the same one),
lets a test play the bank (`finish`: completed or failed), and writes the callback the partner
would send, signed as it signs (Xendit's x-callback-token, Iris' Iris-Signature)."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from keranjang.payments.disbursements import DisbursementPartner
from keranjang.payments.iris import IrisPartner
from keranjang.payments.xendit_disbursements import XenditDisbursements

XENDIT_TOKEN = "xendit-callback-token"
IRIS_MERCHANT_KEY = "IRIS-merchant-key"
FAILING_ACCOUNT = "0000000000"  # the bank refuses this account number


@dataclass
class Replica:
    kind: str
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    sends: int = 0
    # Xendit may answer a repeated external_id with DUPLICATE_TRANSACTION_ERROR instead.
    refuse_repeats: bool = False

    def adapter(self) -> DisbursementPartner:
        transport = httpx.MockTransport(self.handle)
        if self.kind == "xendit":
            return XenditDisbursements("xnd_secret", XENDIT_TOKEN, transport=transport)
        return IrisPartner("iris-creator", IRIS_MERCHANT_KEY, transport=transport)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.kind == "xendit":
            return self._xendit(request)
        return self._iris(request)

    # the bank -------------------------------------------------------------------------------
    def finish(self, key: str) -> tuple[dict[str, str], bytes]:
        """The bank answers: completed, or failed for the failing account; the callback."""
        d = self.by_key[key]
        failing = d["account"] == FAILING_ACCOUNT
        if self.kind == "xendit":
            d["status"] = "FAILED" if failing else "COMPLETED"
            d["failure_code"] = "INVALID_DESTINATION" if failing else None
        else:
            d["status"] = "failed" if failing else "completed"
            d["error_code"] = "001" if failing else None
            d["error_message"] = "Account does not exist" if failing else None
        return self.callback(key)

    def callback(self, key: str) -> tuple[dict[str, str], bytes]:
        d = self.by_key[key]
        if self.kind == "xendit":
            body = json.dumps(self._xendit_view(d)).encode()
            return {"x-callback-token": XENDIT_TOKEN}, body
        body = json.dumps(self._iris_view(d)).encode()
        sig = hashlib.sha512(body + IRIS_MERCHANT_KEY.encode()).hexdigest()
        return {"iris-signature": sig}, body

    # Xendit ---------------------------------------------------------------------------------
    def _xendit(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/disbursements":
            body = json.loads(request.content)
            key = request.headers["x-idempotency-key"]
            self.sends += 1
            if key in self.by_key and self.refuse_repeats:
                return httpx.Response(
                    400,
                    json={"error_code": "DUPLICATE_TRANSACTION_ERROR", "message": "exists"},
                )
            if key not in self.by_key:
                self.by_key[key] = {
                    "id": f"disb-{len(self.by_key) + 1}",
                    "key": body["external_id"],
                    "amount": body["amount"],
                    "account": body["account_number"],
                    "status": "PENDING",
                }
            return httpx.Response(200, json=self._xendit_view(self.by_key[key]))
        if request.url.path == "/disbursements":
            key = request.url.params["external_id"]
            found = [self._xendit_view(self.by_key[key])] if key in self.by_key else []
            return httpx.Response(200, json=found)
        wanted = request.url.path.rsplit("/", 1)[-1]
        for d in self.by_key.values():
            if d["id"] == wanted:
                return httpx.Response(200, json=self._xendit_view(d))
        return httpx.Response(404, json={"error_code": "DATA_NOT_FOUND", "message": "no such"})

    def _xendit_view(self, d: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": d["id"],
            "external_id": d["key"],
            "amount": d["amount"],
            "status": d["status"],
            "failure_code": d.get("failure_code"),
            "updated": "2026-12-04T10:00:00.000Z",
        }

    # Iris -----------------------------------------------------------------------------------
    def _iris(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/iris/api/v1/payouts":
            payout = json.loads(request.content)["payouts"][0]
            key = request.headers["x-idempotency-key"]
            self.sends += 1
            if key not in self.by_key:
                self.by_key[key] = {
                    "id": f"ref{len(self.by_key) + 1:06d}",
                    "key": key,
                    "amount": payout["amount"],
                    "account": payout["beneficiary_account"],
                    "status": "queued",
                }
            d = self.by_key[key]
            return httpx.Response(
                201, json={"payouts": [{"status": d["status"], "reference_no": d["id"]}]}
            )
        if path == "/iris/api/v1/account_validation":
            account = request.url.params["account"]
            if account == FAILING_ACCOUNT:
                return httpx.Response(400, json={"error_message": "Account does not exist"})
            return httpx.Response(
                200, json={"account_name": "SITI RAHAYU", "account_no": account, "bank_name": "bca"}
            )
        wanted = path.rsplit("/", 1)[-1]
        for d in self.by_key.values():
            if d["id"] == wanted:
                return httpx.Response(200, json=self._iris_view(d))
        return httpx.Response(404, json={"error_message": "Payout not found"})

    def _iris_view(self, d: dict[str, Any]) -> dict[str, Any]:
        return {
            "reference_no": d["id"],
            "amount": d["amount"],
            "status": d["status"],
            "updated_at": "2026-12-04T17:00:00+07:00",
            "error_code": d.get("error_code"),
            "error_message": d.get("error_message"),
        }


class SimulatorPayouts:
    """The payment simulator's payouts (Iris' wire format), in-process on its own database, with
    the Iris adapter pointed at it; the callbacks it sends are collected here."""

    kind = "simulator"

    def __init__(self, app: Any, client: Any, inbox: list[tuple[dict[str, str], bytes]]) -> None:
        self.app, self.client, self.inbox = app, client, inbox

    def adapter(self) -> DisbursementPartner:
        from tests.integration.payment_partners import PAYMENTS_URL, SERVER_KEY

        return IrisPartner(
            SERVER_KEY, SERVER_KEY, base_url=PAYMENTS_URL + "/iris", client=self.client
        )

    @property
    def by_key(self) -> dict[str, dict[str, Any]]:
        from sqlalchemy import select

        from keranjang.payments.simulator.payouts import PayoutRow

        with self.app.state.service.sessions() as s:
            rows = s.scalars(select(PayoutRow).order_by(PayoutRow.id)).all()
            return {
                r.idempotency_key: {"id": r.reference_no, "account": r.account, "amount": r.amount}
                for r in rows
            }

    def run(self) -> list[tuple[dict[str, str], bytes]]:
        """The simulated bank answers, the callbacks due go out; what reached the shop."""
        desk = self.app.state.payouts
        desk.process_due()
        desk.dispatch_due()
        taken, self.inbox[:] = list(self.inbox), []
        return taken

    def finish(self, key: str) -> tuple[dict[str, str], bytes]:
        reference = self.by_key[key]["id"]
        self.run()
        return self.callback(key) if reference else ({}, b"")

    def callback(self, key: str) -> tuple[dict[str, str], bytes]:
        """The genuine callback of the payout as it stands now, signed as the simulator signs."""
        from keranjang.payments.simulator.payouts import iris_signature
        from tests.integration.payment_partners import SERVER_KEY

        body = json.dumps(self.app.state.payouts.get(self.by_key[key]["id"])).encode()
        return {"iris-signature": iris_signature(body, SERVER_KEY)}, body


def simulator_payouts(database_url: Any, clock: Any, folder: Any) -> Any:
    """A generator of `SimulatorPayouts` (use with `yield from`)."""
    import random

    from fastapi.testclient import TestClient

    from keranjang.payments.simulator.app import create_app
    from keranjang.payments.simulator.config import PaymentsSettings
    from tests.integration.payment_partners import OPERATOR, PAYMENTS_URL, SERVER_KEY

    inbox: list[tuple[dict[str, str], bytes]] = []

    def receive(request: httpx.Request) -> httpx.Response:
        inbox.append((dict(request.headers), request.content))
        return httpx.Response(200)

    settings = PaymentsSettings(
        data_dir=folder,
        database_url=database_url("payments"),
        server_key=SERVER_KEY,
        admin_token=OPERATOR,
        payout_notification_url="http://commerce.test/payments/disbursements/callback",
        public_url=PAYMENTS_URL,
        dispatch_every_seconds=0,
        expire_every_seconds=0,
    )
    app = create_app(
        settings,
        clock=clock,
        notify_client=httpx.Client(transport=httpx.MockTransport(receive)),
        rng=random.Random(2024),
    )
    with TestClient(app, base_url=PAYMENTS_URL) as client:
        yield SimulatorPayouts(app, client, inbox)
    app.state.engine.dispose()
