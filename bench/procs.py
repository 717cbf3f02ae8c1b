"""Child processes of the bench, CPU pinning, and what /proc says about a process tree.

Every child is started in its own session (process group) and registered; `Processes.close()`
ends each group it started, SIGTERM first, SIGKILL after a grace period, whatever happened
before (an exception, Ctrl-C, SIGTERM). CPU time is utime + stime of /proc/<pid>/stat
(proc(5)); memory is VmRSS / VmHWM of /proc/<pid>/status.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import httpx

__all__ = ["Pinning", "ProcessTree", "Processes", "free_port", "wait_until_ok"]

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Pinning:
    """Which CPU the server under test gets and which the mock and the load generator share."""

    server: tuple[str, ...]
    tools: tuple[str, ...]
    note: str

    @classmethod
    def detect(cls) -> Pinning:
        cpus = sorted(os.sched_getaffinity(0))
        taskset = shutil.which("taskset")
        if len(cpus) < 2:
            return cls((), (), f"not pinned: only {len(cpus)} CPU available")
        if taskset is None:
            return cls((), (), "not pinned: taskset is not installed")
        server, tools = str(cpus[0]), str(cpus[1])
        probe = subprocess.run([taskset, "-c", server, "true"], capture_output=True, check=False, timeout=10)
        if probe.returncode != 0:
            return cls((), (), f"not pinned: taskset failed ({probe.stderr.decode().strip()})")
        return cls(
            (taskset, "-c", server),
            (taskset, "-c", tools),
            f"server under test on CPU {server}, mock upstream + load generator on CPU {tools} (taskset -c)",
        )

    @property
    def tools_cpu(self) -> int | None:
        return int(self.tools[-1]) if self.tools else None

    def pin_self_to_tools(self) -> None:
        """The in-process Python load generator runs on the tools' CPU too."""
        if self.tools_cpu is not None:
            os.sched_setaffinity(0, {self.tools_cpu})


class Processes:
    """Starts children in their own process groups and ends every one of them on close."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []

    def start(
        self, argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as output:
            child = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )
        self._children.append(child)
        return child

    def stop(self, child: subprocess.Popen[bytes], *, first: int = signal.SIGTERM, grace: float = 10.0) -> None:
        if child.poll() is None:
            _signal_group(child.pid, first)
            try:
                child.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (workers, a profiler's target): end the rest too.
        _signal_group(child.pid, signal.SIGKILL)
        if child.poll() is None:
            child.wait(timeout=10)
        if child in self._children:
            self._children.remove(child)

    def close(self) -> None:
        for child in reversed(list(self._children)):
            self.stop(child, grace=5.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class ProcessTree:
    """A server process and its descendants (workers), measured together."""

    def __init__(self, pid: int, *, skip_names: Sequence[str] = ()) -> None:
        self.pid = pid
        self.skip_names = tuple(skip_names)

    def pids(self) -> list[int]:
        found, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in _entries(f"/proc/{pid}/task"):
                queue += [int(child) for child in _text(f"/proc/{pid}/task/{task}/children").split()]
        return [pid for pid in found if _text(f"/proc/{pid}/comm").strip() not in self.skip_names]

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            stat = _text(f"/proc/{pid}/stat")
            if stat:
                fields = stat.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / CLOCK_TICKS

    def memory_bytes(self, key: str = "VmRSS") -> int:
        total = 0
        for pid in self.pids():
            for line in _text(f"/proc/{pid}/status").splitlines():
                if line.startswith(key + ":"):
                    total += int(line.split()[1]) * 1024
        return total

    def rss(self) -> int:
        return self.memory_bytes("VmRSS")

    def peak_rss(self) -> int:
        return self.memory_bytes("VmHWM")


def _text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _entries(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def wait_until_ok(
    url: str, *, headers: dict[str, str], timeout: float, since: float, alive: subprocess.Popen[bytes] | None = None
) -> float | None:
    """Seconds from `since` (time.monotonic()) until GET `url` first answers 200, polling every
    5 ms; None if `alive` exits or `timeout` passes first."""
    started = since
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while time.monotonic() - started < timeout:
            if alive is not None and alive.poll() is not None:
                return None
            try:
                if client.get(url, headers=headers).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    return None
