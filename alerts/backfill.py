"""New stories' title vectors, embedded off the decision path by one worker thread.

Policy. After a trip's commit, the stories it added to the window without a title vector are
queued here (``Backfill.submit``); one worker thread embeds their titles (``title_text``)
through the process's ``Memo`` in batches of at most ``BATCH_TEXTS`` texts, and back on the
event loop thread the vectors are set on the window's entries and written with one store call
a batch (``save_vectors``, its own small transaction). So a later comparison finds every
alerted story's vector stored, and a matched story costs its own vector only: median 1.3 ms,
p95 some 12 to 15 ms at a 100,000-story window, against a p95 of 50 to 70 ms when its
candidates lacked vectors (``bench/bench_dedup.py``). Leads are not embedded here: only a
recurring title compares them.

Why 2 texts a batch: the memo makes one model call at a time (``embed_memo.MODEL_LOCK``), so a
trip that needs the model while a batch runs waits for it. The bundled model runs each text on
its own (``embed_e5`` says why), some 6 to 12 ms a title here, so a batch is no cheaper a text
than single calls and 2 keeps that wait near 16 ms; the worker still embeds some 100 titles a
second, more than any cycle alerts. onnxruntime releases the GIL while it runs, so the worker's
call runs beside the loop.

Stopping (``close``: ``run --once`` ends, the service stops) waits up to ``DRAIN_SECONDS`` for
the queued batches, then drops the rest; the batch already in the model is always finished and
written. Nothing is lost by a drop: a story without a stored vector has it computed lazily when
a comparison first needs it (``candidates``, within ``LAZY_CANDIDATES``). A model that fails in
the worker follows the memo's rule: said once (``said``), string-only afterwards, and the queue
is dropped. Nothing is embedded, nor the worker started, before a story is alerted: a
``run --once`` in which nothing matched never imports the model.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from alerts.dedup.embed_memo import Memo, title_text
from alerts.dedup.window import Entry
from alerts.errors import EmbedderError, StoreError
from alerts.logs import event
from alerts.models import StoryVectors, Vector

BATCH_TEXTS = 2
DRAIN_SECONDS = 10.0  # a stop waits this long for the queue (some 600 titles), then drops it

log = logging.getLogger("alerts.backfill")

SaveVectors = Callable[[Sequence[StoryVectors]], None]


class Backfill:
    """One worker thread and the queue of window entries waiting for their title vector."""

    def __init__(self, save: SaveVectors, said: Callable[[EmbedderError], None],
                 drain_seconds: float = DRAIN_SECONDS) -> None:  # fmt: skip
        self._save, self._said, self.drain_seconds = save, said, drain_seconds
        self._queue: deque[tuple[Memo, Entry]] = deque()
        self._worker: ThreadPoolExecutor | None = None  # started by the first story queued
        self._task: asyncio.Task[None] | None = None
        self.saved = self.dropped = 0

    def submit(self, memo: Memo, entries: Iterable[Entry]) -> None:
        """Queue the committed ``entries`` that have no title vector (on the loop thread)."""
        if memo.failure is not None:
            return
        self._queue.extend((memo, e) for e in entries if e.title_vec is None)
        if self._queue and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def close(self) -> None:
        """Embed and write what is queued for up to ``drain_seconds``, drop the rest, and stop
        the worker thread."""
        task = self._task
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), self.drain_seconds)
            except TimeoutError:
                self.dropped += len(self._queue)
                self._queue.clear()
                await task  # the batch in the model ends and is written
                event(log, logging.INFO, "vectors_dropped", stories=self.dropped,
                      later="computed when a comparison needs them")  # fmt: skip
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        while self._queue:
            memo, batch = self._next_batch()
            texts = [title_text(e.key) for e in batch]
            try:
                vectors = await loop.run_in_executor(self._worker, memo.vectors, texts)
                self._apply(memo, batch, vectors)
            except Exception as e:  # a bug here must not stop the next batches, nor an alert
                event(log, logging.CRITICAL, "vectors_crashed", error=repr(e), exc_info=e)

    def _next_batch(self) -> tuple[Memo, list[Entry]]:
        """The oldest queued entries of one memo, as many as share ``BATCH_TEXTS`` texts."""
        memo = self._queue[0][0]
        batch: list[Entry] = []
        texts: set[str] = set()
        while self._queue and self._queue[0][0] is memo:
            text = title_text(self._queue[0][1].key)
            if text not in texts and len(texts) == BATCH_TEXTS:
                break
            texts.add(text)
            batch.append(self._queue.popleft()[1])
        return memo, batch

    def _apply(self, memo: Memo, batch: list[Entry], vectors: dict[str, Vector] | None) -> None:
        """On the loop thread: the batch's vectors on its entries and in the store; a model
        that failed is said once, and its queue dropped (string-only from now on)."""
        if vectors is None:
            failure = memo.unsaid_failure()
            if failure is not None:
                self._said(failure)
            self._queue = deque(q for q in self._queue if q[0] is not memo)
            return
        fresh = [e for e in batch if e.title_vec is None]  # a trip may have computed one since
        for entry in fresh:
            entry.title_vec = vectors[title_text(entry.key)]
        if fresh:
            self._write([StoryVectors(e.alert_key, e.title_vec) for e in fresh])

    def _write(self, vectors: list[StoryVectors]) -> None:
        try:
            self._save(vectors)
        except StoreError as e:  # kept in memory; after a restart computed again when needed
            event(log, logging.WARNING, "vectors_not_saved", stories=len(vectors), error=str(e))
            return
        self.saved += len(vectors)
