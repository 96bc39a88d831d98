"""This machine's practical matrix-multiply ceiling: a large torch.matmul, bf16 and fp32.

Measured in the benchmark's own run (inside a pipeline worker, same thread count), so a model's
GFLOP/s can be read as a fraction of what the cores really deliver today.
"""

from __future__ import annotations

import time


def measure(size: int, dtype: str = "bf16", device: str = "cpu", min_seconds: float = 1.0,
            threads: int | None = None) -> dict:
    """Best GFLOP/s of an (size×size)·(size×size) matmul over repeats lasting ≥ min_seconds."""
    import torch

    if threads:
        torch.set_num_threads(int(threads))
    kind = {"bf16": torch.bfloat16, "fp32": torch.float32}[dtype]
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=gen).to(device=device, dtype=kind)
    b = torch.randn(size, size, generator=gen).to(device=device, dtype=kind)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.no_grad():
        torch.matmul(a, b)  # warm-up: packing, thread start
        sync()
        best, runs, spent = float("inf"), 0, 0.0
        while spent < min_seconds or runs < 3:
            t0 = time.perf_counter()
            torch.matmul(a, b)
            sync()
            dt = time.perf_counter() - t0
            best, runs, spent = min(best, dt), runs + 1, spent + dt
    flops = 2.0 * size ** 3
    return {"dtype": dtype, "size": size, "runs": runs, "best_ms": best * 1e3, "gflops": flops / best / 1e9}
