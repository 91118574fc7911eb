"""The cutover's pause, predicted before anything is fenced (`cutover.predict` measures its
parts), and how a batch predicted over the budget divides into groups that each fit."""

from dataclasses import dataclass, field

DEFAULT_MS_PER_CHANGE = 2.0  # until the catch-up has measured it
PAUSE_SOCIAL_TRIPS = 3  # social round trips in a pause besides the money: drain's read, the flip
COMMITS = 2  # the money's commit in commerce, the flip's in social: after the last check
# A restage of held entries inside the pause (`staging`): the rollback to a savepoint, the
# refs posted before, the ids, the entries' COPY and the postings'.
RESTAGE_TRIPS = 5


@dataclass(frozen=True)
class Prediction:
    lag: int
    open_orders: int
    ms: float
    # What the opening entries cost inside the pause: `money_ms` in all, `ms_per_entry` of
    # it per entry (each open order's escrow, and each merchant's own: its balances, its
    # seller tools), as staging them measured. `held` (PostgreSQL): staged before the fence,
    # so the pause re-posts only those of the sellers behind in the log, whom the drain may
    # change; else every entry is posted in the pause. (Per open order only, a batch of
    # merchants with none had all its money "fixed", and was divided into fences of one.)
    money_ms: float = 0.0
    ms_per_entry: float = 0.0
    # Per seller of a batch: the changes it is behind and its open orders.
    lags: dict[int, int] = field(default_factory=dict)
    orders: dict[int, int] = field(default_factory=dict)
    trip_ms: float = 0.0  # one small social transaction, measured now
    factor: float = 1.0  # measured / predicted pause lately (`pause`): what `ms` is scaled by
    flip_ms_per_seller: float = 0.0  # learned (`pause`): the flip's cost per merchant
    held: bool = False
    # The drain's read of the change log, as the same read took just now (predicted as a
    # round trip, the drain took 1.4 ms at the median against 0.3, and a third of the fences
    # packed to the budget under the traffic driver were abandoned after it).
    read_ms: float = 0.0

    @property
    def scaled(self) -> float:
        """The pause to expect: the prediction times the factor learned."""
        return self.ms * self.factor

    @property
    def flip_ms(self) -> float:
        return self.flip_ms_per_seller * len(self.lags)

    def money_in_pause(self) -> float:
        """The opening entries' cost inside the pause: every seller's, or (held) only those
        of the sellers behind in the log, with the round trips of putting them right."""
        counted = [s for s in self.lags if self.counts(s)]
        ms = sum(self.entries_of(s) for s in counted) * self.ms_per_entry
        return ms + (RESTAGE_TRIPS * self.trip_ms if self.held and counted else 0.0)

    def counts(self, seller: int) -> bool:
        """Whether `seller`'s entries are posted inside the pause."""
        return not self.held or self.lags.get(seller, 0) > 0

    def entries_of(self, seller: int) -> int:
        return self.orders.get(seller, 0) + 1

    def after_drain_ms(self, entries: int) -> float:
        """What the pause still needs once drained (the money, with `entries` to post, the
        flip, the commits), scaled."""
        money_ms = entries * self.ms_per_entry
        if self.held and entries:
            money_ms += RESTAGE_TRIPS * self.trip_ms
        return (money_ms + self.flip_ms + (PAUSE_SOCIAL_TRIPS - 1) * self.trip_ms) * self.factor

    @property
    def commits_ms(self) -> float:
        return COMMITS * self.trip_ms * self.factor

    def within(self, budget_ms: float, ms_per_change: float) -> list[int]:
        """The sellers, in order, that fit the budget together (at least the first), scaled by
        the factor: the first group a batch predicted over budget is cut over in."""
        return self.groups(budget_ms, ms_per_change)[0]

    def groups(self, budget_ms: float, ms_per_change: float) -> list[list[int]]:
        """The sellers, in order, divided into groups that each fit the budget under a fence
        of their own (the pause's fixed part, then each seller's lag and the entries it posts
        in the pause), scaled by the factor; a seller over budget alone is a group of its
        own."""
        fixed = self.ms - self.lag * ms_per_change - self.flip_ms
        fixed -= sum(self.entries_of(s) for s in self.lags if self.counts(s)) * self.ms_per_entry
        groups: list[list[int]] = []
        ms = 0.0
        for seller in sorted(self.lags):
            own = self.lags[seller] * ms_per_change + self.flip_ms_per_seller
            if self.counts(seller):
                own += self.entries_of(seller) * self.ms_per_entry
            if not groups or (ms + own) * self.factor > budget_ms:
                groups.append([])
                ms = max(fixed, 0.0)
            groups[-1].append(seller)
            ms += own
        return groups or [[]]
