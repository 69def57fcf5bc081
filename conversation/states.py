"""The per-project state machine (drawn in states.mmd next to this file).

collecting -> ready -> planning -> rendering -> delivered -> refining -> delivered ...
Any running state may fail (-> failed) or be cancelled (back to ready/delivered). The table is
the single source of truth: the core asks `step()` and refuses what the table doesn't allow, so a
double /make or a refinement during /delete can't slip through.
"""

from __future__ import annotations

from typing import Literal

from conversation.models import ProjectState

Trigger = Literal[
    "media_added", "media_emptied", "make", "refine", "rendering", "done", "failed", "cancelled", "revert"
]

RUNNING: frozenset[ProjectState] = frozenset({"planning", "rendering", "refining"})

# (state, trigger) -> next state. A trigger missing for a state is not allowed there.
TABLE: dict[tuple[ProjectState, Trigger], ProjectState] = {
    ("collecting", "media_added"): "ready",
    ("ready", "media_added"): "ready",
    ("ready", "media_emptied"): "collecting",
    ("ready", "make"): "planning",
    ("planning", "rendering"): "rendering",
    ("planning", "done"): "delivered",
    ("planning", "failed"): "failed",
    ("planning", "cancelled"): "ready",
    ("rendering", "rendering"): "rendering",
    ("rendering", "done"): "delivered",
    ("rendering", "failed"): "failed",
    ("rendering", "cancelled"): "ready",
    ("delivered", "media_added"): "delivered",
    ("delivered", "media_emptied"): "collecting",
    ("delivered", "refine"): "refining",
    ("delivered", "make"): "refining",
    ("delivered", "revert"): "delivered",
    ("refining", "rendering"): "refining",
    ("refining", "done"): "delivered",
    ("refining", "failed"): "failed",
    ("refining", "cancelled"): "delivered",
    ("failed", "media_added"): "failed",
    ("failed", "media_emptied"): "collecting",
    ("failed", "make"): "planning",
    ("failed", "refine"): "refining",
    ("failed", "revert"): "delivered",
    ("failed", "cancelled"): "failed",
    ("failed", "done"): "delivered",
}

# While a movie is being made, new edits supersede it (the running job is replaced), so a second
# person's edit is queued on top of the first rather than refused or lost.
for _s in RUNNING:
    TABLE[(_s, "media_added")] = _s
    TABLE[(_s, "make")] = "refining" if _s == "refining" else "planning"
    TABLE[(_s, "refine")] = "refining"
    TABLE[(_s, "revert")] = _s


class BadTransition(Exception):
    def __init__(self, state: ProjectState, trigger: Trigger) -> None:
        super().__init__(f"{trigger!r} is not allowed in state {state!r}")
        self.state = state
        self.trigger = trigger


def can(state: ProjectState, trigger: Trigger) -> bool:
    return (state, trigger) in TABLE


def step(state: ProjectState, trigger: Trigger, *, has_movie: bool = False) -> ProjectState:
    """The next state. `has_movie` sends a cancelled/failed run back to 'delivered' when an
    earlier version exists (its movie is still there to refine)."""
    if (state, trigger) not in TABLE:
        raise BadTransition(state, trigger)
    nxt = TABLE[(state, trigger)]
    if trigger == "cancelled" and has_movie:
        return "delivered"
    if trigger == "make" and has_movie:
        return "refining"
    return nxt


def mermaid() -> str:
    """The diagram as Mermaid text (states.mmd is this, checked by a test)."""
    lines = ["stateDiagram-v2", "    [*] --> collecting: /new"]
    for (src, trig), dst in sorted(TABLE.items()):
        lines.append(f"    {src} --> {dst}: {trig}")
    return "\n".join(lines) + "\n"
