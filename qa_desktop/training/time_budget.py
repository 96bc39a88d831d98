"""A lent machine's time limit turned into a training plan that fits it.

A lent GPU is held for minutes, not for as long as a recipe's epochs take. The run measures its
own speed once, on steps 100-300 of the start (the first steps warm up kernels and allocators: on
an H200 they ran 3x slower than the rest), and if the planned steps would not fit, plans fewer
and lets the learning rate decay to zero over them (`linear_schedule_at`), rather than being cut
off mid-decay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MARKS = (100, 300)  # steps after the start between which the speed is measured


def steps_within_budget(step: int, total_steps: int, seconds_per_step: float, seconds_left: float,
                        reserve: float = 0.25) -> int:
    """How many steps a run can have in all when `seconds_left` remain: `reserve` of them is kept
    for the held-out curve, the checkpoints and the final choice of weights."""
    affordable = step + int(seconds_left * (1.0 - reserve) / max(seconds_per_step, 1e-9))
    return max(step + 1, min(total_steps, affordable))


@dataclass
class TimeBudget:
    minutes: float
    first_step: int  # the step this start of the run began at
    started: float = field(default_factory=time.time)
    marked: float = 0.0

    def fitted_steps(self, step: int, total_steps: int, now: float) -> int | None:
        """At the second mark, the steps that fit (maybe `total_steps`); None at every other step."""
        if step == self.first_step + MARKS[0]:
            self.marked = now
        if step != self.first_step + MARKS[1]:
            return None
        per_step = (now - self.marked) / (MARKS[1] - MARKS[0])
        return steps_within_budget(step, total_steps, per_step, self.minutes * 60 - (now - self.started))


def linear_schedule_at(optimizer, warmup_steps: int, total_steps: int, step: int):
    """transformers' linear warm-up and decay over `total_steps`, advanced to `step`: for a run
    whose plan changed after it started (a new --epochs on resume, a time budget)."""
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps, last_epoch=-1)
    for _ in range(step):
        scheduler.step()
    return scheduler
