"""The run: set the cast up, then start the plan's steps at `rate` a second for `seconds`, with
at most `in_flight` steps (so requests) under way at once; each actor does one thing at a time,
as a person does. A step that cannot start on time because the bound is reached starts late and
the pace resumes from there (no burst to catch up); the summary counts late starts."""

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import httpx

from keranjang.demo.traffic.buyers import Buyers
from keranjang.demo.traffic.http import TIMEOUT, Http
from keranjang.demo.traffic.journal import Entry, Journal
from keranjang.demo.traffic.knowledge import Knowledge, Viewer
from keranjang.demo.traffic.plan import Actor, Kind, Planner, Step
from keranjang.demo.traffic.sellers import Creators, Sellers
from keranjang.demo.traffic.stats import Stats, Summary
from keranjang.demo.traffic.world import Cast, Setup


@dataclass(frozen=True)
class Settings:
    social_url: str
    commerce_url: str
    journal: Path
    rate: float = 5.0  # steps started per second
    seconds: float = 60.0
    seed: int = 1
    in_flight: int = 8
    cast: Cast = field(default_factory=lambda: Cast(run_tag=secrets.token_hex(3)))


@dataclass
class Outcome:
    summary: Summary
    setup_requests: int
    late_starts: int
    known: Knowledge


def run(settings: Settings) -> Outcome:
    return asyncio.run(drive(settings))


async def drive(settings: Settings) -> Outcome:
    social, commerce = settings.social_url.rstrip("/"), settings.commerce_url.rstrip("/")
    # No shared cookie jar: a cookie one actor is given (a session, an attribution) is sent
    # only by that actor, explicitly.
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    limits = httpx.Limits(max_connections=settings.in_flight + 2)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits, cookies=jar) as client:
        with Journal(settings.journal) as journal:
            setup_stats = Stats()
            http = Http(client, journal, setup_stats, {social: "social", commerce: "commerce"})
            known = await Setup(http, social, settings.cast).world()
            http.stats = Stats()
            traffic = Traffic(http, known, settings)
            started = time.monotonic()
            await traffic.paced()
            summary = http.stats.summary(time.monotonic() - started)
    setup_requests = sum(setup_stats.requests.values())
    return Outcome(summary, setup_requests, traffic.late, known)


@dataclass
class Traffic:
    http: Http
    known: Knowledge
    settings: Settings
    late: int = 0

    def __post_init__(self) -> None:
        social, commerce = (
            self.settings.social_url.rstrip("/"),
            self.settings.commerce_url.rstrip("/"),
        )
        tag = self.settings.cast.run_tag
        self.buyers = Buyers(self.http, self.known, social, commerce, tag)
        self.sellers = Sellers(self.http, self.known, social)
        self.creators = Creators(self.http, self.known, social)

    async def paced(self) -> None:
        planner, gate = Planner(self.settings.seed), asyncio.Semaphore(self.settings.in_flight)
        loop, interval = asyncio.get_running_loop(), 1.0 / self.settings.rate
        end = loop.time() + self.settings.seconds
        due, running = loop.time(), set[asyncio.Task[None]]()
        while due < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            await gate.acquire()
            if loop.time() > due + interval:
                self.late += 1
                due = loop.time()
            task = asyncio.create_task(self.one(planner.next()))
            running.add(task)
            task.add_done_callback(running.discard)
            task.add_done_callback(lambda _: gate.release())
            due += interval
        if running:
            await asyncio.wait(running, timeout=60)

    async def one(self, step: Step) -> None:
        try:
            outcome = await self.dispatch(step)
        except Exception as exc:  # a bug of the driver's own must not end the run unseen
            outcome = "crashed"
            detail = f"{type(exc).__name__}: {exc}"[:300]
            self.http.journal.write(
                Entry("driver", step.kind.value, outcome="crashed", detail=detail, op=step.op)
            )
            self.http.stats.errors.append(f"step {step.op} ({step.kind.value}) crashed: {detail}")
        self.http.stats.operation(step.kind.value, outcome)

    async def dispatch(self, step: Step) -> str:
        known = self.known
        if step.actor_kind is Actor.VIEWER and known.viewers:
            viewer = known.viewers[step.actor % len(known.viewers)]
            async with viewer.lock:
                return await self.viewer_step(step, viewer)
        if step.actor_kind is Actor.SELLER and known.sellers:
            seller = known.sellers[step.actor % len(known.sellers)]
            async with seller.lock:
                return await self.sellers.act(step, seller)
        if step.actor_kind is Actor.CREATOR and known.creators:
            creator = known.creators[step.actor % len(known.creators)]
            async with creator.lock:
                return await self.creators.act(step, creator)
        return "skipped"

    async def viewer_step(self, step: Step, viewer: Viewer) -> str:
        if step.kind is Kind.BROWSE:
            return await self.buyers.browse(step, viewer)
        if step.kind is Kind.BUY:
            return await self.buyers.buy(step, viewer)
        if step.kind is Kind.PAY:
            return await self.buyers.pay(step, viewer)
        return await self.buyers.received(step, viewer)
