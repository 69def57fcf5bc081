"""The offline critic: each metric notices its fault, and the refiner measurably fixes them."""

from __future__ import annotations

from pipeline.evaluation import evaluate_plan
from pipeline.models import Box, EditPlan, Library, Motion, PlanRequest, Segment
from pipeline.planning import plan_edit, refine_plan, summarize_changes
from tests.unit.pipeline.planning.synth import make_library, mid


def _shift_cuts(plan: EditPlan, by: float) -> EditPlan:
    """Every cut moved off the beat by `by` s (first and last shots absorb it)."""
    segs = list(plan.segments)
    out = []
    for i, s in enumerate(segs):
        start = s.timeline_start + (by if i > 0 else 0.0)
        end = s.timeline_start + s.duration + (by if i < len(segs) - 1 else 0.0)
        out.append(s.model_copy(update={"timeline_start": start, "duration": end - start}))
    return plan.model_copy(update={"segments": tuple(out)})


def _swap_media(plan: EditPlan, index: int, media_id: str) -> EditPlan:
    segs = list(plan.segments)
    segs[index] = segs[index].model_copy(update={"media_id": media_id})
    return plan.model_copy(update={"segments": tuple(segs)})


async def _good(lib: Library, **kw) -> EditPlan:
    return await plan_edit(PlanRequest(duration=45, **kw), lib)


async def test_planner_output_scores_high_with_no_issues() -> None:
    lib = make_library()
    crit = evaluate_plan(await _good(lib), lib)
    assert crit.score >= 0.95 and not crit.issues
    assert set(crit.parts) >= {
        "duration",
        "on_beat",
        "energy_match",
        "duplicates",
        "quality",
        "faces",
        "variety",
        "story_arc",
    }


async def test_each_fault_is_named_and_lowers_the_score() -> None:
    lib = make_library()
    plan = await _good(lib)
    base = evaluate_plan(plan, lib).score
    off_beat = evaluate_plan(_shift_cuts(plan, 0.2), lib)
    assert off_beat.parts["on_beat"] < 0.2 and "miss the beat" in off_beat.issues[0]
    dup_in = next(i for i, s in enumerate(plan.segments) if s.media_id != mid("dupA_boat.jpg"))
    with_dup = _swap_media(plan, dup_in, mid("dupB_boat.jpg"))
    if mid("dupA_boat.jpg") not in {s.media_id for s in plan.segments}:
        with_dup = _swap_media(with_dup, dup_in + 2, mid("dupA_boat.jpg"))
    crit = evaluate_plan(with_dup, lib)
    assert crit.parts["duplicates"] < 1 and any("near-duplicates" in i for i in crit.issues)
    blurry = evaluate_plan(_swap_media(plan, 2, mid("b0_blurry.jpg")), lib)
    assert blurry.parts["quality"] < 1 and any("blurry" in i for i in blurry.issues)
    twice = evaluate_plan(_swap_media(plan, 2, plan.segments[1].media_id), lib)
    assert twice.parts["variety"] < 1 and any("twice in a row" in i for i in twice.issues)
    short = plan.model_copy(update={"request": plan.request.model_copy(update={"duration": 60.0})})
    assert evaluate_plan(short, lib).parts["duration"] < 0.2
    for crit in (off_beat, blurry, twice):
        assert crit.score < base


async def test_shot_length_rising_with_energy_is_penalised() -> None:
    lib = make_library(n_photos=30)
    plan = await _good(lib)
    # reverse the durations: long shots now sit in the loud part
    durs = [s.duration for s in plan.segments][::-1]
    t, segs = 0.0, []
    for s, d in zip(plan.segments, durs, strict=True):
        segs.append(s.model_copy(update={"timeline_start": t, "duration": d}))
        t += d
    crit = evaluate_plan(plan.model_copy(update={"segments": tuple(segs)}), lib)
    assert crit.parts["energy_match"] < evaluate_plan(plan, lib).parts["energy_match"]


async def test_a_face_cut_by_the_frame_is_found() -> None:
    lib = make_library()
    plan = await _good(lib)
    face_seg = next(s for s in plan.segments if lib.photos.get(s.media_id) and lib.photos[s.media_id].faces)
    corner = Box(x=0.7, y=0.7, w=0.3, h=0.3 * 1200 / 800 * 9 / 16)
    bad = face_seg.model_copy(update={"motion": Motion(start=corner, end=corner)})
    segs = tuple(bad if s.index == face_seg.index else s for s in plan.segments)
    crit = evaluate_plan(plan.model_copy(update={"segments": segs}), lib)
    assert crit.parts["faces"] < 1 and any("face is cut" in i for i in crit.issues)


async def test_refine_raises_the_score_of_a_deliberately_bad_plan() -> None:
    lib = make_library()
    plan = await _good(lib)
    bad = _shift_cuts(plan, 0.21)
    bad = _swap_media(bad, 2, mid("b0_blurry.jpg"))
    bad = _swap_media(bad, 5, mid("k0_dark.jpg"))
    bad = bad.model_copy(update={"request": bad.request.model_copy(update={"duration": 40.0})})
    before = evaluate_plan(bad, lib)
    fixed = await refine_plan(bad, before, lib)
    after = evaluate_plan(fixed, lib)
    assert after.score > before.score + 0.1
    assert after.parts["on_beat"] >= 0.9 and after.parts["quality"] == 1.0 and after.parts["duration"] == 1.0
    assert abs(fixed.duration - 40) <= 0.5
    left = {lo.media_id: lo.reason for lo in fixed.left_out}
    assert left[mid("b0_blurry.jpg")] == "blurry" and left[mid("k0_dark.jpg")] == "too dark"


async def test_refine_swaps_weak_shots_and_leaves_good_timing_alone() -> None:
    lib = make_library(n_photos=30)
    plan = await _good(lib)
    used = {s.media_id for s in plan.segments}
    unused = sorted((m for m in lib.photos if m not in used), key=lambda m: lib.photos[m].quality)
    worst = [m for m in unused if not lib.photos[m].is_blurry and not lib.photos[m].is_dark][:4]
    assert len(worst) == 4
    bad = plan
    for i, m in zip((1, 3, 5, 7), worst, strict=True):
        bad = _swap_media(bad, i, m)
    before = evaluate_plan(bad, lib)
    fixed = await refine_plan(bad, before, lib)
    after = evaluate_plan(fixed, lib)
    assert after.parts["shot_choice"] > before.parts["shot_choice"]
    assert [s.timeline_start for s in fixed.segments] == [s.timeline_start for s in bad.segments]


async def test_summarize_changes_says_what_changed() -> None:
    lib = make_library()
    parent = await _good(lib)
    drop = parent.segments[2].media_id
    child = await plan_edit(
        parent.request.model_copy(update={"exclude": frozenset({drop}), "aspect": "9:16"}), lib, parent
    )
    text = summarize_changes(parent, child, lib)
    assert "removed " + lib.items[drop].original_name.rsplit(".", 1)[0] in text
    assert "vertical" in text and text.endswith(".")
    assert "Same cut" in summarize_changes(parent, parent, lib)
    slower = await plan_edit(parent.request.model_copy(update={"pace": {"start": 2.0}}), lib, parent)
    assert "start slower" in summarize_changes(parent, slower, lib).lower()


def test_empty_plan_does_not_crash_the_critic() -> None:
    lib = make_library()
    plan = EditPlan(duration=10, aspect="16:9", segments=())
    crit = evaluate_plan(plan, lib)
    assert 0 <= crit.score < 0.9 and crit.issues
    one = Segment(index=0, media_id="unknown", kind="photo", timeline_start=0, duration=10)
    assert 0 <= evaluate_plan(plan.model_copy(update={"segments": (one,)}), lib).score <= 1


async def test_time_running_backwards_is_found_and_refined_away() -> None:
    lib = make_library(videos=0)
    plan = await plan_edit(PlanRequest(duration=30, order="chronological"), lib)
    assert evaluate_plan(plan, lib).parts["chronology"] == 1.0
    ids = [s.media_id for s in plan.segments]
    shuffled = ids[::-1]
    segs = tuple(s.model_copy(update={"media_id": m}) for s, m in zip(plan.segments, shuffled, strict=True))
    bad = plan.model_copy(update={"segments": segs})
    crit = evaluate_plan(bad, lib)
    assert crit.parts["chronology"] < 0.2 and any("back in time" in i for i in crit.issues)
    fixed = evaluate_plan(await refine_plan(bad, crit, lib), lib)
    assert fixed.parts["chronology"] == 1.0 and fixed.score > crit.score
    as_sent = bad.model_copy(update={"request": bad.request.model_copy(update={"order": "as_sent"})})
    assert evaluate_plan(as_sent, lib).parts["chronology"] == 1.0


async def test_overlong_transitions_are_found_and_refined_away() -> None:
    lib = make_library()
    plan = await _good(lib)
    from pipeline.models import Transition

    segs = tuple(
        s.model_copy(update={"transition_in": Transition(kind="crossfade", duration=3.0)}) if i else s
        for i, s in enumerate(plan.segments)
    )
    bad = plan.model_copy(update={"segments": segs})
    crit = evaluate_plan(bad, lib)
    assert crit.parts["transitions"] == 0.0 and any("transitions are longer" in i for i in crit.issues)
    assert evaluate_plan(await refine_plan(bad, crit, lib), lib).parts["transitions"] == 1.0


async def test_alike_neighbours_are_found_and_the_refiner_interleaves_them() -> None:
    lib = make_library(dated=False, n_photos=12, blurry=0, dark=0, dup_pair=False)
    photos = {
        m: p.model_copy(update={"tags": ("beach", "sea", "sand") if int(lib.items[m].original_name[1:3]) < 6 else ("city", "street")})
        for m, p in lib.photos.items()
    }  # fmt: skip
    lib = lib.model_copy(update={"photos": photos})
    plan = await plan_edit(PlanRequest(duration=30, closing_id=mid("p11_photo.jpg")), lib)
    crit = evaluate_plan(plan, lib)
    assert crit.parts["flow"] < 0.5 and any("look alike back to back" in i for i in crit.issues)
    fixed = await refine_plan(plan, crit, lib)
    after = evaluate_plan(fixed, lib)
    assert after.parts["flow"] > crit.parts["flow"] + 0.3 and after.score > crit.score
    assert [s.timeline_start for s in fixed.segments] == [s.timeline_start for s in plan.segments]
    assert fixed.segments[-1].media_id == mid("p11_photo.jpg")  # the pinned closing stays
    assert sorted(s.media_id for s in fixed.segments) == sorted(s.media_id for s in plan.segments)
    # time order wins over flow when capture times exist
    dated = make_library(n_photos=12, blurry=0, dark=0, dup_pair=False)
    dated = dated.model_copy(
        update={"photos": {m: p.model_copy(update={"tags": photos[m].tags}) for m, p in dated.photos.items()}}
    )
    chrono = await plan_edit(PlanRequest(duration=30), dated)
    polished = await refine_plan(chrono, evaluate_plan(chrono, dated), dated)
    assert [s.media_id for s in polished.segments] == [s.media_id for s in chrono.segments]


async def test_off_beat_cuts_are_snapped_keeping_shots_and_order() -> None:
    lib = make_library()
    plan = await _good(lib)
    bad = _shift_cuts(plan, 0.12)
    crit = evaluate_plan(bad, lib)
    fixed = await refine_plan(bad, crit, lib)
    assert [s.media_id for s in fixed.segments] == [s.media_id for s in bad.segments]
    assert evaluate_plan(fixed, lib).parts["on_beat"] == 1.0
    moved = [
        abs(a.timeline_start - b.timeline_start) for a, b in zip(fixed.segments, bad.segments, strict=True)
    ]
    assert max(moved) <= 0.6  # each cut moved to a nearby beat, not a new grid


async def test_refine_keeps_needed_repeats_and_pinned_duplicates() -> None:
    scarce = make_library(n_photos=3, videos=0, blurry=0, dark=0, dup_pair=False)
    plan = await plan_edit(PlanRequest(duration=60), scarce)
    assert len({s.media_id for s in plan.segments}) < len(plan.segments)  # repeats were needed
    refined = await refine_plan(plan, evaluate_plan(plan, scarce), scarce)
    assert len(refined.segments) == len(plan.segments)
    lib = make_library()
    pinned = await plan_edit(PlanRequest(duration=30, closing_id=mid("dupB_boat.jpg")), lib)
    refined = await refine_plan(pinned, evaluate_plan(pinned, lib), lib)
    assert refined.segments[-1].media_id == mid("dupB_boat.jpg")
