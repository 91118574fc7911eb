"""The cross-border positive list (Kepmendag 1998/2023): eight-digit HS codes that may be sold
directly from abroad below US$100 FOB a unit. One data file, `positive_list.json`, which the
regulator replaces; commerce's listing check and the monitor both read it through here."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DEFAULT = Path(__file__).with_name("positive_list.json")
GROUPS = ("books", "films", "software", "music")


@dataclass(frozen=True)
class PositiveList:
    decree: str
    source: str
    groups: dict[str, tuple[str, ...]]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(code for codes in self.groups.values() for code in codes)

    def covers(self, hs_code: str) -> bool:
        """Whether a listing's HS code (dots allowed; 8 to 10 digits, read by its first 8) is
        on the list. A code of fewer than 8 digits names no tariff line, so it is not."""
        digits = hs_code.replace(".", "").strip()
        return len(digits) >= 8 and digits[:8] in self.codes


def load(path: Path = DEFAULT) -> PositiveList:
    """The list in `path`; raises ValueError if it is not the expected shape."""
    data = json.loads(path.read_text(encoding="utf-8"))
    groups = {}
    for name in GROUPS:
        codes = tuple(str(item["code"]) for item in data["groups"][name])
        if not all(len(c) == 8 and c.isdigit() for c in codes):
            raise ValueError(f"{path.name}: every code of {name} must be eight digits")
        groups[name] = codes
    return PositiveList(str(data["decree"]), str(data["source"]), groups)


@cache
def default() -> PositiveList:
    """The shipped list, read once."""
    return load()


def on_positive_list(hs_code: str) -> bool:
    return default().covers(hs_code)
