"""Where the bundled model's compiled graph is kept between processes, and under what name.

Building the graph costs some 3 s (a child process that imports onnx, two graphs, the
calibration); reading a built one costs some 0.3 s. So a built graph (19 MB) is kept in a cache
directory, with the vocabulary's index (``e5_file.PieceIndex``, 4 MB, mapped by its readers),
and a later process, a ``run --once`` from cron above all, reads them:

- the directory: ``$CACHE_DIRECTORY`` (what systemd's ``CacheDirectory=`` sets: the unit in
  ``deploy/`` has one), else ``$XDG_CACHE_HOME/news-alerts``, else ``~/.cache/news-alerts``;
- the names: ``e5-<key>.onnx`` and ``e5-<key>.npy``, the key a hash of the model file (path,
  size, modification time), of the sources of the modules that build the graph, and of onnx's
  and onnxruntime's versions: any change to what the graph is made of builds it anew, and the
  older files of the directory are then removed;
- the files are written under temporary names and renamed into place (the index first) only
  once onnxruntime has loaded the graph, so a reader never sees half of one; a graph that fails
  to load is removed and built again;
- a directory that cannot be written costs nothing but the time: the graph is built in a
  temporary directory each time, as if there were no cache.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

SOURCES = ("e5_file.py", "e5_tokens.py", "e5_graph.py", "embed_ort.py")
PACKAGES = ("onnx", "onnxruntime")


def directory() -> Path:
    if systemd := os.environ.get("CACHE_DIRECTORY"):
        return Path(systemd.split(":")[0])
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "news-alerts"


def name(model: Path) -> str:
    """The graph's file name for ``model`` and this code."""
    digest = hashlib.sha256()
    stat = model.stat()
    digest.update(f"{model.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    here = Path(__file__).parent
    for source in SOURCES:
        digest.update((here / source).read_bytes())
    for package in PACKAGES:
        digest.update(importlib.metadata.version(package).encode())
    return f"e5-{digest.hexdigest()[:20]}.onnx"


def index_path(graph: Path) -> Path:
    """Where the vocabulary's index is kept beside ``graph``."""
    return graph.with_suffix(".npy")


def cached(model: Path) -> Path | None:
    """The built graph for ``model``, if one is kept (with its index)."""
    try:
        path = directory() / name(model)
    except (OSError, importlib.metadata.PackageNotFoundError):
        return None
    return path if path.is_file() and index_path(path).is_file() else None


def discard(path: Path) -> None:
    """Remove a graph and its index."""
    for each in (path, index_path(path)):
        with suppress(OSError):
            each.unlink()


@contextmanager
def building(model: Path) -> Iterator[Path]:
    """A path to build the graph at (its index at ``index_path``); both are kept in the cache
    if the block ends without an error."""
    scratch, keep = None, None
    try:
        keep = directory() / name(model)
        keep.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=keep.parent, prefix=".e5-", suffix=".onnx")
        os.close(handle)
        path = Path(temporary)
    except (OSError, importlib.metadata.PackageNotFoundError):
        keep, scratch = None, Path(tempfile.mkdtemp(prefix="alerts-e5-"))
        path = scratch / "e5.onnx"
    try:
        yield path
        if keep is not None:
            index_path(path).replace(index_path(keep))
            path.replace(keep)
            _prune(keep)
    finally:
        discard(path)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _prune(kept: Path) -> None:
    """Remove the graphs of other versions: each is 19 MB."""
    for old in kept.parent.glob("e5-*.onnx"):
        if old != kept:
            discard(old)
    for index in kept.parent.glob("e5-*.npy"):  # one whose graph is gone
        if index != index_path(kept):
            discard(index)
