"""A regulator's rule set: which rules it evaluates and with which parameters, read from a TOML
(or JSON) file. Two ship with Keranjang: `regimes/permendag-31-2023.toml` (Indonesia, the
default) and `regimes/eu-dma.toml` (the EU DMA's Art. 5(2) on the same evidence)."""

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from keranjang.evidence.positive_list import load as load_positive_list
from keranjang.oversight.errors import RegimeInvalid
from keranjang.oversight.rules import BY_ID
from keranjang.oversight.rules.base import Params, Rule
from keranjang.oversight.rules.sanctions import DEFAULT_THRESHOLDS, Sanction

SHIPPED = Path(__file__).parent / "regimes"
DEFAULT_FILE = SHIPPED / "permendag-31-2023.toml"
# Minor-unit digits of the currencies a listing may be priced in (rupiah: whole rupiah).
MINOR_DIGITS = {"IDR": 0, "JPY": 0, "KRW": 0, "VND": 0}


@dataclass(frozen=True)
class Hosts:
    """Where the monitor knows commerce and social to live (host:port of their public URLs)."""

    commerce: str
    social: str


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    rules: tuple[Rule, ...]
    deadline: datetime
    settings: Mapping[str, Any] = field(default_factory=dict)
    sanctions: Mapping[Sanction, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    def params(self, now: datetime, deadline: datetime, hosts: Hosts) -> Params:
        s = self.settings
        return Params(
            now=now,
            deadline=deadline,
            floor_usd_cents=int(s.get("floor_usd_cents", 100_00)),
            usd_cents_per_minor=s.get("usd_cents_per_minor", {}),
            positive_list=s.get("positive_list", frozenset()),
            foreign_documents=tuple(s.get("foreign_documents", ())),
            handoff_sla_ms=float(s.get("handoff_sla_ms", 500)),
            shop_tab_sla_ms=float(s.get("shop_tab_sla_ms", 1000)),
            handoff_routes=dict(s.get("handoff_routes", {})),
            commerce_host=hosts.commerce,
            social_host=hosts.social,
        )


def load(path: Path | None = None) -> Regime:
    """The regime in `path` (the Indonesian one by default); RegimeInvalid says what is wrong."""
    path = path or DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return _regime(data, path)
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError) as exc:
        raise RegimeInvalid(f"{path.name}: {type(exc).__name__}: {exc}") from exc


def _regime(data: Mapping[str, Any], path: Path) -> Regime:
    head, params = data["regime"], dict(data.get("params", {}))
    unknown = [r for r in head["rules"] if r not in BY_ID]
    if unknown:
        raise RegimeInvalid(f"{path.name}: unknown rules {', '.join(unknown)}")
    settings: dict[str, Any] = {k: v for k, v in params.items() if k not in ("rates", "sanctions")}
    settings["usd_cents_per_minor"] = {
        cur.upper(): _cents_per_minor(cur.upper(), str(per_usd))
        for cur, per_usd in params.get("rates", {}).items()
    }
    positive = params.get("positive_list_file")
    source = (path.parent / positive) if positive else None
    settings["positive_list"] = (
        load_positive_list(source) if source else load_positive_list()
    ).codes
    sanctions = {Sanction(k): float(v) for k, v in params.get("sanctions", {}).items()}
    return Regime(
        id=str(head["id"]),
        name=str(head["name"]),
        rules=tuple(BY_ID[r] for r in head["rules"]),
        deadline=datetime.fromisoformat(str(head["deadline"])),
        settings=settings,
        sanctions=sanctions or dict(DEFAULT_THRESHOLDS),
    )


def _cents_per_minor(currency: str, per_usd: str) -> tuple[int, int]:
    """US cents for one minor unit, from the official rate in units of the currency per US$1."""
    value = Fraction(100, 10 ** MINOR_DIGITS.get(currency, 2)) / Fraction(per_usd)
    return value.numerator, value.denominator
