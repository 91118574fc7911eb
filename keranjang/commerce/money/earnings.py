"""What the books say of a creator: the paid orders they brought and their commission (pending,
payable, paid out). Attribution shows it beside the hand-off counts, through its
`CreatorEarnings` protocol."""

from sqlalchemy.orm import Session, sessionmaker

from keranjang.commerce.attribution.service import Earnings
from keranjang.commerce.money import db as money_db


class CreatorEarningsService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def of_creator(self, creator_id: int) -> Earnings:
        with self.sessions() as s:
            return Earnings(
                orders=money_db.attributed_orders(s, creator_id),
                commission=money_db.creator_commission(s, creator_id),
            )
