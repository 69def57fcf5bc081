"""Intake on small synthetic files: sniffing, orientation, limits, duplicates, progress."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.intake import expand_paths, intake_files
from pipeline.intake.sniff import sniff
from pipeline.models import MediaKind
from pipeline.settings import PipelineSettings


def _exif_photo(path: Path, orientation: int, when: str | None = None) -> Path:
    """A 120x60 photo: left half red, right half blue, with an EXIF orientation tag."""
    arr = np.zeros((60, 120, 3), np.uint8)
    arr[:, :60] = (255, 0, 0)
    arr[:, 60:] = (0, 0, 255)
    img = Image.fromarray(arr)
    exif = Image.Exif()
    exif[0x0112] = orientation
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
    img.save(path, quality=95, exif=exif)
    return path


async def test_photos_clips_and_songs_are_classified_by_content_not_name(
    tiny_media, pipeline_settings: PipelineSettings
) -> None:
    photo = tiny_media.photo("holiday.jpg")
    clip = tiny_media.clip("clip.mp4", seconds=2.0)
    song = tiny_media.song("song.wav", seconds=3.0)
    renamed = [
        tiny_media.copy(photo, "photo_named.mp4"),
        tiny_media.copy(clip, "clip_named.jpg"),
        tiny_media.copy(song, "song_named.png"),
    ]
    report = await intake_files(renamed, pipeline_settings)
    kinds = {i.original_name: i.kind for i in report.accepted}
    assert kinds == {
        "photo_named.mp4": MediaKind.PHOTO,
        "clip_named.jpg": MediaKind.VIDEO,
        "song_named.png": MediaKind.MUSIC,
    }
    assert not report.rejected


async def test_clip_and_song_are_probed(tiny_media, pipeline_settings: PipelineSettings) -> None:
    clip = tiny_media.clip("clip.mp4", seconds=2.0, size="320x180")
    silent = tiny_media.clip("silent.mp4", seconds=1.0, audio=False)
    song = tiny_media.song("song.wav", seconds=3.0)
    report = await intake_files([clip, silent, song], pipeline_settings)
    by = {i.original_name: i for i in report.accepted}
    assert (by["clip.mp4"].width, by["clip.mp4"].height) == (320, 180)
    assert by["clip.mp4"].fps == pytest.approx(25.0)
    assert by["clip.mp4"].duration == pytest.approx(2.0, abs=0.1)
    assert by["clip.mp4"].has_audio and not by["silent.mp4"].has_audio
    assert by["song.wav"].duration == pytest.approx(3.0, abs=0.05)
    for item in report.accepted:  # our own copy: chat downloads vanish
        assert item.path.parent == pipeline_settings.media_dir and item.path.is_file()


async def test_id_is_the_sha_prefix_and_identical_files_are_accepted_once(
    tiny_media, pipeline_settings: PipelineSettings
) -> None:
    photo = tiny_media.photo("a.jpg", seed=3)
    twin = tiny_media.copy(photo, "a_copy.jpg")
    other = tiny_media.photo("b.jpg", seed=4)
    report = await intake_files([photo, twin, other], pipeline_settings)
    assert len(report.accepted) == 2 and not report.rejected
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    first = report.accepted[0]
    assert (first.id, first.sha256, first.original_name) == (digest[:16], digest, "a.jpg")


async def test_exif_orientation_is_applied_exactly_once(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    src = _exif_photo(tmp_path / "rot6.jpg", orientation=6, when="2024:05:01 10:20:30")
    report = await intake_files([src], pipeline_settings)
    (item,) = report.accepted
    assert (item.width, item.height) == (60, 120)  # Orientation=6: turn 90 degrees clockwise
    with Image.open(item.path) as out:
        assert out.size == (60, 120)
        assert out.getexif().get(0x0112, 1) == 1
        top = np.asarray(out.convert("RGB"))[5, 30]
        bottom = np.asarray(out.convert("RGB"))[115, 30]
    assert top[0] > 200 and top[2] < 60  # the red (left) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60
    assert item.capture_time == datetime(2024, 5, 1, 10, 20, 30)


async def test_upright_jpeg_is_kept_byte_for_byte(tiny_media, pipeline_settings: PipelineSettings) -> None:
    photo = tiny_media.photo("p.jpg")
    (item,) = (await intake_files([photo], pipeline_settings)).accepted
    assert item.path.read_bytes() == photo.read_bytes()


async def test_bomb_limit_comes_from_settings_and_leaves_pillow_alone(tiny_media, tmp_path: Path) -> None:
    photo = tiny_media.photo("p.jpg", size=(320, 180))
    png = tmp_path / "p.png"
    Image.open(photo).save(png)
    settings = PipelineSettings(work_dir=tmp_path / "w", max_image_pixels=320 * 180 - 1)
    report = await intake_files([photo, png], settings)
    assert not report.accepted
    assert [r.code for r in report.rejected] == ["bomb", "bomb"]
    assert "320x180" in report.rejected[0].reason
    assert Image.MAX_IMAGE_PIXELS == 89478485


async def test_huge_photo_is_downscaled_to_4096(tmp_path: Path, pipeline_settings: PipelineSettings) -> None:
    src = tmp_path / "big.png"
    Image.new("RGB", (5000, 1000), (10, 120, 200)).save(src, compress_level=1)
    (item,) = (await intake_files([src], pipeline_settings)).accepted
    assert (item.width, item.height) == (4096, 819)
    with Image.open(item.path) as out:
        assert out.size == (4096, 819) and out.format == "JPEG"


async def test_transparent_png_stays_png(tmp_path: Path, pipeline_settings: PipelineSettings) -> None:
    src = tmp_path / "logo.png"
    img = Image.new("RGBA", (64, 64), (255, 0, 0, 255))
    img.putpixel((0, 0), (0, 0, 0, 0))
    img.save(src)
    opaque = tmp_path / "opaque.png"
    Image.new("RGBA", (64, 64), (0, 255, 0, 255)).save(opaque)
    report = await intake_files([src, opaque], pipeline_settings)
    paths = {i.original_name: i.path for i in report.accepted}
    assert paths["logo.png"].suffix == ".png"
    assert paths["opaque.png"].suffix == ".jpg"


async def test_one_bad_file_does_not_sink_the_batch(
    tiny_media, tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    good = tiny_media.photo("good.jpg")
    half = tmp_path / "half.jpg"
    data = tiny_media.photo("src.jpg", size=(640, 360), seed=9).read_bytes()
    half.write_bytes(data[: len(data) // 2])
    missing = tmp_path / "gone.jpg"
    report = await intake_files([good, half, missing], pipeline_settings)
    assert [i.original_name for i in report.accepted] == ["good.jpg"]
    codes = {r.name: r.code for r in report.rejected}
    assert codes == {"half.jpg": "truncated", "gone.jpg": "unavailable"}


async def test_directories_expand_to_visible_files_sorted(tiny_media, tmp_path: Path) -> None:
    folder = tmp_path / "trip"
    folder.mkdir()
    shutil.copy(tiny_media.photo("b.jpg", seed=1), folder / "b.jpg")
    shutil.copy(tiny_media.photo("a.jpg", seed=2), folder / "a.jpg")
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "sub").mkdir()
    assert [p.name for p in expand_paths([folder])] == ["a.jpg", "b.jpg"]


async def test_progress_reaches_one(tiny_media, pipeline_settings: PipelineSettings) -> None:
    seen: list[tuple[str, float]] = []

    async def progress(stage: str, fraction: float) -> None:
        seen.append((stage, fraction))

    files = [tiny_media.photo(f"p{i}.jpg", seed=i) for i in range(3)]
    await intake_files(files, pipeline_settings, progress)
    assert {s for s, _ in seen} == {"intake"}
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize(
    ("head", "family"),
    [
        (b"\xff\xd8\xff\xe0" + bytes(12), "image"),
        (b"\x89PNG\r\n\x1a\n" + bytes(8), "image"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heif"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "av"),
        (b"OggS\x00\x02", "audio"),
        (b"ID3\x04\x00", "audio"),
        (b"fLaC\x00", "audio"),
        (b"hello, this is text", "unknown"),
    ],
)
def test_sniff_magic_bytes(head: bytes, family: str) -> None:
    assert sniff(head).family == family


async def test_clip_longer_than_the_limit_is_refused(tiny_media, tmp_path: Path) -> None:
    clip = tiny_media.clip("long_take.mp4", seconds=2.0, audio=False)
    settings = PipelineSettings(work_dir=tmp_path / "w", max_video_seconds=1.0)
    report = await intake_files([clip], settings)
    assert not report.accepted
    (refusal,) = report.rejected
    assert refusal.code == "too_large" and refusal.reason.startswith("long_take.mp4")


def _gif(path: Path, frames: int) -> Path:
    images = [Image.new("RGB", (64, 48), (40 * i % 255, 90, 160)) for i in range(frames)]
    images[0].save(path, save_all=frames > 1, append_images=images[1:], duration=100, loop=0)
    return path


async def test_still_gif_is_a_photo_and_animated_gif_a_clip(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    still = _gif(tmp_path / "still.gif", 1)
    moving = _gif(tmp_path / "moving.gif", 6)
    report = await intake_files([still, moving], pipeline_settings)
    kinds = {i.original_name: (i.kind, i.path.suffix) for i in report.accepted}
    assert kinds == {"still.gif": (MediaKind.PHOTO, ".jpg"), "moving.gif": (MediaKind.VIDEO, ".mp4")}


async def test_animated_gif_falls_back_to_its_first_frame_without_ffmpeg(tmp_path: Path) -> None:
    settings = PipelineSettings(work_dir=tmp_path / "w", ffmpeg=str(tmp_path / "no-such-ffmpeg"))
    (item,) = (await intake_files([_gif(tmp_path / "moving.gif", 4)], settings)).accepted
    assert item.kind == MediaKind.PHOTO and (item.width, item.height) == (64, 48)


async def test_garbage_behind_real_magic_bytes_is_rejected_cleanly(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    rng = np.random.default_rng(7)
    heads = {
        "fake.jpg": b"\xff\xd8\xff\xe0",
        "fake.png": b"\x89PNG\r\n\x1a\n",
        "fake.gif": b"GIF89a",
        "fake.heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
        "fake.mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2",
        "fake.ogg": b"OggS\x00\x02",
        "fake.mp3": b"ID3\x04\x00",
        "fake.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    }
    files = []
    for name, head in heads.items():
        path = tmp_path / name
        path.write_bytes(head + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
        files.append(path)
    report = await intake_files(files, pipeline_settings)
    assert not report.accepted
    assert sorted(r.name for r in report.rejected) == sorted(heads)
    for r in report.rejected:
        assert r.reason.startswith(r.name) and "—" in r.reason


async def test_avif_photo_is_read_and_turned_upright(
    tmp_path: Path, pipeline_settings: PipelineSettings
) -> None:
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF support")
    jpeg = _exif_photo(tmp_path / "src.jpg", orientation=6)
    avif = tmp_path / "phone_shot.avif"
    with Image.open(jpeg) as img:
        img.save(avif, "AVIF", exif=img.getexif(), quality=90)
    (item,) = (await intake_files([avif], pipeline_settings)).accepted
    assert item.kind == MediaKind.PHOTO and item.mime == "image/jpeg"
    assert (item.width, item.height) == (60, 120)


async def test_iphone_clip_recording_time_is_its_local_time(
    tmp_path: Path, ffmpeg: str, pipeline_settings: PipelineSettings
) -> None:
    import subprocess

    path = tmp_path / "IMG_0001.MOV"
    subprocess.run(
        [
            ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=10:duration=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-metadata", "com.apple.quicktime.creationdate=2024-06-01T18:30:00+0200",
            "-metadata", "creation_time=2024-06-01T16:30:00Z", "-movflags", "use_metadata_tags", "-f", "mov", str(path),
        ],
        check=True,
    )  # fmt: skip
    (item,) = (await intake_files([path], pipeline_settings)).accepted
    assert item.kind == MediaKind.VIDEO
    assert item.capture_time == datetime(2024, 6, 1, 18, 30, 0)  # what the photos' EXIF would say
