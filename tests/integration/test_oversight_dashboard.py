"""The regulator's dashboard and the PDF report, on SQLite and PostgreSQL after evaluations of a
migration under way (21(3) failing while merchants still sell in the app) and then done: every
page answers with what a regulator reads there, in Indonesian first and in English on the
switch; the PDF names every rule, its status and the checkpoint's root hash; a browser needs to
sign in; `/docs` loads nothing from the internet."""

import base64
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from pypdf import PdfReader

from keranjang.evidence.migration import ProgressSnapshot
from keranjang.infra.clock import FixedClock
from keranjang.oversight import sample_evidence
from keranjang.oversight.app import create_app
from keranjang.oversight.config import OversightSettings
from keranjang.oversight.evidence import FakeEvidence
from keranjang.oversight.web.pages import formatting
from keranjang.oversight.web.pages.i18n import catalog_path

REGULATOR, OPERATOR = "dash-regulator-token", "dash-operator-token"
START = datetime(2024, 3, 20, 2, tzinfo=UTC)
RULE = "pasal-21-3.no-payments-in-social"
WEB = Path(__file__).resolve().parents[2] / "keranjang" / "oversight" / "web"
# (payment, data, merchant operations, overall) as the migration reported them, day by day.
STEPS = [(72.0, 60.0, 75.0, 70.0), (78.0, 66.0, 75.0, 75.0), (92.0, 80.0, 80.0, 87.0)]
HEADERS = {"Authorization": f"Bearer {REGULATOR}"}


def snapshot(at: datetime, figures: tuple[float, float, float, float]) -> ProgressSnapshot:
    payment, data, operations, overall = figures
    return ProgressSnapshot(at=at, payment_percent=payment, data_percent=data,
                            merchant_operations_percent=operations, overall_percent=overall,
                            merchants_moved=9, merchants_total=12, rows_per_second=40.0,
                            eta=at + timedelta(days=3))  # fmt: skip


def migrating(fake: FakeEvidence, now: datetime) -> None:
    """Three merchants still selling in the app, a payment taken there, 87 % moved."""
    social = sample_evidence.social(now)
    shop = social.legacy_shop.model_copy(update={"enabled": True, "merchants_on_shop": 3,
                                                 "orders_in_window": 5, "payments_created_in_window": 2})  # fmt: skip
    fake.pieces["social"] = social.model_copy(update={"legacy_shop": shop})
    fake.pieces["migration"] = sample_evidence.progress(now, 87.0)
    history = sample_evidence.history(now)
    fake.pieces["history"] = history.model_copy(update={"snapshots": [
        snapshot(now - timedelta(days=len(STEPS) - i), f) for i, f in enumerate(STEPS)]})  # fmt: skip


def finished(fake: FakeEvidence, now: datetime) -> None:
    """The last merchant purged: nothing sells in the app, every category at 100 %."""
    fresh = sample_evidence.compliant(now)
    fake.pieces["social"] = fresh.pieces["social"]
    fake.pieces["migration"] = fresh.pieces["migration"]
    done = snapshot(now, (100.0, 100.0, 100.0, 100.0)).model_copy(update={"eta": None})
    fake.pieces["history"] = sample_evidence.history(now).model_copy(update={"snapshots": [done]})


@dataclass
class Dashboard:
    client: TestClient
    fake: FakeEvidence
    clock: FixedClock

    def evaluate(self) -> None:
        self.clock.advance(hours=1)
        r = self.client.post("/api/evaluations", headers={"Authorization": f"Bearer {OPERATOR}"})
        assert r.status_code == 201, r.text

    def get(self, path: str, **headers: str) -> str:
        r = self.client.get(path, headers={**HEADERS, **headers})
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        return r.text

    def checkpoint(self) -> dict[str, object]:
        found: dict[str, object] = self.client.get("/api/checkpoint", headers=HEADERS).json()
        return found


def start(database_url: str, folder: Path, deadline: datetime | None = None) -> Iterator[Dashboard]:
    (folder / "regulator-token").write_text(REGULATOR)
    clock = FixedClock(START)
    fake = sample_evidence.compliant(START)
    migrating(fake, START)
    settings = OversightSettings(data_dir=folder, database_url=database_url, admin_token=OPERATOR,
                                 evaluate_every_seconds=0, deadline=deadline,
                                 public_url="http://monitor.test:8004")  # fmt: skip
    with TestClient(create_app(settings, source=fake, clock=clock)) as client:
        yield Dashboard(client, fake, clock)


@pytest.fixture
def dash(database_url: Callable[[str], str], tmp_path: Path) -> Iterator[Dashboard]:
    yield from start(database_url("oversight"), tmp_path)


def bar(html: str, category: str) -> float:
    found = re.search(rf'data-category="{category}" data-percent="([\d.]+)"', html)
    assert found, category
    return float(found.group(1))


def status_of(html: str, rule: str) -> str:
    found = re.search(rf'data-rule="{re.escape(rule)}".*?data-status="(\w+)"', html, re.S)
    assert found, rule
    return found.group(1)


def test_the_dashboard_shows_progress_deadline_rules_and_checkpoint(dash: Dashboard) -> None:
    dash.evaluate()
    html = dash.get("/")
    assert '<html lang="id">' in html and "Dasbor pengawasan" in html
    assert [bar(html, c) for c in ("payment", "data", "merchant_operations", "overall")] == [
        92.0, 80.0, 80.0, 87.0]  # fmt: skip
    assert html.count("<polyline") == 4 and "70 %" not in html.split("<svg")[0]
    assert "Batas waktu" in html and "12 April 2024" in html and "sisa 22 hari" in html
    assert "Perkiraan selesai (ETA)" in html and "22 Maret 2024 09:00 WIB" in html  # the ETA
    assert status_of(html, RULE) == "fail" and "✗ Gagal" in html
    assert "dilarang memfasilitasi transaksi" in html  # the legal basis in Indonesian
    assert "may not facilitate payment transactions" in html  # and in English below
    assert "payments_created_in_window = 2" in html  # the evidence, summarised
    root = base64.b64encode(base64.b64decode(str(dash.checkpoint()["root_hash"]))).decode()
    assert root in html and str(dash.checkpoint()["verifier_key"]) in html
    assert "keranjang audit verify log.json --checkpoint checkpoint.txt" in html
    assert "--url http://monitor.test:8004" in html
    assert 'href="/favicon.svg"' in html
    links = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert links and all(link.startswith(("/", "?", "#")) for link in links), links  # no CDN


def test_each_rule_has_its_history_and_full_evidence(dash: Dashboard) -> None:
    dash.evaluate()
    dash.evaluate()
    finished(dash.fake, dash.clock.now())
    dash.evaluate()
    html = dash.get("/")
    assert status_of(html, RULE) == "pass" and bar(html, "overall") == 100.0
    page = dash.get(f"/aturan/{RULE}")
    assert "Status dari waktu ke waktu" in page and "Permendag 31/2023 Pasal 21 ayat (3)" in page
    periods = page.split('id="periods"')[1].split('id="results"')[0]
    assert re.findall(r'data-status="(\w+)"', periods) == ["pass", "fail"]
    assert ">2</td>" in periods  # the failing period held over two evaluations
    link = re.search(rf'href="(/aturan/{re.escape(RULE)}/hasil/\d+\.json)"', page)
    assert link is not None
    evidence = dash.client.get(link.group(1), headers=HEADERS).json()
    assert evidence["rule_id"] == RULE and "read" in evidence["evidence"]
    missing = dash.client.get(f"/aturan/{RULE}/hasil/999999.json", headers=HEADERS)
    assert missing.status_code == 404
    assert dash.client.get("/aturan/no-such-rule", headers=HEADERS).status_code == 404


def test_english_by_switch_by_cookie_and_by_accept_language(dash: Dashboard) -> None:
    dash.evaluate()
    english = dash.get("/?lang=en")
    assert '<html lang="en">' in english and "Oversight dashboard" in english
    assert "✗ Fail" in english and "Deadline" in english and "12 April 2024" in english
    assert "Dasbor pengawasan" not in english
    assert "Back to the dashboard" in dash.get(f"/aturan/{RULE}")  # the switch is remembered
    assert "Dasbor pengawasan" in dash.get("/?lang=id")
    dash.client.cookies.clear()
    assert "Oversight dashboard" in dash.get("/", **{"Accept-Language": "en-GB,en;q=0.8"})
    assert "Dasbor pengawasan" in dash.get("/", **{"Accept-Language": "de-DE"})


def test_a_browser_signs_in_with_the_regulators_token(dash: Dashboard) -> None:
    c = dash.client
    first = c.get("/aturan/x?lang=en", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/masuk?next=%2Faturan%2Fx%3Flang%3Den"
    same = {"Sec-Fetch-Site": "same-origin"}
    wrong = c.post("/masuk", data={"token": "nope", "next": "/"}, headers=same)
    assert wrong.status_code == 401 and "Token tidak dikenal" in wrong.text
    foreign = c.post("/masuk", data={"token": REGULATOR}, headers={"Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403
    ok = c.post("/masuk", data={"token": REGULATOR, "next": "//evil.test/"}, headers=same,
                follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert REGULATOR not in ok.headers["set-cookie"]
    assert c.get("/").status_code == 200  # the session, no header
    c.post("/keluar", headers=same)
    assert c.get("/", follow_redirects=False).status_code == 303


def pdf_text(dash: Dashboard, path: str = "/reports/latest.pdf") -> tuple[str, int]:
    r = dash.client.get(path, headers=HEADERS)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(r.content))
    return "\n".join(p.extract_text() for p in reader.pages), len(reader.pages)


def test_the_pdf_report_names_every_rule_status_and_the_checkpoint(dash: Dashboard) -> None:
    dash.evaluate()
    text, pages = pdf_text(dash)
    flat = re.sub(r"\s+", " ", text)
    results = dash.client.get("/api/results", headers=HEADERS).json()["results"]
    for result in results:
        assert result["rule_id"] in flat
    assert "Gagal" in flat and "Lulus" in flat
    assert str(dash.checkpoint()["root_hash"]) in flat.replace(" ", "")
    assert f"{dash.checkpoint()['size']} entri" in flat
    assert "Laporan Pengawasan Pemisahan Social Commerce" in flat
    assert (
        "Periode: 17 Maret 2024 09:00 WIB sampai 20 Maret 2024" in flat
        and "Dibuat 20 Maret 2024 10:00 WIB" in flat
    )
    assert "Pembayaran: 92 %" in flat and "Batas waktu: 12 April 2024" in flat
    assert f"Halaman {pages} dari {pages}" in flat
    english, _ = pdf_text(dash, "/reports/latest.pdf?lang=en")
    assert "Oversight Report" in english and "Fail" in english and "March 2024" in english


def test_a_rule_failing_past_the_deadline_shows_its_sanction(
    database_url: Callable[[str], str], tmp_path: Path
) -> None:
    for dash in start(database_url("oversight"), tmp_path, deadline=START - timedelta(days=9)):
        dash.evaluate()
        assert "Sanksi: Peringatan tertulis" in dash.get("/")  # failing past the deadline
        dash.clock.advance(days=7)
        dash.evaluate()  # a week later, still failing: the next step of the ladder
        html = dash.get("/")
        assert "Sanksi: Daftar prioritas pengawasan" in html and "lewat 16 hari" in html
        text, _ = pdf_text(dash)
        assert "Sanksi: Daftar prioritas pengawasan" in re.sub(r"\s+", " ", text)


def test_docs_are_served_by_the_monitor_itself(dash: Dashboard) -> None:
    docs = dash.client.get("/docs")
    assert docs.status_code == 200
    assert "GET /api/results" in docs.text and "GET /log/proof/inclusion" in docs.text
    assert "GET /reports/latest.pdf" in docs.text
    assert "<script" not in docs.text and "http" not in docs.text.split("</style>")[0]
    assert dash.client.get("/redoc", follow_redirects=False).headers["location"] == "/docs"
    icon = dash.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"


def test_every_text_of_the_pages_and_report_has_its_english() -> None:
    used = {m for _f, _l, m, _c, _x in extract_from_dir(
        str(WEB), method_map=[("templates/**.html", "jinja2.ext:babel_extract"),
                              ("pages/**.py", "python")], keywords={"_": None})}  # fmt: skip
    for table in (formatting.STATUS, formatting.OUTLOOK, formatting.SANCTION, formatting.CATEGORY):
        used |= set(table.values())
    with catalog_path("en").open("rb") as source:
        catalog = read_po(source)
    english = {m.id: m.string for m in catalog if m.id}
    assert sorted(u for u in used if not english.get(u)) == []
    assert sorted(set(english) - used) == []  # nothing stale in the catalog
