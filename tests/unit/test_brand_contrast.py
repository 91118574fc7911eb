"""The brand's colours are readable: every pair of CSS variables the shop and the seller center
put text on meets WCAG 2.x contrast of 4.5:1 (normal text, level AA), computed from the
variables as the templates declare them."""

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).parents[2] / "keranjang" / "commerce" / "web" / "templates"
AA_NORMAL_TEXT = 4.5
# (text, background) as the templates use them: buttons and chips (white on green), links and
# the brand (green on white), prices and labels (text, muted) on the page and on cards, the
# "stok habis" mark (orange) and badges (green-dark) on white.
PAIRS = [
    ("white", "green"),
    ("white", "green-dark"),
    ("green", "white"),
    ("green-dark", "white"),
    ("text", "bg"),
    ("text", "white"),
    ("muted", "white"),
    ("muted", "bg"),
    ("orange", "white"),
]


def variables(template: str) -> dict[str, str]:
    css = (TEMPLATES / template).read_text()
    root = re.search(r":root\s*\{([^}]*)\}", css)
    assert root, f"{template} declares no :root variables"
    return dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{6})", root.group(1)))


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour `#rrggbb`."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#03ac0e") == pytest.approx(3.04, abs=0.01)  # the old green


@pytest.mark.parametrize("template", ["base.html", "seller_base.html"])
def test_text_colours_meet_aa_contrast(template: str) -> None:
    colours = variables(template)
    failing = [
        f"{fg} on {bg}: {contrast(colours[fg], colours[bg]):.2f}:1"
        for fg, bg in PAIRS
        if contrast(colours[fg], colours[bg]) < AA_NORMAL_TEXT
    ]
    assert failing == [], f"{template}: below {AA_NORMAL_TEXT}:1"
