"""What changed between two versions, in the words a chat bot would say."""

from __future__ import annotations

from pipeline.models import EditPlan, Library


def _name(library: Library, media_id: str) -> str:
    item = library.items.get(media_id)
    return item.original_name.rsplit(".", 1)[0] if item else media_id


def _names(library: Library, ids: list[str], limit: int = 3) -> str:
    shown = [_name(library, m) for m in ids[:limit]]
    more = len(ids) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _shots_before(plan: EditPlan, t: float) -> int:
    return sum(1 for s in plan.segments if s.timeline_start < t)


def _mean_len(plan: EditPlan, part: int) -> float | None:
    third = plan.duration / 3
    lens = [
        s.duration
        for s in plan.segments
        if part * third <= s.timeline_start + s.duration / 2 < (part + 1) * third
    ]
    return sum(lens) / len(lens) if lens else None


def _rhythm(parent: EditPlan, plan: EditPlan) -> list[str]:
    """The parts of the movie whose shot lengths changed noticeably, biggest change first."""
    changes: list[tuple[float, str]] = []
    for part, label in enumerate(("start", "middle", "end")):
        a, b = _mean_len(parent, part), _mean_len(plan, part)
        if a is None or b is None:
            continue
        change = abs(b - a) / a
        if change >= 0.08:
            word = "slower" if b > a else "faster"
            changes.append((change, f"{label} {word} (shots {b:.1f} s instead of {a:.1f} s)"))
    changes.sort(key=lambda c: -c[0])
    return [text for _, text in changes[:2]]


def summarize_changes(parent: EditPlan, plan: EditPlan, library: Library) -> str:
    bits: list[str] = []
    if abs(parent.duration - plan.duration) >= 0.5:
        bits.append(f"now {plan.duration:.0f} s instead of {parent.duration:.0f} s")
    if parent.aspect != plan.aspect:
        label = {"9:16": "vertical", "16:9": "landscape", "1:1": "square"}[plan.aspect]
        bits.append(f"now {label} ({plan.aspect})")
    window = min(8.0, plan.duration / 3)
    a, b = _shots_before(parent, window), _shots_before(plan, window)
    if a != b:
        bits.append(f"first {window:.0f} s now {b} shots instead of {a}")
    elif len(parent.segments) != len(plan.segments):
        bits.append(f"{len(plan.segments)} shots instead of {len(parent.segments)}")
    bits += _rhythm(parent, plan)
    old_ids = [s.media_id for s in parent.segments]
    new_ids = [s.media_id for s in plan.segments]
    gone = [m for m in dict.fromkeys(old_ids) if m not in new_ids]
    added = [m for m in dict.fromkeys(new_ids) if m not in old_ids]
    if gone:
        bits.append(f"removed {_names(library, gone)}")
    if added:
        bits.append(f"added {_names(library, added)}")
    if not gone and not added and old_ids != new_ids:
        bits.append("shots reordered")
    if new_ids and old_ids and new_ids[0] != old_ids[0]:
        bits.append(f"opens on {_name(library, new_ids[0])}")
    if new_ids and old_ids and new_ids[-1] != old_ids[-1]:
        bits.append(f"ends on {_name(library, new_ids[-1])}")
    old_music = parent.music.media_id if parent.music else None
    new_music = plan.music.media_id if plan.music else None
    if old_music != new_music:
        bits.append(f"music: {_name(library, new_music)}" if new_music else "no music")
    old_tr = sorted({s.transition_in.kind for s in parent.segments[1:]})
    new_tr = sorted({s.transition_in.kind for s in plan.segments[1:]})
    if old_tr != new_tr:
        bits.append("transitions: " + ", ".join(new_tr))
    if parent.title != plan.title:
        bits.append(f'title "{plan.title}"' if plan.title else "title removed")
    if not bits:
        return "Same cut as before: nothing the request changed needed a different edit."
    text = "; ".join(bits)
    return text[0].upper() + text[1:] + "."
