"""The offline refinement parser: each kind of feedback becomes the right typed edit command,
references resolve against names, tags, contributors and the parent plan, and what isn't
understood is said back rather than guessed."""

from __future__ import annotations

import pytest

from conversation.refinement import parse
from conversation.refinement.catalog import Catalog, Entry
from pipeline.edits import (
    ChangeMusic,
    ChangePace,
    Exclude,
    Include,
    ScaleDuration,
    SetAspect,
    SetCaption,
    SetClipAudio,
    SetClosing,
    SetDuration,
    SetMood,
    SetOpening,
    SetOrder,
    SetTitle,
    SetTransitions,
)
from pipeline.models import MediaKind, PlanRequest, Segment

ENTRIES = (
    Entry("car1", "IMG_07.jpg", MediaKind.PHOTO, "bob", "test:bob", frozenset({"car", "street"})),
    Entry("sun1", "d13_sunset_boats.jpg", MediaKind.PHOTO, "ann", "test:ann", frozenset({"sunset", "sea"})),
    Entry("cat1", "d16_cat_chelsea.jpg", MediaKind.PHOTO, "ann", "test:ann", frozenset({"cat"}), blurry=True),
    Entry("bik1", "d06_neardup_motorcycle_left.jpg", MediaKind.PHOTO, "bob", "test:bob", frozenset()),
    Entry("bik2", "d07_neardup_motorcycle_right.jpg", MediaKind.PHOTO, "bob", "test:bob", frozenset(), duplicate=True),
    Entry("vid1", "rocket.mp4", MediaKind.VIDEO, "ann", "test:ann", frozenset({"sky"})),
    Entry("mus1", "song1.ogg", MediaKind.MUSIC, "ann", "test:ann"),
    Entry("mus2", "sunflower_ragtime.ogg", MediaKind.MUSIC, "ann", "test:ann"),
)
ORDER = ("sun1", "car1", "cat1", "bik1", "vid1")
SEGMENTS = tuple(
    Segment(index=i, media_id=m, kind=MediaKind.VIDEO if m == "vid1" else MediaKind.PHOTO, timeline_start=6.0 * i, duration=6.0)
    for i, m in enumerate(ORDER)
)
CAT = Catalog(ENTRIES, SEGMENTS, 30.0, PlanRequest(), "mus1")


def cmds(text: str) -> list[object]:
    return list(parse(text, CAT).commands)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pace by section
        ("slower at the start", [ChangePace(section="start", factor=1.3)]),
        ("faster ending", [ChangePace(section="end", factor=round(1 / 1.3, 3))]),
        ("more energy", [ChangePace(section="all", factor=round(1 / 1.3, 3))]),
        ("much slower in the middle", [ChangePace(section="middle", factor=1.6)]),
        ("a bit faster", [ChangePace(section="all", factor=round(1 / 1.15, 3))]),
        ("the beginning is too fast", [ChangePace(section="start", factor=1.3)]),
        ("the first 10 seconds are too slow", [ChangePace(section="start", factor=round(1 / 1.3, 3))]),
        ("the last 5 s drag", [ChangePace(section="end", factor=round(1 / 1.3, 3))]),
        ("a longer intro please", [ChangePace(section="start", factor=1.3)]),
        ("ok looks great but slower", [ChangePace(section="all", factor=1.3)]),
        # duration
        ("make it 30 seconds", [SetDuration(seconds=30)]),
        ("make it a minute", [SetDuration(seconds=60)]),
        ("keep it under 45 s", [SetDuration(seconds=45)]),
        ("10 s longer", [SetDuration(seconds=40)]),
        ("5 seconds shorter", [SetDuration(seconds=25)]),
        ("shorter", [ScaleDuration(factor=0.75)]),
        ("a bit longer", [ScaleDuration(factor=1.15)]),
        ("it's way too long", [ScaleDuration(factor=0.5)]),
        ("half as long", [ScaleDuration(factor=0.5)]),
        # aspect
        ("vertical", [SetAspect(aspect="9:16")]),
        ("for instagram stories", [SetAspect(aspect="9:16")]),
        ("square please", [SetAspect(aspect="1:1")]),
        ("back to landscape", [SetAspect(aspect="16:9")]),
        # exclude / include by reference
        ("drop the one with the car", [Exclude(media_ids=("car1",))]),
        ("remove the 3rd shot", [Exclude(media_ids=("cat1",))]),
        ("the last shot should go", [Exclude(media_ids=("vid1",))]),
        ("remove photos from bob", [Exclude(media_ids=("car1", "bik1", "bik2"))]),
        ("without bob's photos", [Exclude(media_ids=("car1", "bik1", "bik2"))]),
        ("get rid of the blurry ones", [Exclude(media_ids=("cat1",))]),
        ("drop the duplicates", [Exclude(media_ids=("bik2",))]),
        ("remove IMG_07", [Exclude(media_ids=("car1",))]),
        ("remove img 7", [Exclude(media_ids=("car1",))]),
        ("drop IMG_07 and the cat", [Exclude(media_ids=("car1",)), Exclude(media_ids=("cat1",))]),
        ("keep the cat", [Include(media_ids=("cat1",))]),
        ("bring back the motorbike on the left", [Include(media_ids=("bik1",))]),
        ("remove the clip", [Exclude(media_ids=("vid1",))]),
        # opening / closing
        ("start with the cat", [SetOpening(media_id="cat1")]),
        ("end on the sunset", [SetClosing(media_id="sun1")]),
        ("finish with the rocket", [SetClosing(media_id="vid1")]),
        ("the sunset last", [SetClosing(media_id="sun1")]),
        # order
        ("chronological", [SetOrder(order="chronological")]),
        ("in the order I sent them", [SetOrder(order="as_sent")]),
        # transitions
        ("no fades", [SetTransitions(style="cuts")]),
        ("smoother transitions", [SetTransitions(style="crossfades")]),
        ("fade to black between shots", [SetTransitions(style="dips")]),
        # music
        ("different song", [ChangeMusic(media_id=None)]),
        ("use sunflower_ragtime.ogg", [ChangeMusic(media_id="mus2")]),
        ("use the ragtime song", [ChangeMusic(media_id="mus2")]),
        # title / captions
        ("add title 'Lisbon 2026'", [SetTitle(text="Lisbon 2026")]),
        ('call it "Summer, at last"', [SetTitle(text="Summer, at last")]),
        ("no title", [SetTitle(text=None)]),
        ("caption the 2nd shot 'us!'", [SetCaption(media_id="car1", text="us!")]),
        ("add text 'hello' to the cat", [SetCaption(media_id="cat1", text="hello")]),
        # mood / style
        ("more nostalgic", [SetMood(mood="nostalgic")]),
        ("make it feel cinematic", [SetMood(mood="cinematic")]),
        # clip audio
        ("mute the videos", [SetClipAudio(mode="mute")]),
        ("keep the sound of the clips", [SetClipAudio(mode="keep")]),
        # timestamps
        ("at 0:03 too fast", [ChangePace(section="start", factor=1.3)]),
        ("remove the shot at 0:13", [Exclude(media_ids=("cat1",))]),
    ],
)
def test_each_kind_of_feedback(text: str, expected: list[object]) -> None:
    result = parse(text, CAT)
    assert list(result.commands) == expected, (result.understood, result.unclear)
    assert not result.unclear
    assert len(result.understood) == len(expected)


def test_several_requests_in_one_message_say_back_what_was_understood() -> None:
    r = parse("slower at the start and drop the one with the car, vertical, end on the sunset", CAT)
    assert r.commands == (
        ChangePace(section="start", factor=1.3),
        Exclude(media_ids=("car1",)),
        SetAspect(aspect="9:16"),
        SetClosing(media_id="sun1"),
    )
    assert r.understood == ("slower start", "removing IMG_07.jpg", "vertical (9:16)", "ending on d13_sunset_boats.jpg")


def test_unknown_words_are_reported_not_guessed() -> None:
    r = parse("make it vertical and add more giraffes wobbling", CAT)
    assert r.commands == (SetAspect(aspect="9:16"),)
    assert r.unclear == ("add more giraffes wobbling",)
    nothing = parse("purple monkey dishwasher", CAT)
    assert nothing.empty and nothing.unclear == ("purple monkey dishwasher",)


def test_ambiguous_reference_asks_which_one_with_options() -> None:
    r = parse("drop the motorcycle", CAT)
    assert r.empty and r.question is not None
    assert [label for label, _ in r.question.options] == [
        "d06_neardup_motorcycle_left.jpg",
        "d07_neardup_motorcycle_right.jpg",
    ]
    picked = parse(r.question.options[1][1], CAT)  # the button's text comes back
    assert picked.commands == (Exclude(media_ids=("bik2",)),)


def test_focus_from_a_timestamp_or_reply() -> None:
    import dataclasses

    focused = dataclasses.replace(CAT, focus="cat1")
    assert parse("remove this one", focused).commands == (Exclude(media_ids=("cat1",)),)


def test_music_needs_a_second_song() -> None:
    one_song = Catalog(tuple(e for e in ENTRIES if e.media_id != "mus2"), SEGMENTS, 30.0)
    r = parse("different song", one_song)
    assert r.empty and "only one song" in r.unclear[0]
