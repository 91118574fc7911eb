"""The floors' server: one endpoint, as little as FastAPI allows, served by uvicorn.

python -m bench.floors.server PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


class Charge(BaseModel):
    order_id: str
    gross_amount: int
    payment_type: str


app = FastAPI()


@app.post("/charge", status_code=201)
async def charge(body: Charge) -> dict[str, object]:
    return {"order_id": body.order_id, "gross_amount": body.gross_amount, "status": "pending"}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def serve(port: int) -> None:
    uvicorn.run(app, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
