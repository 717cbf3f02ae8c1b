"""Profiling the gateway during a throughput phase: py-spy attached, py-spy as a wrapper, or pyinstrument.

Both tools are installed with pip into bench/.tools/profilers. Output is speedscope JSON
(https://www.speedscope.app/file-format-schema.json), read back here to list the functions
with the most self time: for py-spy's sampled profiles the leaf frame of each sample, for
pyinstrument's evented profiles each frame's time minus its callees'.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import orjson

from bench.procs import Processes

__all__ = [
    "PROFILERS",
    "attach_py_spy",
    "install_profilers",
    "py_spy",
    "py_spy_wrapper",
    "pyinstrument_wrapper",
    "stop_profiler",
    "top_self",
]

PROFILERS = ("py-spy", "pyinstrument")


def install_profilers(tools: Path) -> tuple[Path, str]:
    """(the target directory, what happened); installs what is missing, time-bounded."""
    target = tools / "profilers"
    if (target / "bin" / "py-spy").exists() and (target / "pyinstrument").is_dir():
        return target, f"profilers already in {target}"
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *PROFILERS],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        return target, f"pip install {' '.join(PROFILERS)} failed: {done.stderr.strip()[-400:]}"
    return target, f"installed {', '.join(PROFILERS)} into {target}"


def py_spy(target: Path) -> str | None:
    found = target / "bin" / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


def attach_py_spy(
    procs: Processes, *, exe: str, pid: int, out: Path, seconds: float, prefix: Sequence[str], log: Path
) -> subprocess.Popen[bytes] | None:
    """py-spy attached to a running `pid`; None if it could not attach (e.g. ptrace refused)."""
    argv = [
        *prefix,
        exe,
        "record",
        "--pid",
        str(pid),
        "--format",
        "speedscope",
        "-o",
        str(out),
        "--duration",
        str(int(seconds) + 30),
        "--rate",
        "200",
        "--subprocesses",
    ]
    child = procs.start(argv, log=log)
    time.sleep(1.5)
    if child.poll() is not None:
        procs.stop(child)
        return None
    return child


def py_spy_wrapper(exe: str, out: Path, seconds: float) -> list[str]:
    """A gateway launcher that has py-spy start it: `py-spy record ... -- python -m gateway`."""
    return [
        exe,
        "record",
        "--format",
        "speedscope",
        "-o",
        str(out),
        "--duration",
        str(int(seconds) + 60),
        "--rate",
        "200",
        "--",
        sys.executable,
        "-m",
        "gateway",
    ]


def pyinstrument_wrapper(target: Path, out: Path) -> tuple[list[str], dict[str, str]]:
    """A gateway launcher under pyinstrument (`python -m pyinstrument ... -m gateway`) and its env."""
    path = os.pathsep.join(p for p in (str(target), os.environ.get("PYTHONPATH", "")) if p)
    return (
        [sys.executable, "-m", "pyinstrument", "-r", "speedscope", "-o", str(out), "-m", "gateway"],
        {"PYTHONPATH": path},
    )


def stop_profiler(child: subprocess.Popen[bytes], out: Path, *, timeout: float = 60.0) -> bool:
    """SIGINT makes both tools stop and write their file; True once the file is there."""
    if child.poll() is None:
        os.kill(child.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.1)
    while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 0):
        time.sleep(0.1)
    return out.exists() and out.stat().st_size > 0


def _frame_name(frame: dict[str, object]) -> str:
    name = str(frame.get("name", "?"))
    file = str(frame.get("file") or "")
    line = frame.get("line")
    where = file.rsplit("site-packages/", 1)[-1].rsplit("/work/", 1)[-1]
    return f"{name} ({where}:{line})" if where else name


def top_self(path: Path, count: int = 15) -> list[dict[str, object]]:
    """The `count` frames with the most self time, as shares of all sampled/recorded time."""
    document = orjson.loads(path.read_bytes())
    frames = document.get("shared", {}).get("frames", [])
    own: defaultdict[int, float] = defaultdict(float)
    for profile in document.get("profiles", []):
        if profile.get("type") == "sampled":
            for stack, weight in zip(profile.get("samples", []), profile.get("weights", []), strict=False):
                if stack:
                    own[stack[-1]] += weight
        elif profile.get("type") == "evented":
            _evented_self(profile.get("events", []), own)
    total = sum(own.values()) or 1
    merged: defaultdict[str, float] = defaultdict(float)
    for index, weight in own.items():
        merged[_frame_name(frames[index]) if index < len(frames) else str(index)] += weight
    return [
        {"function": name, "self_pct": round(100 * weight / total, 2)}
        for name, weight in sorted(merged.items(), key=lambda item: -item[1])[:count]
    ]


def _evented_self(events: list[dict[str, float]], own: defaultdict[int, float]) -> None:
    stack: list[list[float]] = []  # [frame, opened at, time spent in callees]
    for event in events:
        if event.get("type") == "O":
            stack.append([event["frame"], event["at"], 0.0])
        elif event.get("type") == "C" and stack:
            frame, opened, callees = stack.pop()
            spent = event["at"] - opened
            own[int(frame)] += spent - callees
            if stack:
                stack[-1][2] += spent
