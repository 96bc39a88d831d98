"""A lent machine's time limit turned into a training plan that fits it.

A lent GPU is held for minutes, not for as long as a recipe's epochs take. The run measures its
own speed on steps 100-300 of the start (the first steps warm up kernels and allocators: on
an H200 they ran 3x slower than the rest), and if the planned steps would not fit, plans fewer
and lets the learning rate decay to zero over them (`linear_schedule_at`), rather than being cut
off mid-decay. It measures again every REFIT_EVERY steps and fits the plan to what is left, up
to the steps first planned: four runs sharing one H200 took 1.4 ms per window at step 300 and
0.8-1.3 later, so a plan fitted once stopped them at 1.42-1.88 of their 2 epochs with time
to spare.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

MARKS = (100, 300)  # steps after the start between which the speed is first measured
REFIT_EVERY = 1000  # steps between later measurements, each over the steps since the last


def steps_within_budget(step: int, total_steps: int, seconds_per_step: float, seconds_left: float,
                        reserve: float = 0.25) -> int:
    """How many steps a run can have in all when `seconds_left` remain: `reserve` of them is kept
    for the held-out curve, the checkpoints and the final choice of weights."""
    affordable = step + int(seconds_left * (1.0 - reserve) / max(seconds_per_step, 1e-9))
    return min(total_steps, max(step + 1, affordable))  # at least the step in hand, never past the plan


@dataclass
class TimeBudget:
    minutes: float
    first_step: int  # the step this start of the run began at
    started: float = field(default_factory=time.time)
    marked: float = 0.0
    marked_step: int = 0

    def fitted_steps(self, step: int, planned_steps: int, now: float) -> int | None:
        """At the second mark and every REFIT_EVERY steps after it, how many steps fit in all (at
        most `planned_steps`, the plan the run started with); None at every other step. The speed
        is measured since the previous fit, so checkpoints and curve points in between count."""
        since_start = step - self.first_step
        if since_start == MARKS[0]:
            self.marked, self.marked_step = now, step
        if since_start < MARKS[1] or (since_start - MARKS[1]) % REFIT_EVERY:
            return None
        per_step = (now - self.marked) / max(step - self.marked_step, 1)
        self.marked, self.marked_step = now, step
        return steps_within_budget(step, planned_steps, per_step, self.minutes * 60 - (now - self.started))


def linear_schedule_at(optimizer, warmup_steps: int, total_steps: int, step: int):
    """transformers' linear warm-up and decay over `total_steps`, advanced to `step`: for a run
    whose plan changed after it started (a new --epochs on resume, a time budget)."""
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps, last_epoch=-1)
    for _ in range(step):
        scheduler.step()
    return scheduler
