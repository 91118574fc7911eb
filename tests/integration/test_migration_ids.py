"""Commerce ids the engine reserves for a merchant's rows, on SQLite and PostgreSQL: SQLite has no
sequence, so commerce's own insert can take a reserved id before the engine's row lands; the
ids reserved again must lie above every id the journal has handed out (the batch's other rows
are mapped and not written yet), or two of the merchant's products would share one row. A
shop address commerce already has is not taken twice: the merchant opens at the next free
`<slug>-moved…`."""

from keranjang.commerce.catalog import db as catalog_db
from keranjang.migration import source, sync
from keranjang.migration.phases import Phase
from tests.integration.legacy_fixtures import legacy_fixture  # noqa: F401
from tests.integration.test_migration_engine import Moving, moving_fixture, one, rows  # noqa: F401


def test_ids_reserved_again_never_repeat_ids_already_handed_out(moving: Moving) -> None:
    sid = moving.seller_id
    assert moving.run(Phase.BOUND) is Phase.BOUND
    merchant = moving.move().commerce_merchant_id
    assert merchant is not None
    legacy_ids = [r[0] for r in rows(moving.social, f"SELECT id FROM legacy_products WHERE seller_id = {sid} ORDER BY id")]  # fmt: skip
    assert len(legacy_ids) >= 3
    taken: list[int] = []

    def commerce_sells_meanwhile(where: str) -> None:
        """Right after the ids are in the journal: another shop adds a product in commerce."""
        if where == "sync:product:intent" and not taken:
            taken.append(another_shops_product(moving, merchant))

    ctx = sync.Ctx(moving.social, moving.commerce, moving.journal, moving.parts.clock,
                   {sid: merchant}, commerce_sells_meanwhile)  # fmt: skip
    with moving.social.connect() as c:
        products = source.by_keys(c, "products", sid, legacy_ids)
    sync.apply(ctx, "products", products)

    mapped = ctx.mapped("product", legacy_ids)
    assert sorted(mapped) == legacy_ids
    assert len(set(mapped.values())) == len(legacy_ids), mapped
    assert taken and taken[0] not in mapped.values()
    titles = dict(rows(moving.social, f"SELECT id, title FROM legacy_products WHERE seller_id = {sid}"))  # fmt: skip
    moved = dict(rows(moving.commerce, f"SELECT id, title FROM products WHERE merchant_id = {merchant}"))  # fmt: skip
    assert {legacy: moved[mapped[legacy]] for legacy in legacy_ids} == {
        legacy: titles[legacy] for legacy in legacy_ids
    }
    assert rows(moving.commerce, f"SELECT title FROM products WHERE id = {taken[0]}") == [
        ("Produk toko lain",)
    ]


def another_shops_product(moving: Moving, merchant: int) -> int:
    """A product of another shop, inserted the way commerce's own seller center does (the
    next id of the table)."""
    now = moving.parts.clock.now()
    with moving.commerce.begin() as c:
        shop = c.execute(
            catalog_db.MerchantRow.__table__.insert()
            .values(
                slug=f"toko-lain-{merchant}",
                name="Toko Lain",
                kind="local",
                city="Bandung",
                token_hash=f"{merchant:064d}",
                created_at=now,
            )
            .returning(catalog_db.MerchantRow.id)
        ).scalar_one()
        return int(
            c.execute(
                catalog_db.ProductRow.__table__.insert()
                .values(
                    merchant_id=shop,
                    title="Produk toko lain",
                    description="",
                    price_idr=10_000,
                    stock=5,
                    category="Lainnya",
                    created_at=now,
                    updated_at=now,
                )
                .returning(catalog_db.ProductRow.id)
            ).scalar_one()
        )


def test_a_shop_address_commerce_already_has_is_not_taken_twice(moving: Moving) -> None:
    """Commerce has the seller's slug and its first `-moved` already (and an unrelated shop
    that merely starts the same): the merchant opens at `<slug>-moved-2`."""
    slug = one(moving.social, "SELECT slug FROM legacy_sellers WHERE id = :s", s=moving.seller_id)
    system = moving.legacy.system
    for taken in (slug, f"{slug}-moved", f"{slug}x"):
        system.merchant(taken, f"Toko {taken}")
    assert moving.run(Phase.BOUND) is Phase.BOUND
    merchant = moving.move().commerce_merchant_id
    assert one(moving.commerce, "SELECT slug FROM merchants WHERE id = :m", m=merchant) == (
        f"{slug}-moved-2"
    )
