"""The base of every config section: unknown keys rejected, values frozen once loaded."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A config section: unknown keys rejected, values frozen once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
