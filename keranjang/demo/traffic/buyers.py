"""A viewer's steps. Before every purchase the viewer follows the yellow cart, as in the app:
while the pin's seller sells in the app it lands on the in-app product and buys there (social's
legacy shop, paid through social's partner); once the seller is routed to commerce it lands on
commerce's hand-off and buys in commerce, with a commerce account of the driver's own."""

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from keranjang.demo.traffic import plan
from keranjang.demo.traffic.http import Answer, Call, Http
from keranjang.demo.traffic.knowledge import Knowledge, Pin, Route, Unpaid, Viewer
from keranjang.demo.traffic.orders import moved_order_keys, order_keys, payment_keys
from keranjang.demo.traffic.plan import Step
from keranjang.demo.traffic.world import bearer

PAY_WITH = "bank_transfer"  # on the partner's pay page: a virtual-account transfer


@dataclass
class Counter:
    """Where a purchase happens: the app's shop or commerce, with the buyer's credentials there."""

    side: Route
    cart: str  # the cart line's URL
    checkout: str
    headers: dict[str, str]
    merchant: int  # the legacy seller's id
    pin_id: int | None = None
    cookie: str = ""


@dataclass
class Buyers:
    http: Http
    known: Knowledge
    social: str
    commerce: str
    run_tag: str

    def call(self, step: Step, viewer: Viewer, action: str, url: str, **fields: Any) -> Call:
        return Call(
            f"viewer:{viewer.index}", action, fields.pop("method", "GET"), url, op=step.op, **fields
        )

    async def browse(self, step: Step, viewer: Viewer) -> str:
        feed = await self.http.send(
            self.call(step, viewer, "feed", self.social + "/api/content?limit=20")
        )
        for content in feed.body if feed.ok and isinstance(feed.body, list) else []:
            for pin in content["pins"]:
                if pin["source"] == "legacy":
                    p = pin["product"]
                    self.known.add_pin(Pin(pin["id"], p["product_id"], p["merchant_id"]))
        pin = plan.pick(step.draws[0], self.known.pins)
        if pin is None:
            return feed.entry.outcome
        where = await self.yellow_cart(step, viewer, pin)
        if where is None:
            return "error"
        if self.known.route(pin.merchant) is Route.LEGACY:
            url = f"{self.social}/legacy/api/products/{pin.legacy_product_id}"
        else:
            url = f"{self.commerce}/api/products/{handoff_claims(where).get('product')}"
        return (await self.http.send(self.call(step, viewer, "product", url))).entry.outcome

    async def yellow_cart(self, step: Step, viewer: Viewer, pin: Pin) -> str | None:
        """Follow a pin's yellow cart; learn the merchant's route from where it leads."""
        url = f"{self.social}/cart/{pin.id}"
        answer = await self.http.send(
            self.call(step, viewer, "yellow_cart", url, merchant=pin.merchant),
            keys=lambda a: {
                "pin_id": pin.id,
                "route": route_of(a.headers.get("location", "")).value,
            },
        )
        location = answer.headers.get("location") if answer.status == 302 else None
        if location is None:
            return None
        self.known.routes[pin.merchant] = route_of(location)
        return location

    async def buy(self, step: Step, viewer: Viewer, again: bool = False) -> str:
        pin = plan.pick(step.draws[0], self.known.pins)
        if pin is None:
            return "skipped"
        where = await self.yellow_cart(step, viewer, pin)
        if where is None:
            return "error"
        if where.startswith("/legacy/"):
            outcome = await self.buy_in_app(step, viewer, pin)
            return (
                await self.buy(step, viewer, again=True)
                if outcome == "moved" and not again
                else outcome
            )
        return await self.buy_in_commerce(step, viewer, pin, where)

    async def buy_in_app(self, step: Step, viewer: Viewer, pin: Pin) -> str:
        counter = Counter(
            side=Route.LEGACY,
            cart=f"{self.social}/legacy/api/cart/items/{pin.legacy_product_id}",
            checkout=self.social + "/legacy/api/checkout",
            headers=bearer(viewer.token),
            merchant=pin.merchant,
            pin_id=pin.id,
        )
        return await self.purchase(step, viewer, counter)

    async def buy_in_commerce(self, step: Step, viewer: Viewer, pin: Pin, where: str) -> str:
        """Land on commerce's hand-off (it keeps the creator's credit in a cookie), then buy there
        with the driver's own commerce account."""
        landing = await self.http.send(
            self.call(step, viewer, "handoff", where, write=True, merchant=pin.merchant),
            keys=lambda a: {k: handoff_claims(where).get(k) for k in ("product", "merchant")},
        )
        product = handoff_claims(where).get("product")
        if not landing.ok or product is None:
            return landing.entry.outcome if not landing.ok else "error"
        if not await self.commerce_account(step, viewer):
            return "refused"
        counter = Counter(
            side=Route.COMMERCE,
            cart=f"{self.commerce}/api/cart/items/{product}",
            checkout=self.commerce + "/api/checkout",
            headers=bearer(viewer.commerce_token or ""),
            merchant=pin.merchant,
            cookie=cookies(landing),
        )
        return await self.purchase(step, viewer, counter)

    async def purchase(self, step: Step, viewer: Viewer, counter: "Counter") -> str:
        """Put the units in the cart, check out with a key of this step's own (a retry after no
        answer sends the same key), then pay or keep the orders for later; a refused checkout
        takes the line out of the cart again."""
        line: dict[str, object] = {"quantity": step.units}
        if counter.pin_id is not None:
            line["pin_id"] = counter.pin_id
        cart_headers = counter.headers | ({"Cookie": counter.cookie} if counter.cookie else {})
        put = await self.http.send(
            self.write(
                step, viewer, counter, action="cart", method="PUT", body=line, headers=cart_headers
            )
        )
        if not put.ok:
            return put.entry.outcome
        body: dict[str, object] = {"shipping_address": viewer.address}
        if step.pay_at_once:
            body["payment_method"] = "virtual_account"
        call = self.write(
            step,
            viewer,
            counter,
            action="checkout",
            method="POST",
            body=body,
            headers=counter.headers,
        )
        call.idempotency_key = f"trf-{self.run_tag}-{step.op}"
        merchant = None if counter.side is Route.LEGACY else counter.merchant
        placed = await self.http.send(call, keys=order_keys(counter.side, merchant))
        if not placed.ok:
            empty = self.write(
                step,
                viewer,
                counter,
                action="cart",
                method="PUT",
                body={"quantity": 0},
                headers=counter.headers,
            )
            await self.http.send(empty)
            return placed.entry.outcome
        await self.settle(step, viewer, placed, counter.side, merchant)
        return "ok"

    def write(
        self, step: Step, viewer: Viewer, counter: "Counter", *, action: str, method: str,
        body: dict[str, object], headers: dict[str, str],
    ) -> Call:  # fmt: skip
        url = counter.checkout if action == "checkout" else counter.cart
        return self.call(step, viewer, action, url, method=method, json=body, write=True,
                         merchant=counter.merchant, headers=headers)  # fmt: skip

    async def commerce_account(self, step: Step, viewer: Viewer) -> bool:
        """Sign up in commerce the first time (log in if the email is taken): the driver's own
        account there, sharing nothing with the viewer's social account but the test email."""
        if viewer.commerce_token:
            return True
        body = {
            "email": viewer.email,
            "name": viewer.address["recipient"],
            "password": viewer.password,
        }
        made = await self.http.send(
            self.call(
                step,
                viewer,
                "commerce_sign_up",
                self.commerce + "/api/buyers",
                method="POST",
                json=body,
                write=True,
            )
        )
        if made.status == 409:
            body.pop("name")
            made = await self.http.send(
                self.call(
                    step,
                    viewer,
                    "commerce_log_in",
                    self.commerce + "/api/buyers/sessions",
                    method="POST",
                    json=body,
                )
            )
        viewer.commerce_token = made.body["token"] if made.ok else None
        return made.ok

    async def settle(
        self, step: Step, viewer: Viewer, placed: Answer, side: Route, merchant: int | None = None
    ) -> None:
        """Pay each order of a checkout at once on the partner's page, or keep it for later."""
        for order in placed.body["orders"]:
            owner = merchant if merchant is not None else order["seller_id"]
            redirect = (order.get("payment") or {}).get("redirect_url")
            if redirect and step.pay_at_once:
                await self.pay_page(step, viewer, redirect, owner, order["id"])
            else:
                viewer.unpaid.append(Unpaid(side, order["id"], owner))

    async def pay_page(
        self, step: Step, viewer: Viewer, redirect: str, merchant: int, order_id: int
    ) -> str:
        paid = await self.http.send(
            self.call(
                step,
                viewer,
                "pay",
                redirect,
                method="POST",
                write=True,
                form={"method": PAY_WITH},
                merchant=merchant,
            ),
            keys=lambda a: {
                "order_id": order_id,
                "transaction": urlsplit(redirect).path.rsplit("/", 1)[-1],
            },
        )
        return paid.entry.outcome

    async def pay(self, step: Step, viewer: Viewer) -> str:
        unpaid = plan.pick(step.draws[1], viewer.unpaid)
        if unpaid is None:
            return "skipped"
        viewer.unpaid.remove(unpaid)
        if unpaid.side is Route.LEGACY:
            url, auth = (
                f"{self.social}/legacy/api/orders/{unpaid.order_id}/payment",
                bearer(viewer.token),
            )
        else:
            url, auth = (
                f"{self.commerce}/api/orders/{unpaid.order_id}/payment",
                bearer(viewer.commerce_token or ""),
            )
        started = await self.http.send(
            self.call(
                step,
                viewer,
                "start_payment",
                url,
                method="POST",
                write=True,
                json={"method": "virtual_account"},
                merchant=unpaid.merchant,
                headers=auth,
            ),
            keys=payment_keys(unpaid.order_id),
        )
        redirect = (
            started.body.get("redirect_url")
            if started.ok and isinstance(started.body, dict)
            else None
        )
        if redirect is None:
            return started.entry.outcome
        return await self.pay_page(step, viewer, redirect, unpaid.merchant, unpaid.order_id)

    async def received(self, step: Step, viewer: Viewer) -> str:
        """Confirm receipt of a delivered order placed in the app."""
        auth = bearer(viewer.token)
        listed = await self.http.send(
            self.call(step, viewer, "my_orders", self.social + "/legacy/api/orders", headers=auth)
        )
        delivered = (
            [o for o in listed.body or [] if o["status"] == "delivered"] if listed.ok else []
        )
        order = plan.pick(step.draws[1], delivered)
        if order is None:
            return "skipped"
        url = f"{self.social}/legacy/api/orders/{order['id']}/received"
        done = await self.http.send(
            self.call(
                step,
                viewer,
                "received",
                url,
                method="POST",
                write=True,
                merchant=order["seller_id"],
                headers=auth,
            ),
            keys=moved_order_keys,
        )
        return done.entry.outcome


def route_of(location: str) -> Route:
    return Route.LEGACY if location.startswith("/legacy/") else Route.COMMERCE


def handoff_claims(location: str) -> dict[str, Any]:
    """The claims of the hand-off token a yellow cart leads to (read, not verified: the driver is
    a client, and commerce verifies). They name the commerce product and merchant."""
    token = parse_qs(urlsplit(location).query).get("token", [""])[0]
    payload = token.split(".")[1] if token.count(".") == 2 else ""
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def cookies(answer: Answer) -> str:
    """The cookies an answer set, as a Cookie header (the driver keeps no shared cookie jar)."""
    return "; ".join(c.split(";", 1)[0] for c in answer.headers.get_list("set-cookie"))
