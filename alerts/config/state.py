"""The ``state`` key: where the bot keeps its state, a SQLite file or a PostgreSQL URL.

Policy: a password never goes in the config file (it is copied, shared between workers and
committed). ``state: postgresql://user@host/db`` is accepted; with a password in it
(``user:pw@`` or ``?password=``) the config is refused, saying where a password goes:
``DATABASE_URL`` (which then wins over ``state``), or libpq's ``PGPASSWORD`` / ``~/.pgpass``.
Any other ``scheme://`` is refused too, rather than taken for a file name.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

from alerts.store.factory import is_database_url, password_in

STATE_HELP = (
    "SQLite file, relative to the config file, or postgresql://user@host/db (no password:"
    " DATABASE_URL, which wins when set, or PGPASSWORD)"
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def check_state(value: str) -> str:
    """The state location as given, or ValueError saying what is wrong with it."""
    if is_database_url(value):
        if password_in(value):
            raise ValueError(
                "a password in the state URL: the config file must not hold it; give the URL "
                "with its password in DATABASE_URL instead (or use PGPASSWORD or ~/.pgpass)"
            )
        return value.strip()
    if _SCHEME.match(value):
        raise ValueError("not a database this bot supports: a SQLite file or postgresql://")
    return value


State = Annotated[str, AfterValidator(check_state)]
