"""The report a ministry can file, as an A4 PDF (fpdf2, a Unicode font where the machine has
one): the regime and the period, the migration's progress per category against the deadline,
every rule with its status, legal basis, evidence and the sanctions step reached, and the signed
checkpoint (size and root hash) that lets the report be checked against the audit log. Page
numbers and the generation time in WIB in every footer; every word through the catalog."""

import base64
from pathlib import Path

from fpdf import FPDF

from keranjang.oversight.web.pages import formatting as fmt
from keranjang.oversight.web.pages.i18n import Words
from keranjang.oversight.web.pages.reading import Overview, RuleLine

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
BRAND = (13, 92, 46)
TEXT = (29, 36, 48)
STATUS_RGB = {"pass": (13, 92, 46), "fail": (155, 28, 28), "insufficient_data": (122, 65, 0)}
KEYS = ("payment", "data", "merchant_operations", "overall")


class Report(FPDF):
    def __init__(self, words: Words, generated: str) -> None:
        super().__init__(format="A4")
        self.words, self.generated = words, generated
        folder = next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").is_file()), None)
        if folder is not None:
            self.add_font("body", "", str(folder / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(folder / "DejaVuSans-Bold.ttf"))
            mono = folder / "DejaVuSansMono.ttf"
            self.add_font("mono", "", str(mono if mono.is_file() else folder / "DejaVuSans.ttf"))
            self.face, self.mono = "body", "mono"
        else:
            self.face, self.mono = "helvetica", "courier"
        self.set_margins(18, 18)
        self.set_auto_page_break(True, margin=20)

    def text_of(self, value: str) -> str:
        """Text this font can draw (the core fonts only know Latin-1)."""
        if self.face == "body":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def say(self, text: str, size: float = 10, bold: bool = False, mono: bool = False) -> None:
        self.set_font(self.mono if mono else self.face, "B" if bold else "", size)
        self.multi_cell(0, size * 0.55, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_text_color(*BRAND)
        self.say(text, 13, bold=True)
        self.set_text_color(*TEXT)
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.face, "", 8)
        self.set_text_color(74, 83, 97)
        page = self.words._("Halaman {page} dari {pages}", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, self.text_of(f"{self.generated} · {page}"), align="C")
        self.set_text_color(*TEXT)


def render_pdf(view: Overview, words: Words) -> bytes:
    _ = words._
    generated = _("Dibuat {at}", at=fmt.wib(view.now, words))
    pdf = Report(words, generated)
    pdf.set_title(_("Laporan pengawasan") + f" {view.regime_id}")
    pdf.set_creator("Keranjang")
    pdf.alias_nb_pages()
    pdf.add_page()
    _title(pdf, view)
    _progress(pdf, view)
    pdf.heading(_("Aturan dan hasilnya"))
    for line in view.lines:
        _rule(pdf, line)
    if not view.lines:
        pdf.say(_("Belum ada evaluasi."))
    _checkpoint(pdf, view)
    return bytes(pdf.output())


def _title(pdf: Report, view: Overview) -> None:
    w, _ = pdf.words, pdf.words._
    pdf.set_text_color(*BRAND)
    pdf.say(_("Laporan Pengawasan Pemisahan Social Commerce"), 17, bold=True)
    pdf.set_text_color(*TEXT)
    first, last = view.period
    pdf.say(_("Rezim: {name} ({id})", name=view.regime_name, id=view.regime_id), bold=True)
    pdf.say(_("Periode: {first} sampai {last}", first=fmt.wib(first, w), last=fmt.wib(last, w)))
    pdf.say(pdf.generated)
    failing = _("{failing} dari {total} aturan gagal", failing=view.failing,
                total=len(view.lines))  # fmt: skip
    pdf.say(failing, bold=view.failing > 0)


def _progress(pdf: Report, view: Overview) -> None:
    w, _, p = pdf.words, pdf.words._, view.progress
    pdf.heading(_("Kemajuan migrasi dan batas waktu"))
    pdf.say(_("Batas waktu") + f": {fmt.wib(p.deadline, w)} ({fmt.countdown(p.seconds_left, w)})")
    eta = fmt.wib(p.eta, w) if p.eta else _("belum dapat diperkirakan")
    eta = _("sudah selesai") if p.assessment == "done" and not p.eta else eta
    pdf.say(_("Perkiraan selesai (ETA)") + f": {eta}")
    pdf.say(_("Penilaian") + f": {fmt.label(fmt.OUTLOOK, p.assessment, w)}", bold=True)
    latest = view.latest
    for key in KEYS:
        value = getattr(latest, key) if latest else 0.0
        name = fmt.label(fmt.CATEGORY, key, w)
        pdf.say(f"{name}: {fmt.percent(value, w)}", bold=key == "overall")
    if len(p.series) > 1:
        steps = " → ".join(fmt.percent(s.overall, w) for s in p.series[-8:])
        pdf.say(_("Riwayat keseluruhan") + f": {steps}", 9)


def _rule(pdf: Report, line: RuleLine) -> None:
    w, _, r = pdf.words, pdf.words._, line.result
    pdf.ln(2)
    pdf.say(f"{r.rule_id} · {r.legal_basis}", 10.5, bold=True)
    pdf.set_text_color(*STATUS_RGB.get(r.status, (61, 68, 81)))
    status = f"{fmt.STATUS_MARK[r.status]} {fmt.label(fmt.STATUS, r.status, w)}"
    pdf.say(f"{status} · " + _("sejak") + f" {fmt.wib(r.since, w)}", bold=True)
    if r.sanction:
        pdf.say(_("Sanksi") + f": {fmt.label(fmt.SANCTION, r.sanction, w)}", bold=True)
    pdf.set_text_color(*TEXT)
    if line.rule is not None:
        pdf.say(line.rule.text_id, 9)
        pdf.set_text_color(74, 83, 97)
        pdf.say(line.rule.text_en, 8.5)
        pdf.set_text_color(*TEXT)
    pdf.say(_("Bukti") + f": {r.summary}", 9)
    for finding in line.findings:
        pdf.say(f"  • {finding}", 8.5)
    pdf.say(f"SHA-256 {r.evidence_sha256} · " + _("log #{index}", index=r.log_index), 7.5,
             mono=True)  # fmt: skip


def _checkpoint(pdf: Report, view: Overview) -> None:
    w, _, c = pdf.words, pdf.words._, view.checkpoint
    pdf.heading(_("Checkpoint log audit terakhir"))
    if c is None:
        pdf.say(_("Log belum memiliki checkpoint."))
        return
    pdf.say(_("Ukuran pohon") + ": " + _("{size} entri", size=c.size))
    pdf.say(_("Hash akar") + ":")
    pdf.say(base64.b64encode(c.root).decode(), 9, mono=True)
    pdf.say(_("Ditandatangani") + f": {fmt.wib(c.at, w)}")
    pdf.say(_("Kunci verifikasi") + ":")
    pdf.say(c.verifier_key, 8, mono=True)
    pdf.ln(1)
    pdf.say(_("Laporan ini dapat dicocokkan dengan log: setiap hasil di atas adalah entri log "
               "bernomor, tercakup dalam pohon bertanda tangan ini. Periksa secara luring dengan "
               "`keranjang audit verify`."), 9)  # fmt: skip
