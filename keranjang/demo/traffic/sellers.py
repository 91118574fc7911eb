"""Sellers' and creators' steps. A seller works in the app's seller tools while it sells there;
once it is routed to commerce (a yellow cart led there, or its own API answered 409 "moved"),
its steps stop and the journal says why: commerce gives a moved merchant's shop token to the
merchant, never to social, so the driver, a client of social, has no honest way to hold it."""

from dataclasses import dataclass
from typing import Any

from keranjang.demo.traffic import plan
from keranjang.demo.traffic.http import Answer, Call, Http
from keranjang.demo.traffic.journal import Entry
from keranjang.demo.traffic.knowledge import Creator, Knowledge, Pin, Route, Seller
from keranjang.demo.traffic.orders import moved_order_keys, product_keys
from keranjang.demo.traffic.plan import Kind, Step
from keranjang.demo.traffic.world import bearer, content_keys, pin_keys

STOPPED = (
    "the merchant now sells in commerce; its seller tools there take the shop token commerce "
    "gave the merchant, which the driver does not hold, so this seller's actions stop here"
)
# Which orders each fulfilment step looks for, in the seller's order list.
WANTS = {Kind.SHIP: "paid", Kind.DELIVER: "shipped", Kind.CANCEL: "awaiting_payment"}
ACTIONS = {Kind.SHIP: "ship", Kind.DELIVER: "delivered", Kind.CANCEL: "cancel"}


@dataclass
class Sellers:
    http: Http
    known: Knowledge
    social: str

    def call(self, step: Step, seller: Seller, action: str, path: str, **fields: Any) -> Call:
        method = fields.pop("method", "GET")
        headers = bearer(seller.token)
        return Call(
            f"seller:{seller.id}",
            action,
            method,
            self.social + path,
            op=step.op,
            merchant=seller.id,
            headers=headers,
            **fields,
        )

    async def act(self, step: Step, seller: Seller) -> str:
        if seller.stopped or self.known.route(seller.id) is Route.COMMERCE:
            return self.stop(step, seller)
        if step.kind in (Kind.PRICE, Kind.STOCK):
            answer = await self.edit(step, seller)
        else:
            answer = await self.fulfil(step, seller)
        if answer is None:
            return "skipped"
        if answer.moved:
            self.known.routes[seller.id] = Route.COMMERCE
            self.stop(step, seller)
        return answer.entry.outcome

    def stop(self, step: Step, seller: Seller) -> str:
        """Journal once that this seller's actions stop, and why."""
        if seller.stopped is None:
            seller.stopped = STOPPED
            entry = Entry(
                f"seller:{seller.id}",
                "seller_stopped",
                merchant=seller.id,
                outcome="stopped",
                detail=STOPPED,
                op=step.op,
            )
            self.http.journal.write(entry)
        return "stopped"

    async def edit(self, step: Step, seller: Seller) -> Answer | None:
        product = plan.pick(step.draws[0], seller.products)
        if product is None:
            return None
        if step.kind is Kind.PRICE:
            change = {"price_idr": plan.new_price(step.draws[1], product.price_idr)}
        else:
            change = {"stock": plan.new_stock(step.draws[1])}
        path = f"/legacy/api/seller/products/{product.id}"
        answer = await self.http.send(
            self.call(step, seller, step.kind.value, path, method="PATCH", json=change, write=True),
            keys=product_keys,
        )
        if answer.ok:
            product.price_idr, product.stock = answer.body["price_idr"], answer.body["stock"]
        return answer

    async def fulfil(self, step: Step, seller: Seller) -> Answer | None:
        wanted = WANTS[step.kind]
        if step.kind is Kind.CANCEL and step.draws[2] < 0.3:
            wanted = "paid"  # now and then a paid order: its money goes back through the partner
        path = f"/legacy/api/seller/orders?status={wanted}"
        listed = await self.http.send(self.call(step, seller, "seller_orders", path))
        if listed.moved or not listed.ok:
            return listed
        order = plan.pick(step.draws[1], listed.body)
        if order is None:
            return None
        action = ACTIONS[step.kind]
        body: dict[str, str] | None = None
        if step.kind is Kind.SHIP:
            body = {"tracking_number": f"JNE{step.op:010d}"}
        elif step.kind is Kind.CANCEL:
            body = {"reason": "Stok habis saat dikemas"}
        path = f"/legacy/api/seller/orders/{order['id']}/{action}"
        return await self.http.send(
            self.call(step, seller, action, path, method="POST", json=body, write=True),
            keys=moved_order_keys,
        )


@dataclass
class Creators:
    http: Http
    known: Knowledge
    social: str

    def call(self, step: Step, creator: Creator, action: str, path: str, **fields: Any) -> Call:
        return Call(
            f"creator:{creator.id}",
            action,
            "POST",
            self.social + path,
            write=True,
            op=step.op,
            headers=bearer(creator.token),
            **fields,
        )

    async def act(self, step: Step, creator: Creator) -> str:
        if step.kind is Kind.GO_LIVE:
            body = {"kind": "live", "title": f"Live promo #{step.op}", "campaign": f"trf-{step.op}"}
            live = await self.http.send(
                self.call(step, creator, "go_live", "/api/content", json=body), keys=content_keys
            )
            if live.ok:
                creator.live.append(live.body["id"])
                await self.pin(step, creator, live.body["id"])
            return live.entry.outcome
        content = plan.pick(step.draws[0], creator.live)
        if content is None:
            return "skipped"
        if step.kind is Kind.PIN:
            return await self.pin(step, creator, content)
        creator.live.remove(content)
        ended = await self.http.send(
            self.call(step, creator, "end_live", f"/api/content/{content}/end"), keys=content_keys
        )
        return ended.entry.outcome

    async def pin(self, step: Step, creator: Creator, content: int) -> str:
        product = plan.pick(step.draws[1], self.known.products())
        if product is None or not creator.permitted:
            return "skipped"
        pinned = await self.http.send(
            self.call(
                step,
                creator,
                "pin",
                f"/api/content/{content}/pins",
                json={"legacy_product_id": product.id},
                merchant=product.seller_id,
            ),
            keys=pin_keys,
        )
        if pinned.ok:
            self.known.add_pin(Pin(pinned.body["id"], product.id, product.seller_id))
        return pinned.entry.outcome
