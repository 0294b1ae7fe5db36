"""Feeds from a reader and back: OPML subscription lists imported into ``config.yaml`` and
exported from it (``bot.py feeds import`` / ``feeds export``).

Its modules, in the order an import goes through them:

- ``read``: an OPML file to :class:`OpmlFeed` records (listparser reads it; the only module
  that imports listparser);
- ``merge``: the pure decision of what each OPML feed becomes in the config: added (with its
  name made unique and its folders and categories as tags) or skipped, and why;
- ``write``: a config's feeds as an OPML 2.0 document that Miniflux, FreshRSS, Feedly and
  Inoreader import;
- ``command``: the two commands: files read and written (atomically), lines printed.

The config file itself is edited by ``alerts.config.edit`` (the round-trip YAML owner), which
keeps every comment and the layout of the lines it does not add.
"""

from __future__ import annotations

from alerts.opml.merge import Decision, NewFeed, plan_import
from alerts.opml.read import OpmlError, OpmlFeed, read_opml
from alerts.opml.write import opml_document

__all__ = [
    "Decision",
    "NewFeed",
    "OpmlError",
    "OpmlFeed",
    "opml_document",
    "plan_import",
    "read_opml",
]
