"""Helpers shared by the benchmark scripts: machine facts, per-process measurement, JSON, docs tables.

Every tool is measured in its own fresh interpreter (``subprocess`` + ``exec``), which reports its
own wall time, CPU time (all threads) and peak RSS (``VmHWM`` of its own address space), so the
figures of one tool never contaminate another's.
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["Meter", "machine", "peak_rss_mb", "replace_section", "run_worker", "versions"]


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (``VmHWM``; ``ru_maxrss`` where absent)."""
    try:
        text = Path("/proc/self/status").read_text(encoding="ascii")
        m = re.search(r"^VmHWM:\s+(\d+)\s+kB", text, re.M)
        if m:
            return int(m.group(1)) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Meter:
    """Wall and CPU seconds of named sections of one process, and its peak RSS at the end."""

    sections: dict[str, dict[str, float]] = field(default_factory=dict)

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """Time the body as section ``name`` (wall and process CPU seconds)."""
        w0, c0 = time.perf_counter(), time.process_time()
        yield
        self.sections[name] = {"wall_s": round(time.perf_counter() - w0, 3),
                               "cpu_s": round(time.process_time() - c0, 3)}

    def report(self) -> dict[str, Any]:
        """The sections plus this process's peak RSS."""
        return {**self.sections, "peak_rss_mb": round(peak_rss_mb(), 1)}


def versions(*names: str) -> dict[str, str]:
    """Installed versions of ``names`` (``"absent"`` when not installed)."""
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = metadata.version(n)
        except metadata.PackageNotFoundError:
            out[n] = "absent"
    return out


def machine() -> dict[str, Any]:
    """CPU, cores, memory and load of this machine, and the UTC date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        m = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(encoding="ascii"))
        mem_gb = round(int(m.group(1)) / 1024**2, 1) if m else None
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gb": mem_gb,
            "system": f"{platform.system()} {platform.release()}",
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def run_worker(script: Path, args: list[str], out: Path, timeout: float | None = None
               ) -> dict[str, Any]:
    """Run ``script --worker ... --out out`` in a fresh interpreter and return its JSON report.

    The child's stderr passes through; a failure (non-zero exit, timeout) is returned as
    ``{"error": ...}`` so that one tool failing does not lose the others' figures.
    """
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(script), *args, "--out", str(out)]
    w0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if proc.returncode != 0 or not out.exists():
        return {"error": f"exit code {proc.returncode}"}
    rep: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    rep["process_wall_s"] = round(time.perf_counter() - w0, 2)
    return rep


def replace_section(doc: Path, name: str, body: str, heading: str) -> None:
    """Replace the text between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in ``doc``.

    When the markers are absent they are appended under ``heading``; the rest of the page, other
    engineers' sections included, is left untouched.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# dupcheck benchmarks\n"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        _, post = rest.split(end, 1)
        text = pre + block + post
    else:
        text = text.rstrip() + f"\n\n{heading}\n\n{block}\n"
    doc.write_text(text, encoding="utf-8")
