"""Typed providers of commerce's services for routes: each reads the one `Commerce` that
bootstrap built and `app.py` put on the app, so no route reaches `app.state` untyped."""

from typing import Annotated

from fastapi import Depends, Request

from keranjang.commerce.attribution.service import AttributionService
from keranjang.commerce.bootstrap import Commerce
from keranjang.commerce.buying.accounts import AccountService
from keranjang.commerce.buying.service import BuyingService
from keranjang.commerce.catalog.service import CatalogService
from keranjang.commerce.config import CommerceSettings
from keranjang.commerce.money.invoices import InvoiceService
from keranjang.commerce.money.paying import PayingService
from keranjang.commerce.money.payout_accounts import PayoutAccountService
from keranjang.commerce.money.payouts import PayoutService
from keranjang.commerce.money.reconciliation import ReconciliationService
from keranjang.commerce.money.refunding import RefundService
from keranjang.commerce.money.settlement import SettlementService
from keranjang.commerce.orders.service import FulfilmentService


def commerce_of(request: Request) -> Commerce:
    commerce: Commerce = request.app.state.commerce
    return commerce


def settings_of(request: Request) -> CommerceSettings:
    return commerce_of(request).settings


# Async providers: no worker-thread hop just to read an attribute.
async def _catalog(request: Request) -> CatalogService:
    return commerce_of(request).catalog


async def _attribution(request: Request) -> AttributionService:
    return commerce_of(request).attribution


async def _buying(request: Request) -> BuyingService:
    return commerce_of(request).buying


async def _accounts(request: Request) -> AccountService:
    return commerce_of(request).accounts


async def _payout_accounts(request: Request) -> PayoutAccountService:
    return commerce_of(request).payout_accounts


async def _paying(request: Request) -> PayingService:
    return commerce_of(request).paying


async def _fulfilment(request: Request) -> FulfilmentService:
    return commerce_of(request).fulfilment


async def _invoices(request: Request) -> InvoiceService:
    return commerce_of(request).invoices


async def _refunds(request: Request) -> RefundService:
    return commerce_of(request).refunds


async def _settlement(request: Request) -> SettlementService:
    return commerce_of(request).settlement


async def _payouts(request: Request) -> PayoutService:
    return commerce_of(request).payouts


async def _reconciliation(request: Request) -> ReconciliationService:
    return commerce_of(request).reconciliation


async def _settings(request: Request) -> CommerceSettings:
    return settings_of(request)


Catalog = Annotated[CatalogService, Depends(_catalog)]
Attribution = Annotated[AttributionService, Depends(_attribution)]
Buying = Annotated[BuyingService, Depends(_buying)]
Accounts = Annotated[AccountService, Depends(_accounts)]
PayoutAccounts = Annotated[PayoutAccountService, Depends(_payout_accounts)]
Paying = Annotated[PayingService, Depends(_paying)]
Fulfilment = Annotated[FulfilmentService, Depends(_fulfilment)]
Invoices = Annotated[InvoiceService, Depends(_invoices)]
Refunds = Annotated[RefundService, Depends(_refunds)]
Settlement = Annotated[SettlementService, Depends(_settlement)]
Payouts = Annotated[PayoutService, Depends(_payouts)]
Reconciliation = Annotated[ReconciliationService, Depends(_reconciliation)]
Settings = Annotated[CommerceSettings, Depends(_settings)]
