"""Odd libraries and requests never crash the planner, critic or refiner, and still fill the time."""

from __future__ import annotations

import pytest

from pipeline.evaluation import evaluate_plan
from pipeline.models import Library, MediaKind, MusicAnalysis, PlanRequest
from pipeline.planning import plan_edit, refine_plan
from tests.unit.pipeline.planning.synth import make_library


def _song_only(lib: Library, **update: object) -> Library:
    ((mid, song),) = lib.music.items()
    return lib.model_copy(update={"music": {mid: song.model_copy(update=update)}})


def _cases() -> dict[str, tuple[Library, PlanRequest]]:
    base = make_library()
    return {
        "song without beats or energy": (_song_only(base, beats=(), downbeats=(), energy=(), sections=()), PlanRequest(duration=30)),
        "song shorter than the movie": (_song_only(base, duration=20.0, beats=tuple(b for b in base.music[next(iter(base.music))].beats if b < 20)), PlanRequest(duration=40)),
        "unknown music id": (base, PlanRequest(duration=20, music_id="nope")),
        "unknown opening/closing/exclude ids": (base, PlanRequest(duration=20, opening_id="x", closing_id="y", exclude=frozenset({"z"}))),
        "clips only": (make_library(n_photos=0, blurry=0, dark=0, dup_pair=False, videos=3), PlanRequest(duration=12)),
        "very short movie": (base, PlanRequest(duration=3)),
        "long movie, little material": (make_library(n_photos=2, blurry=0, dark=0, dup_pair=False, videos=0), PlanRequest(duration=120)),
        "only blurry and dark": (make_library(n_photos=0, videos=0, blurry=2, dark=2, dup_pair=False), PlanRequest(duration=15)),
        "no analysis at all": (base.model_copy(update={"photos": {}, "videos": {}}), PlanRequest(duration=20)),
        "everything excluded but one": (base, PlanRequest(duration=10, exclude=frozenset(m for m in list(base.items)[1:]))),
        "slow pace and calm mood": (base, PlanRequest(duration=30, pace={"all": 4.0}, mood="calm")),
        "fast pace": (base, PlanRequest(duration=30, pace={"all": 0.25}, mood="energetic")),
    }  # fmt: skip


@pytest.mark.parametrize("case", list(_cases()))
async def test_odd_inputs_still_make_a_full_plan(case: str) -> None:
    lib, req = _cases()[case]
    plan = await plan_edit(req, lib)
    assert plan.segments
    assert abs(sum(s.duration for s in plan.segments) - plan.duration) < 1e-3
    if req.duration:
        assert abs(plan.duration - req.duration) <= 0.5
    assert all(s.duration > 0 for s in plan.segments)
    assert all(
        s.media_id in lib.items and lib.items[s.media_id].kind != MediaKind.MUSIC for s in plan.segments
    )
    ids = [s.media_id for s in plan.segments]
    assert all(a != b for a, b in zip(ids, ids[1:], strict=False))
    crit = evaluate_plan(plan, lib)
    assert 0 <= crit.score <= 1
    refined = await refine_plan(plan, crit, lib)
    assert abs(refined.duration - plan.duration) <= 0.5
    assert evaluate_plan(refined, lib).score >= crit.score - 1e-9  # polishing never hurts


def test_song_choice_follows_mood() -> None:
    from pipeline.planning.music import choose_song

    lib = make_library()
    ((mid, fast),) = lib.music.items()
    slow = MusicAnalysis(
        media_id="slowsong",
        duration=80,
        tempo=70,
        beats=fast.beats[::2],
        energy=tuple(e * 0.3 for e in fast.energy),
    )
    lib = lib.model_copy(update={"music": {mid: fast, "slowsong": slow}})
    assert choose_song(PlanRequest(), lib, "upbeat").media_id == mid
    assert choose_song(PlanRequest(), lib, "calm").media_id == "slowsong"
    assert choose_song(PlanRequest(music_id="slowsong"), lib, "upbeat").media_id == "slowsong"


def test_song_long_enough_for_the_movie_is_preferred() -> None:
    from pipeline.planning.music import choose_song

    lib = make_library()
    ((mid, long_song),) = lib.music.items()
    short = long_song.model_copy(update={"media_id": "000_short", "duration": 20.0})
    lib = lib.model_copy(update={"music": {"000_short": short, mid: long_song}})
    assert choose_song(PlanRequest(), lib, "upbeat", None).media_id == "000_short"  # a tie: id order
    assert choose_song(PlanRequest(), lib, "upbeat", 60.0).media_id == mid


@pytest.mark.parametrize("seconds", [3.0, 3.2, 4.0, 6.0])
async def test_title_on_a_very_short_movie(seconds: float) -> None:
    lib = make_library()
    plan = await plan_edit(PlanRequest(duration=seconds, title="Hi", mood="energetic"), lib)
    assert all(s.duration > 0 for s in plan.segments)
    assert abs(sum(s.duration for s in plan.segments) - seconds) < 1e-3
