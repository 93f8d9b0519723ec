"""What the bench ran on: a table only means something next to its machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from .procs import ROOT


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip('"')
    except OSError:
        return None
    return None


def _version(command: list[str]) -> str | None:
    if not shutil.which(command[0]):
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0] if text else None


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def describe() -> dict[str, str]:
    """Name -> value, in the order the report shows them."""
    cpu = _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory_kb = _first("/proc/meminfo", "MemTotal")
    memory = f"{int(memory_kb.split()[0]) / 1024 / 1024:.1f} GiB" if memory_kb else "unknown"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os_name = _first("/etc/os-release", "PRETTY_NAME=") or platform.system()
    prism = ROOT / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    prism_version = json.loads(prism.read_text()).get("version") if prism.exists() else None
    load = os.getloadavg()
    return {
        "CPU": f"{cpu}, {usable} usable of {os.cpu_count()} logical CPUs",
        "memory": memory,
        "OS": f"{os_name}, kernel {platform.release()}",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "server": f"granian {_package('granian')}, Flask {_package('flask')}, Werkzeug {_package('werkzeug')}",
        "suite": f"Schemathesis {_package('schemathesis')}, Hypothesis {_package('hypothesis')}",
        "wrk": (_version(["wrk", "-v"]) or "absent").split(" Copyright")[0],
        "Node.js / Prism": f"{_version(['node', '--version']) or 'absent'} / {prism_version or 'absent'}",
        "load average at start": " ".join(f"{value:.2f}" for value in load),
    }
