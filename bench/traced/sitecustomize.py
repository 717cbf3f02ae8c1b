"""Loaded by the gateway process the hostile soak starts with `--traced`: Python's own heap
measured by tracemalloc, written to $SOAK_TRACE_FILE on SIGUSR1 (after a full collection), so
the soak can tell memory the gateway still holds from memory the allocator keeps."""

import os
import sys

if "gateway" in getattr(sys, "orig_argv", ()) and os.environ.get("SOAK_TRACE_FILE"):
    import gc
    import signal
    import tracemalloc

    tracemalloc.start()

    def _report(signum: int, frame: object) -> None:
        gc.collect()
        current, _ = tracemalloc.get_traced_memory()
        with open(os.environ["SOAK_TRACE_FILE"], "a") as out:
            out.write(f"{current / 2**20:.1f}\n")

    signal.signal(signal.SIGUSR1, _report)
