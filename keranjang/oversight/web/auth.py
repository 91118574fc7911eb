"""Who may do what: an operator's token evaluates on demand; a regulator's token (or an
operator's) reads results, history, progress and reports; nobody needs a token for the audit
log, which anyone may verify. A regulator's token writes nothing (and the middleware of
`keranjang.evidence.access` refuses it on every write before any route)."""

from typing import Annotated

from fastapi import Depends, Request

from keranjang.evidence.tokens import is_regulator, regulator_token
from keranjang.infra.auth import bearer, is_operator
from keranjang.oversight.errors import NotPermitted, Unauthenticated

Token = Annotated[str | None, Depends(bearer)]


def regulator_of(request: Request) -> str | None:
    settings = request.app.state.settings
    return regulator_token("oversight", settings.data_dir)


def reader(request: Request, token: Token) -> str:
    """`operator` or `regulator`; else 401."""
    if is_operator(token, request.app.state.settings.admin_token):
        return "operator"
    if is_regulator(token, regulator_of(request)):
        return "regulator"
    raise Unauthenticated("send Authorization: Bearer <the regulator's or an operator's token>")


def operator(request: Request, token: Token) -> str:
    if is_operator(token, request.app.state.settings.admin_token):
        return "operator"
    if is_regulator(token, regulator_of(request)):
        raise NotPermitted("a regulator's token reads only: it can change nothing")
    raise Unauthenticated("send Authorization: Bearer <an operator's token>")


Reader = Annotated[str, Depends(reader)]
Operator = Annotated[str, Depends(operator)]
