"""Which payment partner to use, chosen by configuration (warehouse's way with backends): the part
that pays (commerce) fills a `PartnerChoice` from its own settings, and `partner_from_settings`
builds the adapter. The simulator is the real-and-fake default; Midtrans and Xendit need their
keys, and a missing one is a `ValueError` naming it, before any payment is tried."""

from dataclasses import dataclass
from typing import Literal

import httpx

from keranjang.infra.clock import Clock
from keranjang.payments.contract import PaymentPartner
from keranjang.payments.midtrans import MidtransPartner
from keranjang.payments.simulator_partner import SimulatorPartner
from keranjang.payments.xendit import XenditPartner

PartnerKind = Literal["simulator", "midtrans", "xendit"]
KINDS: tuple[PartnerKind, ...] = ("simulator", "midtrans", "xendit")


@dataclass(frozen=True)
class PartnerChoice:
    """The partner and what it needs. Only the fields of the chosen `kind` are read: the
    simulator's URL and server key, Midtrans' server key (sandbox unless `midtrans_production`),
    or Xendit's secret API key and callback verification token."""

    kind: PartnerKind
    simulator_url: str = "http://127.0.0.1:8003"
    simulator_server_key: str | None = None
    midtrans_server_key: str | None = None
    midtrans_production: bool = False
    xendit_secret_key: str | None = None
    xendit_callback_token: str | None = None


def partner_from_settings(
    choice: PartnerChoice, clock: Clock, *, transport: httpx.BaseTransport | None = None
) -> PaymentPartner:
    """The adapter `choice` names, on the shared HTTP client (`transport` replaces the network in
    tests). Raises ValueError for an unknown kind or a missing key, naming what to set."""
    if choice.kind == "simulator":
        key = _needed(choice.simulator_server_key, "simulator_server_key", "the payment simulator")
        return SimulatorPartner(choice.simulator_url, key, transport=transport)
    if choice.kind == "midtrans":
        key = _needed(choice.midtrans_server_key, "midtrans_server_key", "Midtrans")
        return MidtransPartner(
            key, sandbox=not choice.midtrans_production, transport=transport, clock=clock
        )
    if choice.kind == "xendit":
        secret = _needed(choice.xendit_secret_key, "xendit_secret_key", "Xendit")
        token = _needed(choice.xendit_callback_token, "xendit_callback_token", "Xendit")
        return XenditPartner(secret, token, transport=transport, clock=clock)
    raise ValueError(f"unknown payment partner {choice.kind!r}: choose one of {', '.join(KINDS)}")


def _needed(value: str | None, field: str, partner: str) -> str:
    if value is None or not value.strip():
        raise ValueError(f"{field} is needed to pay through {partner}")
    return value
