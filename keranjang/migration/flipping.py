"""The flip: where the sellers' yellow carts and their products' pins lead, written in social.

The pins' map (legacy product -> commerce product) is written before the fence
(`map_products`): social reads it only for a seller whose route says commerce
(`keranjang.social.db.legacy_pin_target`), so rows written early change nothing a buyer sees
until the flip, and an attempt abandoned after them leaves rows nothing reads (the next attempt
writes them again; a rollback deletes them with the route). Inside the pause the flip then
writes only what the drain changed of the map (a product the seller created or deleted
meanwhile), every route in one statement, and lifts the fences. Measured on a batch of 45 small
merchants (450 products): the map's delete and COPY were 7 of the flip's 11 ms, the routes'
45 UPDATEs 2.7 (bench/README.md, "The flip out of the pause").

The public interface::

    map_products(ctx, moved) -> dict[int, int]     before the fence, in its own transaction
    flip(s, ctx, moved, mapped)                    in the pause, in the caller's transaction
"""

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from keranjang.infra.bulk import insert_rows, one_of, update_rows
from keranjang.migration.sync import Ctx
from keranjang.social import db as promotion
from keranjang.social.domain import Route
from keranjang.social.legacy_shop.moving import FenceRow

Products = dict[int, int]  # commerce product id -> legacy product id


def map_products(ctx: Ctx, moved: Products) -> Products:
    """Before the fence: the pins' map of the batch's products as `moved` says, committed;
    answers what was written (what the flip compares the drained map with)."""
    pairs = set(moved.items())
    with Session(ctx.social) as s, s.begin():
        _write_map(s, pairs, pairs, ctx.clock.now())
    return dict(moved)


def flip(s: Session, ctx: Ctx, moved: Products, mapped: Products) -> None:
    """In the caller's social transaction: the sellers' yellow carts pointed at commerce, the
    pins' map put right where `moved` (after the drain) differs from what `map_products` wrote
    (`mapped`), and the fences lifted; one statement per table, none for an unchanged map."""
    now = ctx.clock.now()
    _route_to_commerce(s, ctx.merchants, now)
    wanted, written = set(moved.items()), set(mapped.items())
    _write_map(s, (written - wanted) | (wanted - written), wanted - written, now)
    s.execute(delete(FenceRow).where(one_of(FenceRow.seller_id, ctx.sellers)))


def _write_map(
    s: Session, cleared: set[tuple[int, int]], added: set[tuple[int, int]], now: datetime
) -> None:
    """The map's rows of the legacy products in `cleared` deleted, those in `added` written."""
    if not cleared:
        return
    products = promotion.ProductMapRow
    legacy_ids = sorted({legacy for _, legacy in cleared})
    s.execute(delete(products).where(one_of(products.legacy_product_id, legacy_ids)))
    pins = [
        {"legacy_product_id": legacy, "commerce_product_id": new, "mapped_at": now}
        for new, legacy in sorted(added)
    ]
    if pins:
        insert_rows(s.connection(), cast(Table, products.__table__), pins)


def _route_to_commerce(s: Session, merchants: dict[int, int], now: datetime) -> None:
    """Each seller's route to commerce, with its merchant (`merchants`: seller -> merchant),
    in one statement on PostgreSQL (`update_rows`)."""
    routes = [
        {"legacy_seller_id": x, "commerce_merchant_id": m} for x, m in sorted(merchants.items())
    ]
    same = {"route": Route.COMMERCE.value, "changed_at": now}
    table = cast(Table, promotion.MerchantRouteRow.__table__)
    update_rows(s.connection(), table, "legacy_seller_id", routes, same)
