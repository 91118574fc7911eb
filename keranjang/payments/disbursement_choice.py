"""Which disbursement partner sends money out, chosen by configuration like `choice` does for
payments: Xendit Disbursements (the same secret key and callback token as Xendit payments),
Midtrans Iris (its own creator and merchant keys), or the payment simulator (its server key). A missing key is a ValueError naming it."""

from dataclasses import dataclass
from typing import Literal

import httpx

from keranjang.payments.disbursements import DisbursementPartner
from keranjang.payments.iris import IrisPartner
from keranjang.payments.xendit_disbursements import XenditDisbursements

DisburserKind = Literal["none", "simulator", "xendit", "midtrans"]


@dataclass(frozen=True)
class DisburserChoice:
    kind: DisburserKind
    xendit_secret_key: str | None = None
    xendit_callback_token: str | None = None
    iris_creator_key: str | None = None
    iris_merchant_key: str | None = None
    production: bool = False
    iris_url: str | None = None
    simulator_url: str = "http://127.0.0.1:8003"
    simulator_server_key: str | None = None


def disburser_from_settings(
    choice: DisburserChoice, *, transport: httpx.BaseTransport | None = None
) -> DisbursementPartner | None:
    """The adapter `choice` names, or None for "none"."""
    if choice.kind == "none":
        return None
    if choice.kind == "simulator":  # the payment simulator speaks Iris' format at /iris
        key = _needed(choice.simulator_server_key, "simulator_server_key")
        url = choice.simulator_url.rstrip("/") + "/iris"
        return IrisPartner(key, key, base_url=url, transport=transport, name="simulator")
    if choice.kind == "xendit":
        secret = _needed(choice.xendit_secret_key, "xendit_secret_key")
        token = _needed(choice.xendit_callback_token, "xendit_callback_token")
        return XenditDisbursements(secret, token, transport=transport)
    if choice.kind == "midtrans":
        creator = _needed(choice.iris_creator_key, "iris_creator_key")
        merchant = _needed(choice.iris_merchant_key, "iris_merchant_key")
        return IrisPartner(
            creator,
            merchant,
            sandbox=not choice.production,
            transport=transport,
            base_url=choice.iris_url,
        )
    raise ValueError(
        f"unknown disbursement partner {choice.kind!r}: none, simulator, xendit or midtrans"
    )


def _needed(value: str | None, field: str) -> str:
    if value is None or not value.strip():
        raise ValueError(f"{field} is needed to send money out through this partner")
    return value
