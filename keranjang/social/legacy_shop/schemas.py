"""The legacy shop's HTTP shapes (pydantic), and how the use cases' answers become them."""

from dataclasses import asdict
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from keranjang.infra.http_errors import MAX_ID
from keranjang.payments import PaymentMethod
from keranjang.social.legacy_shop import domain, listings, moving, views
from keranjang.social.legacy_shop.domain import OrderStatus, SellerKind


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegistrationIn(Strict):
    """A shop in the app. Foreign sellers' Pasal 5 facts are kept as given (the old app did not
    insist); `missing` in the answer names what commerce will ask for."""

    slug: str = Field(max_length=50, examples=["toko-rina"])
    name: str = Field(max_length=120, examples=["Toko Rina"])
    kind: SellerKind = SellerKind.LOCAL
    city: str = Field(default="", max_length=80)
    owner_name: str | None = Field(default=None, max_length=120)
    identity_document: str | None = Field(default=None, max_length=60)
    business_legality_document: str | None = Field(default=None, max_length=500)
    legalisation_reference: str | None = Field(default=None, max_length=120)
    sni_certificate: str | None = Field(default=None, max_length=120)
    halal_certificate: str | None = Field(default=None, max_length=120)
    description_id: str | None = Field(default=None, max_length=5000)
    origin_country: str | None = Field(default=None, max_length=2)
    origin_city: str | None = Field(default=None, max_length=80)


class PayoutAccountIn(Strict):
    bank_code: str = Field(max_length=10, examples=["bca"])
    account_number: str = Field(max_length=20, examples=["1234567890"])
    holder_name: str = Field(max_length=120)


class PayoutAccountOut(BaseModel):
    bank_code: str
    account_number: str
    holder_name: str


class SellerOut(BaseModel):
    id: int
    slug: str
    name: str
    kind: SellerKind
    city: str
    registration: dict[str, str | None]
    missing: list[str] = Field(description="Pasal 5 items commerce will ask for.")
    payout_account: PayoutAccountOut | None


class RegisteredSellerOut(SellerOut):
    token: str = Field(description="Bearer token for the seller API; shown once.")


class ListingIn(Strict):
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    price_idr: int = Field(ge=1, le=listings.MAX_PRICE_IDR)
    stock: int = Field(ge=0, le=10_000_000)
    category: str = Field(default="Lainnya", max_length=60)
    image_url: str | None = Field(default=None, max_length=500)
    hs_code: str | None = Field(default=None, max_length=13, examples=["6205.20.00"])
    origin_country: str = Field(default="ID", max_length=2)
    cross_border: bool = False
    fob_usd_cents: int | None = Field(default=None, ge=1, le=listings.MAX_FOB_USD_CENTS)
    npb_number: str | None = Field(default=None, max_length=64)
    sni_number: str | None = Field(default=None, max_length=64)
    halal_number: str | None = Field(default=None, max_length=64)
    commission_bp: int = Field(default=0, ge=0, le=listings.MAX_COMMISSION_BP)


class ListingPatch(Strict):
    """Only the fields sent change; an optional field sent as null is removed."""

    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    price_idr: int | None = Field(default=None, ge=1, le=listings.MAX_PRICE_IDR)
    stock: int | None = Field(default=None, ge=0, le=10_000_000)
    category: str | None = Field(default=None, max_length=60)
    image_url: str | None = Field(default=None, max_length=500)
    hs_code: str | None = Field(default=None, max_length=13)
    origin_country: str | None = Field(default=None, max_length=2)
    cross_border: bool | None = None
    fob_usd_cents: int | None = Field(default=None, ge=1, le=listings.MAX_FOB_USD_CENTS)
    npb_number: str | None = Field(default=None, max_length=64)
    sni_number: str | None = Field(default=None, max_length=64)
    halal_number: str | None = Field(default=None, max_length=64)
    commission_bp: int | None = Field(default=None, ge=0, le=listings.MAX_COMMISSION_BP)

    def changes(self) -> dict[str, object]:
        required = {"title", "description", "price_idr", "stock", "category", "origin_country",
                    "cross_border", "commission_bp"}  # fmt: skip
        sent = self.model_dump(include=self.model_fields_set)
        for name in required & sent.keys():
            if sent[name] is None:
                raise domain.Invalid(
                    f"{name} cannot be removed, only changed", "field_required", field=name
                )
        return sent


class ProductOut(ListingIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    seller_id: int
    seller_name: str
    in_stock: bool
    cross_border_gaps: list[str] = Field(description="What commerce would refuse (Pasal 11, 19).")


class AddressIn(Strict):
    recipient: str = Field(max_length=120)
    phone: str = Field(max_length=16, examples=["+6281234567890"])
    street: str = Field(max_length=300)
    city: str = Field(max_length=80)
    postal_code: str = Field(max_length=5, examples=["40111"])

    def to_domain(self) -> domain.Address:
        return domain.Address(**self.model_dump())


class SavedAddressIn(AddressIn):
    label: str = Field(default="Rumah", max_length=40)


class AddressOut(AddressIn):
    model_config = ConfigDict(extra="ignore")
    id: int
    label: str


class PhoneIn(Strict):
    phone: str = Field(max_length=16, examples=["+6281234567890"])


class ProfileOut(BaseModel):
    phone: str | None


class CartItemIn(Strict):
    quantity: int = Field(ge=0, le=domain.MAX_QUANTITY, description="0 removes the line.")
    pin_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="The yellow cart.")


class CartLineOut(BaseModel):
    product_id: int
    seller_id: int
    title: str
    unit_price_idr: int
    quantity: int
    in_stock: bool


class CartOut(BaseModel):
    lines: list[CartLineOut]
    subtotal_idr: int


class CheckoutIn(Strict):
    address_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    shipping_address: AddressIn | None = None
    payment_method: PaymentMethod | None = Field(
        default=None, description="Start each order's payment at once (else pay later)."
    )

    @model_validator(mode="after")
    def one_address(self) -> Self:
        if (self.address_id is None) == (self.shipping_address is None):
            raise ValueError("send exactly one of address_id and shipping_address")
        return self


class PaymentIn(Strict):
    method: PaymentMethod


class PaymentOut(BaseModel):
    order_id: int
    partner_order_id: str
    partner: str
    method: str
    amount_idr: int
    status: str
    redirect_url: str | None
    virtual_account: dict[str, str] | None
    qris: str | None
    expires_at: str | None


class LineOut(BaseModel):
    product_id: int
    title: str
    unit_price_idr: int
    quantity: int


class EventOut(BaseModel):
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str
    at: datetime


class OrderOut(BaseModel):
    id: int
    number: str
    seller_id: int
    status: OrderStatus
    subtotal_idr: int
    shipping_idr: int
    total_idr: int
    shipping_address: AddressIn
    tracking_number: str | None
    hold_expires_at: datetime
    created_at: datetime
    lines: list[LineOut]
    events: list[EventOut]
    payment: PaymentOut | None


class CheckoutOut(BaseModel):
    checkout_id: int
    replayed: bool
    orders: list[OrderOut]


class ShipIn(Strict):
    tracking_number: str = Field(max_length=64)


class CancelIn(Strict):
    reason: str = Field(max_length=500)


class BalanceOut(BaseModel):
    seller_id: int
    escrow_idr: int = Field(description="Paid orders not yet completed.")
    payable_idr: int = Field(description="The seller's share of completed orders.")


class NewsOut(BaseModel):
    outcome: str


class MoveConsentOut(BaseModel):
    seller_id: int
    confirmed: bool = Field(description="The seller has confirmed its shop's move to commerce.")
    confirmed_at: datetime | None


class SellerBuyerDataOut(BaseModel):
    seller_id: int
    orders: int
    buyers: int
    payments: int


class BuyerDataOut(BaseModel):
    by_table: dict[str, int]
    by_seller: list[SellerBuyerDataOut]
    total: int


def seller_out(v: views.SellerView) -> SellerOut:
    facts = {k: getattr(v.registration, k) for k in listings.FOREIGN_REQUIREMENTS}
    account = None if v.payout_account is None else PayoutAccountOut(**asdict(v.payout_account))
    return SellerOut(
        id=v.id,
        slug=v.slug,
        name=v.name,
        kind=v.kind,
        city=v.city,
        registration=facts,
        missing=list(v.missing),
        payout_account=account,
    )


def product_out(v: views.ProductView) -> ProductOut:
    return ProductOut(
        id=v.id,
        seller_id=v.seller_id,
        seller_name=v.seller_name,
        in_stock=v.in_stock,
        cross_border_gaps=list(v.cross_border_gaps),
        **asdict(v.listing),
    )


def address_out(v: views.AddressView) -> AddressOut:
    return AddressOut(id=v.id, label=v.label, **asdict(v.address))


def cart_out(v: views.CartView) -> CartOut:
    lines = [CartLineOut(**asdict(line)) for line in v.lines]
    return CartOut(lines=lines, subtotal_idr=v.subtotal_idr)


def order_out(v: views.OrderView, payment: views.PaymentView | None = None) -> OrderOut:
    paid_with = payment or v.payment
    return OrderOut(
        id=v.id,
        number=v.number,
        seller_id=v.seller_id,
        status=v.status,
        subtotal_idr=v.subtotal_idr,
        shipping_idr=v.shipping_idr,
        total_idr=v.total_idr,
        shipping_address=AddressIn(**asdict(v.shipping_address)),
        tracking_number=v.tracking_number,
        hold_expires_at=v.hold_expires_at,
        created_at=v.created_at,
        lines=[LineOut(**asdict(line)) for line in v.lines],
        events=[EventOut(**asdict(e)) for e in v.events],
        payment=None if paid_with is None else PaymentOut(**asdict(paid_with)),
    )


def move_consent_out(v: moving.Consent) -> MoveConsentOut:
    return MoveConsentOut(seller_id=v.seller_id, confirmed=v.confirmed, confirmed_at=v.confirmed_at)
