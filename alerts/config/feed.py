"""The config of one feed (``feeds:``) and its HTTP Basic credentials, the password kept out of
the file (an environment variable) and out of the URL (moved to ``auth``)."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, PrivateAttr, model_validator

from alerts.config.section import Section
from alerts.config.values import HttpUrl, Interval


class FeedAuth(Section):
    """HTTP Basic credentials of a feed (RFC 7617), the password out of the file."""

    user: str = Field(description="user name for HTTP Basic auth")
    password_env: str | None = Field(
        None, description="environment variable holding the password (keeps it out of the file)"
    )
    _password: str = PrivateAttr("")

    @model_validator(mode="after")
    def _read_password(self) -> FeedAuth:
        if self.password_env is not None:
            password = os.environ.get(self.password_env)
            if password is None:
                raise ValueError(f"environment variable {self.password_env} is not set")
            self._password = password
        return self

    @classmethod
    def from_url(cls, user: str, password: str) -> FeedAuth:
        """Credentials that were written into a feed's URL (``user:password@``)."""
        auth = cls(user=user)
        auth._password = password
        return auth

    @property
    def basic(self) -> tuple[str, str]:
        """User and password, for the Authorization header."""
        return self.user, self._password


class FeedConfig(Section):
    url: HttpUrl = Field(description="feed address (RSS, Atom or RDF)")
    name: str | None = Field(None, description="shown as the source; default: the host name")
    interval: Interval | None = Field(None, description="overrides polling.interval")
    tags: list[str] = Field(default_factory=list, description="names rules can refer to")
    backfill: int = Field(0, ge=0, description="on first poll, alert the newest N items")
    fetch_article: bool = Field(
        False, description="fetch the article page of items that are only a title or a stub"
    )
    auth: FeedAuth | None = Field(
        None, description="HTTP Basic auth; a user:password@ in the url is moved here"
    )

    @model_validator(mode="before")
    @classmethod
    def _credentials_out_of_the_url(cls, data: Any) -> Any:
        """``https://user:password@host/feed`` becomes the URL without them (the feed's name in
        the state, the logs and the notices) and ``auth``: aiohttp refuses a URL with both."""
        url = data.get("url") if isinstance(data, dict) else None
        if not isinstance(url, str):
            return data
        parts = urlsplit(url.strip())
        if parts.username is None and parts.password is None:
            return data
        if data.get("auth") is not None:
            raise ValueError("credentials both in the url and in auth: keep one")
        bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        auth = FeedAuth.from_url(unquote(parts.username or ""), unquote(parts.password or ""))
        return {**data, "url": bare, "auth": auth}

    @property
    def display_name(self) -> str:
        """The source name shown in alerts."""
        return self.name or (urlsplit(self.url).hostname or self.url)
