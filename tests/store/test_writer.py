"""LedgerWriter: batches off the request path, keeps rows through failures, loses nothing on close."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from gateway.store.database import StoreError
from gateway.store.ledger import LedgerWriter

from .conftest import make_row


class FakeLedger:
    """Records batches; the first `failures` writes raise like a database that is down."""

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.batches: list[list[str]] = []
        self.calls = 0
        self.writing = threading.Event()

    def record(self, rows) -> None:
        self.calls += 1
        self.writing.set()
        time.sleep(self.delay)
        if self.calls <= self.failures:
            raise StoreError("usage ledger database postgresql://db.example/ledger: connection refused")
        self.batches.append([row.request_id for row in rows])

    @property
    def written(self) -> list[str]:
        return [request_id for batch in self.batches for request_id in batch]


async def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


def _rows(n: int, start: int = 0):
    return [make_row(request_id=f"r{i}", time=1000.0 + i) for i in range(start, start + n)]


def _requests(ledger) -> int:
    return ledger.report(since=None, until=None, group_by=[]).totals["requests"]


async def test_a_full_batch_is_written_without_waiting_for_the_interval(ledger):
    writer = LedgerWriter(ledger, interval=60, max_batch=3)
    writer.start()
    try:
        for row in _rows(3):
            writer.add(row)
        await _until(lambda: writer.pending == 0)
        assert _requests(ledger) == 3
        for row in _rows(2, start=3):
            writer.add(row)
        await asyncio.sleep(0.1)
        assert writer.pending == 2
    finally:
        await writer.aclose()
    assert writer.pending == 0
    assert _requests(ledger) == 5


async def test_rows_below_a_batch_are_written_on_the_interval(ledger):
    writer = LedgerWriter(ledger, interval=0.05)
    writer.start()
    try:
        writer.add(make_row())
        await _until(lambda: writer.pending == 0)
        assert _requests(ledger) == 1
    finally:
        await writer.aclose()


async def test_aclose_writes_everything_pending_in_batches(ledger):
    writer = LedgerWriter(ledger, interval=60, max_batch=500)
    for row in _rows(1201):
        writer.add(row)
    writer.start()
    await writer.aclose()
    assert writer.pending == 0
    assert _requests(ledger) == 1201


async def test_aclose_waits_for_a_write_in_progress_and_then_writes_the_rest():
    fake = FakeLedger(delay=0.1)
    writer = LedgerWriter(fake, interval=60, max_batch=2)
    writer.start()
    for row in _rows(2):
        writer.add(row)
    await _until(fake.writing.is_set)
    writer.add(make_row(request_id="late"))
    assert writer.pending == 3
    await writer.aclose()
    assert fake.batches == [["r0", "r1"], ["late"]]


async def test_a_failed_write_keeps_the_rows_logs_once_and_succeeds_later(caplog):
    fake = FakeLedger(failures=2)
    writer = LedgerWriter(fake, max_batch=2)
    for row in _rows(3):
        writer.add(row)
    with caplog.at_level(logging.INFO, logger="gateway.store"):
        assert await writer.flush() is False
        assert writer.pending == 3
        assert await writer.flush() is False
        assert writer.pending == 3
        assert await writer.flush() is True
    assert writer.pending == 0
    assert fake.written == ["r0", "r1", "r2"]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert "3 rows are kept in memory and retried" in failures[0].getMessage()
    assert any("resumed after 2 failed attempts" in r.getMessage() for r in caplog.records)


async def test_a_write_failing_mid_flush_keeps_the_unwritten_rows_in_order():
    fake = FakeLedger()
    writer = LedgerWriter(fake, max_batch=2)
    for row in _rows(5):
        writer.add(row)

    original = fake.record

    def fail_second_batch(rows):
        if fake.calls == 1:
            fake.calls += 1
            raise StoreError("down")
        original(rows)

    fake.record = fail_second_batch
    assert await writer.flush() is False
    assert writer.pending == 3
    assert await writer.flush() is True
    assert fake.written == ["r0", "r1", "r2", "r3", "r4"]


async def test_past_max_pending_the_oldest_rows_are_dropped_with_one_warning(caplog):
    fake = FakeLedger(failures=3)
    writer = LedgerWriter(fake, max_batch=2, max_pending=5)
    with caplog.at_level(logging.WARNING, logger="gateway.store"):
        for row in _rows(8):
            writer.add(row)
        assert writer.pending == 5
        assert await writer.flush() is False
        for row in _rows(2, start=8):
            writer.add(row)
        assert await writer.flush() is False
        assert await writer.flush() is False
        assert await writer.flush() is True
    assert fake.written == ["r5", "r6", "r7", "r8", "r9"]
    drops = [r.getMessage() for r in caplog.records if "dropped the" in r.getMessage()]
    assert drops == ["usage ledger: dropped the 3 oldest rows, more than 5 were waiting to be written"]
    assert any("5 rows were dropped meanwhile" in r.getMessage() for r in caplog.records)


async def test_while_writes_fail_full_batches_do_not_make_the_loop_spin():
    fake = FakeLedger(failures=10**9)
    writer = LedgerWriter(fake, interval=0.1, max_batch=1)
    writer.start()
    try:
        writer.add(make_row())
        await _until(lambda: fake.calls >= 1)
        for row in _rows(50):
            writer.add(row)
            await asyncio.sleep(0.004)
        assert fake.calls <= 4
    finally:
        await writer.aclose()


async def test_rows_that_cannot_be_written_at_shutdown_are_reported(caplog):
    fake = FakeLedger(failures=10**9)
    writer = LedgerWriter(fake)
    writer.add(make_row())
    with caplog.at_level(logging.ERROR, logger="gateway.store"):
        await writer.aclose()
    assert any("1 rows could not be written at shutdown" in r.getMessage() for r in caplog.records)


def test_add_is_synchronous_and_needs_no_running_loop():
    writer = LedgerWriter(FakeLedger(), max_batch=1)
    writer.add(make_row())
    assert writer.pending == 1


@pytest.mark.parametrize("options", [{"interval": 0}, {"max_batch": 0}, {"max_batch": 10, "max_pending": 5}])
def test_nonsensical_settings_are_refused(options):
    with pytest.raises(ValueError):
        LedgerWriter(FakeLedger(), **options)


async def test_on_the_loop_rows_arriving_during_a_flush_wait_for_the_next_one():
    """Written between requests (SQLite): a flush takes the rows pending when it starts, in
    batches; those added meanwhile go with the next flush, not one commit each."""
    fake = FakeLedger()
    threads: set[int] = set()
    record = fake.record

    def on_which_thread(rows) -> None:
        threads.add(threading.get_ident())
        record(rows)

    fake.record = on_which_thread  # type: ignore[method-assign]
    writer = LedgerWriter(fake, interval=60, max_batch=100, in_thread=False)  # type: ignore[arg-type]
    for row in _rows(250):
        writer.add(row)

    async def traffic() -> None:
        for row in _rows(30, start=250):
            writer.add(row)
            await asyncio.sleep(0)

    await asyncio.gather(writer.flush(), traffic())
    assert [len(batch) for batch in fake.batches] == [100, 100, 50]
    assert writer.pending == 30
    await writer.aclose()
    assert [len(batch) for batch in fake.batches] == [100, 100, 50, 30]
    assert fake.written == [f"r{i}" for i in range(280)]
    assert threads == {threading.get_ident()}  # written on the loop's own thread
