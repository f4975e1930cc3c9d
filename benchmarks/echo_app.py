"""A bare FastAPI endpoint that only echoes: the ceiling the chat endpoint is compared with."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Body(BaseModel):
    session: str
    text: str | None = None
    option: str | None = None


@app.post("/api/chat/messages")
async def echo(body: Body) -> dict[str, Any]:
    return {"replies": [{"text": body.text or body.option or "", "options": [], "ticket": None}]}


@app.get("/healthz")
async def health() -> dict[str, str]:
    return {"status": "ok"}
