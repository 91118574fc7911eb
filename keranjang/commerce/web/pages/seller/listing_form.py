"""The product form: what the seller typed, read into a new listing or a change of one.

The page reads only the form's text (numbers, dollars, lengths the catalog stores); whether a
listing is acceptable is the domain's to say (`check_new_product`), and its refusal is
shown next to the field its message names.
"""

import re
from dataclasses import asdict, dataclass, field

from keranjang.commerce.catalog.domain import (
    MAX_COMMISSION_BP,
    NewProduct,
    Product,
    ProductChange,
)
from keranjang.commerce.errors import Invalid
from keranjang.commerce.web.wording import say
from keranjang.infra.i18n import Words

# Longest text each field may hold: the catalog API's limits (api.ProductIn). They are about
# storage, not about what a listing means, so the domain's rules do not cover them.
TEXT_LIMITS = {
    "title": 200,
    "description": 5000,
    "image_url": 500,
    "category": 60,
    "hs_code": 13,
    "origin_country": 2,
    "npb_number": 64,
    "sni_number": 64,
    "halal_number": 64,
}
MAX_STOCK = 10_000_000
WHOLE = re.compile(r"-?[0-9]{1,15}")
DOLLARS = re.compile(r"([0-9]{1,12})(?:[.,]([0-9]{1,2}))?")
PERCENT = re.compile(r"([0-9]{1,3})(?:[.,]([0-9]{1,2}))?%?")
FIELDS = (*TEXT_LIMITS, "price_idr", "stock", "cross_border", "fob_usd", "commission")
# Rule messages name the domain's field; the form shows the FOB price in dollars and the
# creator's commission in percent.
FORM_FIELD = {"fob_usd_cents": "fob_usd", "commission_bp": "commission"}
# The form's own labels, which a rule's refusal names its field by.
LABELS = {
    "title": "Nama produk",
    "description": "Deskripsi",
    "price_idr": "Harga (Rp)",
    "stock": "Stok",
    "category": "Kategori",
    "image_url": "URL gambar",
    "commission": "Komisi kreator (%)",
    "hs_code": "Kode HS",
    "origin_country": "Negara asal",
    "fob_usd": "Harga FOB (US$)",
    "npb_number": "Nomor NPB",
    "sni_number": "Nomor SNI",
    "halal_number": "Nomor sertifikat halal",
}
INDONESIAN = Words("id")


def dollars(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def percent(basis_points: int) -> str:
    """Basis points as the form shows them: 500 → "5", 250 → "2,5", 1275 → "12,75"."""
    whole, hundredths = divmod(basis_points, 100)
    return str(whole) if not hundredths else f"{whole},{hundredths:02d}".rstrip("0")


def basis_points(typed: str) -> int | None:
    """A percentage typed in the form ("5", "2,5", "2.5%") in basis points; None if unreadable
    or above the catalog's limit."""
    found = PERCENT.fullmatch(typed.replace(" ", ""))
    if found is None:
        return None
    bp = int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))
    return bp if bp <= MAX_COMMISSION_BP else None


@dataclass
class ProductForm:
    """A product form as the seller typed it (shown again when refused), the numbers read from
    it, and what to fix, by field ('' for the form as a whole)."""

    text: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    price_idr: int = 0
    stock: int = 0
    fob_usd_cents: int | None = None
    commission_bp: int = 0

    @classmethod
    def blank(cls) -> "ProductForm":
        defaults = {"origin_country": "ID", "category": "Lainnya", "commission": "0"}
        return cls(dict.fromkeys(FIELDS, "") | defaults)

    @classmethod
    def of(cls, p: Product) -> "ProductForm":
        text = {name: str(getattr(p, name) or "") for name in TEXT_LIMITS}
        text |= {"price_idr": str(p.price_idr), "stock": str(p.stock)}
        text |= {
            "cross_border": "on" if p.cross_border else "",
            "fob_usd": dollars(p.fob_usd_cents),
            "commission": percent(p.commission_bp),
        }
        return cls(text)

    @classmethod
    def submitted(cls, form: dict[str, str], words: Words = INDONESIAN) -> "ProductForm":
        typed = cls({name: form.get(name, "").strip() for name in FIELDS})
        typed._read_numbers(words)
        for name, limit in TEXT_LIMITS.items():
            if len(typed.text[name]) > limit:
                typed.errors[name] = words._("Paling banyak {limit} karakter.", limit=limit)
        return typed

    @property
    def cross_border(self) -> bool:
        return bool(self.text["cross_border"])

    def _read_numbers(self, words: Words) -> None:
        price = self.text["price_idr"].removeprefix("Rp").replace(".", "").replace(" ", "")
        if WHOLE.fullmatch(price):
            self.price_idr = int(price)
        else:
            self.errors["price_idr"] = words._("Isi harga dalam rupiah penuh, misalnya 350000.")
        stock = self.text["stock"]
        if WHOLE.fullmatch(stock) and int(stock) <= MAX_STOCK:
            self.stock = int(stock)
        else:
            self.errors["stock"] = words._(
                "Isi stok dengan bilangan bulat 0 sampai {max}.", max=MAX_STOCK
            )
        fob = DOLLARS.fullmatch(self.text["fob_usd"])
        if fob:
            self.fob_usd_cents = int(fob[1]) * 100 + int((fob[2] or "0").ljust(2, "0"))
        elif self.text["fob_usd"]:
            self.errors["fob_usd"] = words._("Isi harga FOB dalam dolar AS, misalnya 120.50.")
        commission = basis_points(self.text["commission"] or "0")
        if commission is None:
            self.errors["commission"] = words._(
                "Isi komisi kreator dalam persen, 0 sampai {max}, paling banyak dua angka "
                "desimal, misalnya 5 atau 2,5.",
                max=MAX_COMMISSION_BP // 100,
            )
        else:
            self.commission_bp = commission

    def new_product(self) -> NewProduct | None:
        """The listing to add, or None while the form has errors."""
        if self.errors:
            return None
        x = self.text
        return NewProduct(
            title=x["title"],
            description=x["description"],
            price_idr=self.price_idr,
            stock=self.stock,
            category=x["category"],
            image_url=x["image_url"],
            hs_code=x["hs_code"],
            origin_country=x["origin_country"],
            cross_border=self.cross_border,
            fob_usd_cents=self.fob_usd_cents,
            npb_number=x["npb_number"],
            sni_number=x["sni_number"],
            halal_number=x["halal_number"],
            commission_bp=self.commission_bp,
        )

    def change_of(self, product: Product) -> ProductChange | None:
        """The whole form as a change (an emptied optional text field is cleared), or None while
        the form has errors."""
        new = self.new_product()
        if new is None:
            return None
        emptied = frozenset({"fob_usd_cents"}) if new.fob_usd_cents is None else frozenset()
        return ProductChange(**asdict(new), cleared=emptied)

    def refused(self, exc: Invalid, words: Words = INDONESIAN) -> None:
        """Show a rule's refusal next to the field it names, in the form's own words."""
        name = str(exc.params.get("field") or str(exc).split(" ", 1)[0])
        name = FORM_FIELD.get(name, name)
        labels = LABELS | {domain: LABELS[form] for domain, form in FORM_FIELD.items()}
        self.errors[name if name in FIELDS else ""] = say(exc, words, labels)
