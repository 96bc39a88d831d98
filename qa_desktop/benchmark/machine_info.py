"""What machine the numbers come from: CPU, cores, the instruction sets that matter here."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

# Flags that decide how fast transformer inference can go on an x86 CPU.
INTERESTING_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


def _cpuinfo() -> tuple[str | None, set[str]]:
    path = Path("/proc/cpuinfo")
    if not path.exists():
        return None, set()
    name, flags = None, set()
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and name is None:
            name = value.strip()
        elif key == "flags" and not flags:
            flags = set(value.split())
    return name, flags


def describe() -> dict:
    import onnxruntime

    name, flags = _cpuinfo()
    try:
        import psutil

        physical, logical = psutil.cpu_count(logical=False), psutil.cpu_count(logical=True)
    except ImportError:
        physical, logical = None, os.cpu_count()
    return {
        "cpu": name or platform.processor() or platform.machine(),
        "cpu_features": " ".join(f for f in INTERESTING_FLAGS if f in flags),
        "amx": any(f.startswith("amx") for f in flags) if flags else None,
        "physical_cores": physical,
        "logical_cores": logical,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "onnxruntime": onnxruntime.__version__,
        "onnxruntime_providers": onnxruntime.get_available_providers(),
    }
