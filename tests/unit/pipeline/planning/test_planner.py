"""The heuristic planner on synthetic libraries: the issue's Done-when properties."""

from __future__ import annotations

import pytest

from pipeline.errors import NotEnoughMedia
from pipeline.models import ASPECT_SIZES, Library, MediaKind, PlanRequest
from pipeline.planning import plan_edit
from pipeline.planning.framing import contains
from tests.unit.pipeline.planning.synth import make_library, mid


def on_beat_share(plan, lib: Library) -> float:
    beats = [b - plan.music.source_start for b in lib.music[plan.music.media_id].beats]
    cuts = plan.cut_times()
    return sum(min(abs(c - b) for b in beats) <= 0.05 for c in cuts) / len(cuts)


def names(plan, lib: Library) -> list[str]:
    return [lib.items[s.media_id].original_name for s in plan.segments]


@pytest.mark.parametrize("seconds", [15.0, 30.0, 45.0, 62.5])
async def test_duration_honoured_and_cuts_on_beats(seconds: float) -> None:
    lib = make_library()
    plan = await plan_edit(PlanRequest(duration=seconds), lib)
    assert abs(plan.duration - seconds) <= 0.5
    assert abs(sum(s.duration for s in plan.segments) - plan.duration) < 1e-3
    for a, b in zip(plan.segments, plan.segments[1:], strict=False):
        assert abs(a.timeline_start + a.duration - b.timeline_start) < 1e-3  # contiguous timeline
    assert on_beat_share(plan, lib) >= 0.8
    assert plan.planner == "heuristic" and plan.narrative_arc and plan.variety_score > 0.8
    assert all(s.reasoning for s in plan.segments)


async def test_shorter_shots_where_the_music_is_loud() -> None:
    lib = make_library(n_photos=30)
    plan = await plan_edit(PlanRequest(duration=60), lib)
    segs = plan.segments[:-1]
    loud = [s.duration for s in segs if s.energy >= 0.75]
    quiet = [s.duration for s in segs if s.energy <= 0.45]
    assert loud and quiet
    assert sum(loud) / len(loud) < sum(quiet) / len(quiet)


async def test_near_duplicates_blurry_and_dark_left_out_with_reasons() -> None:
    lib = make_library()
    plan = await plan_edit(PlanRequest(duration=30), lib)
    used = {s.media_id for s in plan.segments}
    assert not {mid("dupA_boat.jpg"), mid("dupB_boat.jpg")} <= used
    reasons = {lo.media_id: lo.reason for lo in plan.left_out}
    assert reasons[mid("dupB_boat.jpg")] == "near-duplicate of dupA_boat.jpg"
    assert reasons[mid("b0_blurry.jpg")] == "blurry"
    assert reasons[mid("k0_dark.jpg")] == "too dark"
    # everything is accounted for: shown or left out with a reason
    visuals = {m for m, it in lib.items.items() if it.kind != MediaKind.MUSIC}
    assert used | set(reasons) == visuals


async def test_blurry_and_dark_fill_only_when_needed_and_get_the_shortest_shots() -> None:
    lib = make_library(n_photos=3, videos=0, blurry=2, dark=1, dup_pair=False)
    plan = await plan_edit(PlanRequest(duration=40), lib)
    weak = {mid("b0_blurry.jpg"), mid("b1_blurry.jpg"), mid("k0_dark.jpg")}
    used_weak = [s for s in plan.segments if s.media_id in weak]
    good = [s for s in plan.segments if s.media_id not in weak]
    assert used_weak, "reserves must fill when good material runs out"
    assert max(s.duration for s in used_weak) <= min(s.duration for s in good)
    assert abs(plan.duration - 40) <= 0.5


async def test_faces_stay_inside_every_box_in_every_aspect() -> None:
    lib = make_library(landscape_group=True)
    group = mid("group_people.jpg")
    for aspect in ("9:16", "16:9", "1:1"):
        plan = await plan_edit(PlanRequest(duration=45, aspect=aspect, include=frozenset({group})), lib)
        w, h = ASPECT_SIZES[aspect]
        checked = 0
        for s in plan.segments:
            faces = (lib.photos.get(s.media_id) or lib.videos.get(s.media_id)).faces
            src = lib.photos.get(s.media_id) or lib.videos.get(s.media_id)
            for box in (s.motion.start, s.motion.end):
                # the box has the output's pixel aspect
                assert box.w * src.width / (box.h * src.height) == pytest.approx(w / h, rel=1e-3)
                for f in faces:
                    assert contains(box, f), (aspect, lib.items[s.media_id].original_name, box, f)
                    checked += 1
        assert checked >= 12  # the six-face group shot, start and end


async def test_ken_burns_zoom_is_gentle_and_photos_only_move() -> None:
    lib = make_library()
    plan = await plan_edit(PlanRequest(duration=30), lib)
    for s in plan.segments:
        if s.kind == MediaKind.PHOTO:
            zoom = max(s.motion.start.w, s.motion.end.w) / min(s.motion.start.w, s.motion.end.w) - 1
            assert 0.049 <= zoom <= 0.121
        else:
            assert s.motion.start == s.motion.end


async def test_exclude_include_opening_closing() -> None:
    lib = make_library()
    excluded, blurry = mid("p03_photo.jpg"), mid("b0_blurry.jpg")
    req = PlanRequest(
        duration=30,
        exclude=frozenset({excluded}),
        include=frozenset({blurry}),
        opening_id=mid("p09_photo.jpg"),
        closing_id=mid("p01_photo.jpg"),
    )
    plan = await plan_edit(req, lib)
    ids = [s.media_id for s in plan.segments]
    assert excluded not in ids and blurry in ids
    assert ids[0] == mid("p09_photo.jpg") and ids[-1] == mid("p01_photo.jpg")
    assert {lo.media_id: lo.reason for lo in plan.left_out}[excluded] == "excluded by you"


async def test_pace_changes_shot_lengths_where_asked() -> None:
    lib = make_library(n_photos=40)
    base = await plan_edit(PlanRequest(duration=45), lib)
    slower = await plan_edit(PlanRequest(duration=45, pace={"all": 1.6}), lib)
    assert len(slower.segments) < len(base.segments)
    slow_start = await plan_edit(PlanRequest(duration=45, pace={"start": 2.0}), lib)

    def shots_before(plan, t: float) -> int:
        return sum(s.timeline_start < t for s in plan.segments)

    assert shots_before(slow_start, 15) < shots_before(base, 15)
    assert shots_before(slow_start, 45) - shots_before(slow_start, 30) == shots_before(
        base, 45
    ) - shots_before(base, 30)


async def test_prompt_asks_are_honoured_when_fields_are_unset() -> None:
    lib = make_library(n_photos=30)
    plan = await plan_edit(PlanRequest(prompt="upbeat 45 second recap, end on the boats"), lib)
    assert abs(plan.duration - 45) <= 0.5
    assert plan.segments[-1].media_id == mid("dupA_boat.jpg")
    calm = await plan_edit(PlanRequest(prompt="a calm 45 second recap"), lib)
    assert len(calm.segments) < len(plan.segments)
    # an explicit field wins over the prompt
    set_dur = await plan_edit(PlanRequest(prompt="45 second recap", duration=20), lib)
    assert abs(set_dur.duration - 20) <= 0.5


async def test_chronological_where_capture_times_exist() -> None:
    lib = make_library(videos=0)
    plan = await plan_edit(PlanRequest(duration=30, order="chronological"), lib)
    times = [lib.photos[s.media_id].capture_time for s in plan.segments]
    assert times == sorted(times)
    as_sent = await plan_edit(PlanRequest(duration=30, order="as_sent"), lib)
    sent = list(lib.items)
    idx = [sent.index(s.media_id) for s in as_sent.segments]
    assert idx == sorted(idx)


async def test_transitions_follow_style_and_movie_fades() -> None:
    lib = make_library()
    auto = await plan_edit(PlanRequest(duration=45), lib)
    assert auto.segments[0].transition_in.kind == "dip_black" and auto.segments[0].transition_in.duration > 0
    kinds = {s.transition_in.kind for s in auto.segments[1:]}
    assert {"cut", "crossfade"} <= kinds  # calm parts crossfade, loud parts cut
    for s in auto.segments[1:]:
        if s.transition_in.kind == "crossfade":
            assert 0.2 <= s.transition_in.duration <= 0.8
            assert s.energy < 0.75
    assert auto.music is not None and auto.music.fade_out >= 1.5
    cuts = await plan_edit(PlanRequest(duration=45, transition_style="cuts"), lib)
    assert {s.transition_in.kind for s in cuts.segments[1:]} == {"cut"}
    fades = await plan_edit(PlanRequest(duration=45, transition_style="crossfades"), lib)
    assert {s.transition_in.kind for s in fades.segments[1:]} == {"crossfade"}


async def test_clip_trims_stay_in_the_clip_with_transition_margins_and_audio_rule() -> None:
    lib = make_library(videos=2, n_photos=6)
    plan = await plan_edit(PlanRequest(duration=30, transition_style="crossfades"), lib)
    clips = [s for s in plan.segments if s.kind == MediaKind.VIDEO]
    assert len(clips) == 2
    for s in clips:
        v = lib.videos[s.media_id]
        assert 0 <= s.source_start < s.source_end <= v.duration
        assert s.source_end - s.source_start == pytest.approx(s.duration, abs=1e-3)
        assert s.source_start >= s.transition_in.duration / 2 - 1e-6
        assert s.audio == ("duck" if v.has_audio else "mute")
    muted = await plan_edit(PlanRequest(duration=30, clip_audio="mute"), lib)
    assert {s.audio for s in muted.segments} == {"mute"}


async def test_title_captions_and_aspect_are_carried() -> None:
    lib = make_library()
    cap = mid("p02_photo.jpg")
    plan = await plan_edit(
        PlanRequest(duration=30, title="Summer", captions={cap: "Day one"}, aspect="1:1"), lib
    )
    assert plan.title == "Summer" and plan.aspect == "1:1"
    assert [s.caption for s in plan.segments if s.media_id == cap] == ["Day one"]


async def test_deterministic() -> None:
    lib = make_library()
    req = PlanRequest(prompt="upbeat recap", duration=40)
    assert (await plan_edit(req, lib)) == (await plan_edit(req, lib))


async def test_without_music_or_duration() -> None:
    lib = make_library(music=False)
    plan = await plan_edit(PlanRequest(), lib)
    assert plan.music is None and 8 <= plan.duration <= 60
    assert abs(sum(s.duration for s in plan.segments) - plan.duration) < 1e-3
    with_song = await plan_edit(PlanRequest(), make_library())
    assert with_song.duration <= 90  # capped by the song


async def test_nothing_to_show_is_a_user_facing_error() -> None:
    lib = make_library(n_photos=0, videos=0, blurry=0, dark=0, dup_pair=False)
    with pytest.raises(NotEnoughMedia):
        await plan_edit(PlanRequest(duration=10), lib)


async def test_single_photo_fills_the_whole_movie() -> None:
    lib = make_library(n_photos=1, videos=0, blurry=0, dark=0, dup_pair=False)
    plan = await plan_edit(PlanRequest(duration=12), lib)
    assert len(plan.segments) == 1 and plan.segments[0].duration == pytest.approx(12)


async def test_refinement_keeps_the_parent_cut_except_what_changed() -> None:
    lib = make_library()
    parent = await plan_edit(PlanRequest(duration=30), lib)
    drop = parent.segments[3].media_id
    child = await plan_edit(parent.request.model_copy(update={"exclude": frozenset({drop})}), lib, parent)
    before = [s.media_id for s in parent.segments if s.media_id != drop]
    after = [s.media_id for s in child.segments]
    assert drop not in after
    kept = [m for m in after if m in before]
    assert kept == [m for m in before if m in after]  # same relative order
    assert len(kept) >= len(before) - 1
    vertical = await plan_edit(parent.request.model_copy(update={"aspect": "9:16"}), lib, parent)
    assert [s.media_id for s in vertical.segments] == [s.media_id for s in parent.segments]


async def test_named_closing_prefers_the_duplicate_keeper_and_a_pinned_blurry_shot_is_honoured() -> None:
    lib = make_library()
    plan = await plan_edit(PlanRequest(duration=30, prompt="end on the boat"), lib)
    assert plan.segments[-1].media_id == mid("dupA_boat.jpg")  # not its near-duplicate dupB
    swapped = lib.model_copy(update={"duplicate_groups": ((mid("dupB_boat.jpg"), mid("dupA_boat.jpg")),)})
    plan = await plan_edit(PlanRequest(duration=30, prompt="end on the boat"), swapped)
    assert plan.segments[-1].media_id == mid("dupB_boat.jpg")  # dupB is now the better of the pair
    pinned = await plan_edit(PlanRequest(duration=30, closing_id=mid("dupB_boat.jpg")), lib)
    assert pinned.segments[-1].media_id == mid("dupB_boat.jpg")
    assert mid("dupA_boat.jpg") not in {s.media_id for s in pinned.segments}
    blurry = await plan_edit(PlanRequest(duration=30, prompt="start with the blurry one"), lib)
    assert blurry.segments[0].media_id == mid("b0_blurry.jpg")


async def test_faces_and_sharper_shots_win_when_room_is_short() -> None:
    lib = make_library(n_photos=10, videos=0, blurry=0, dark=0, dup_pair=False, faces_on=(4, 7))
    same = {m: p.model_copy(update={"quality": 0.7, "sharpness": 200.0}) for m, p in lib.photos.items()}
    sharper = mid("p02_photo.jpg")
    same[sharper] = same[sharper].model_copy(update={"sharpness": 800.0})
    lib = lib.model_copy(update={"photos": same})
    plan = await plan_edit(PlanRequest(duration=9), lib)
    used = {s.media_id for s in plan.segments}
    assert len(used) < 8
    assert {mid("p04_photo.jpg"), mid("p07_photo.jpg"), sharper} <= used
    assert {lo.reason for lo in plan.left_out} == {"no room"}


async def test_scarce_clips_are_shown_again_from_other_parts_never_frozen() -> None:
    lib = make_library(n_photos=0, blurry=0, dark=0, dup_pair=False, videos=3)
    plan = await plan_edit(PlanRequest(duration=45), lib)
    assert abs(plan.duration - 45) <= 0.5
    ids = [s.media_id for s in plan.segments]
    assert all(a != b for a, b in zip(ids, ids[1:], strict=False))
    windows: dict[str, list[tuple[float, float]]] = {}
    for s in plan.segments:
        v = lib.videos[s.media_id]
        # the clip really lasts as long as its shot: no frozen last frame
        assert s.source_end - s.source_start == pytest.approx(s.duration, abs=0.01)
        assert s.source_start >= 0 and s.source_end <= v.duration
        windows.setdefault(s.media_id, []).append((s.source_start, s.source_end))
    assert any(len(w) > 1 for w in windows.values())
    for w in windows.values():
        assert len(set(w)) == len(w)  # a repeat shows another part of the clip
    assert "shown more than once" in plan.segments[0].reasoning


async def test_few_photos_for_a_long_movie_repeat_rather_than_drag() -> None:
    lib = make_library(n_photos=3, videos=0, blurry=0, dark=0, dup_pair=False)
    plan = await plan_edit(PlanRequest(duration=90, closing_id=mid("p01_photo.jpg")), lib)
    assert max(s.duration for s in plan.segments) <= 12.0
    ids = [s.media_id for s in plan.segments]
    assert len(ids) > 3 and all(a != b for a, b in zip(ids, ids[1:], strict=False))
    assert ids[-1] == mid("p01_photo.jpg")


async def test_a_title_gets_an_opening_shot_long_enough_to_read() -> None:
    lib = make_library(n_photos=30)
    plain = await plan_edit(PlanRequest(duration=30, mood="energetic", pace={"start": 0.5}), lib)
    assert plain.segments[0].duration < 2.5
    titled = await plan_edit(
        PlanRequest(duration=30, mood="energetic", pace={"start": 0.5}, title="Summer"), lib
    )
    assert titled.segments[0].duration >= 2.5 and titled.title == "Summer"
    beats = [b - titled.music.source_start for b in lib.music[titled.music.media_id].beats]
    assert min(abs(titled.segments[1].timeline_start - b) for b in beats) <= 0.05
