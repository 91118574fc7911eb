"""The rules, as data plus pure functions, one module per article group:

payments.py        Pasal 21(3): no payments facilitated in the social app
separation.py      Pasal 13: no interconnection, no misuse of users' data
trade.py           Pasal 19 (cross-border floor, positive list), 5, 11, 21(2)
service_levels.py  hand-off and Shop-tab latency, invoices on commerce
migration.py       the move per category against the deadline
dma.py             EU DMA Art. 5(2) (a second regime, on the same evidence)
sanctions.py       the sanctions ladder past the deadline
base.py            Rule, Outcome, Status, Params, the evidence gathered
"""

from keranjang.oversight.rules import dma, migration, payments, separation, service_levels, trade
from keranjang.oversight.rules.base import Rule

ALL: tuple[Rule, ...] = (
    *payments.RULES,
    *separation.RULES,
    *trade.RULES,
    *service_levels.RULES,
    *migration.RULES,
    *dma.RULES,
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL}
