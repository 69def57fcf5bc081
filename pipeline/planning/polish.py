"""Polish the order of a cut: alike shots apart, the strongest shots on the song's peak.

The planner's single pass orders shots by time (or as sent); this local search, run by the
refiner, swaps shots of the same kind (so every slot's length still fits its media) when that
makes neighbours differ more or the peak stronger. It never moves pinned shots and never runs
when time order matters (capture times) or the user asked for the order as sent.
"""

from __future__ import annotations

from pipeline.evaluation.plan_metrics import content_tags, quality_of
from pipeline.models import Library, MediaKind, StoryBeat

WINDOW = 10  # only consider swaps this close in a long movie: bounded work


def _likeness(library: Library, a: str, b: str, tags: dict[str, frozenset[str]]) -> float:
    ta, tb = tags[a], tags[b]
    sim = len(ta & tb) / len(ta | tb) if ta and tb else 0.0
    kind_a, kind_b = library.items[a].kind, library.items[b].kind
    return min(1.0, sim + (0.5 if kind_a == kind_b == MediaKind.VIDEO else 0.0))


def _objective(
    seq: list[str], beats: list[StoryBeat], library: Library, tags: dict[str, frozenset[str]]
) -> float:
    if len(seq) < 2:
        return 0.0
    flow = 1.0 - 1.5 * sum(_likeness(library, a, b, tags) for a, b in zip(seq, seq[1:], strict=False)) / (
        len(seq) - 1
    )
    peak = [quality_of(library, m) for m, b in zip(seq, beats, strict=True) if b == "peak"]
    strength = sum(peak) / len(peak) if peak else 0.0
    return flow + 0.5 * strength


def polish_order(seq: list[str], beats: list[StoryBeat], library: Library, pinned: set[str]) -> list[str]:
    """A better order of the same shots (same-kind swaps only), deterministic."""
    seq = list(seq)
    tags = {m: content_tags(library, m) for m in seq}
    # the opening and closing shots were chosen for the story: only the middle is reshuffled
    movable = [i for i, m in enumerate(seq) if m not in pinned and 0 < i < len(seq) - 1]
    best = _objective(seq, beats, library, tags)
    for _ in range(3):
        improved = False
        for x, i in enumerate(movable):
            for j in movable[x + 1 : x + 1 + WINDOW]:
                if library.items[seq[i]].kind != library.items[seq[j]].kind:
                    continue
                seq[i], seq[j] = seq[j], seq[i]
                value = _objective(seq, beats, library, tags)
                if value > best + 1e-9:
                    best, improved = value, True
                else:
                    seq[i], seq[j] = seq[j], seq[i]
        if not improved:
            break
    return seq
