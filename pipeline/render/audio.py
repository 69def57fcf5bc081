"""The movie's one continuous sound track, rendered apart from the video chunks.

Music trimmed from the cue, faded in/out, gain; clip sound kept or ducked under the music by
volume automation (a clip with speech always ducks it); then EBU R128 normalisation: the mix
is measured by ebur128 as it is made and scaled by one gain, so the level is right without
pumping (and every source is decoded once, with no 192 kHz loudnorm unless a track needs it).
One track for the whole movie means no clicks where video chunks join.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.models import EditPlan, Library
from pipeline.render.ffmpeg import Fraction, run_ffmpeg

RATE = 48000
DUCK_GAIN = 0.25  # music under speech: -12 dB
DUCK_RAMP = 0.3
CLIP_FADE = 0.06
TRUE_PEAK = -1.5  # dBTP target, a little under -1 so AAC's overshoot stays below -1
SILENCE_LUFS = -60.0


@dataclass(frozen=True)
class ClipSound:
    path: Path
    at: float  # timeline seconds
    source_start: float
    seconds: float
    duck: bool


def clip_sounds(plan: EditPlan, library: Library) -> list[ClipSound]:
    out = []
    for seg in sorted(plan.segments, key=lambda s: s.timeline_start):
        item = library.items.get(seg.media_id)
        if seg.audio == "mute" or item is None or not item.has_audio:
            continue
        speech = library.videos[seg.media_id].has_speech if seg.media_id in library.videos else False
        seconds = min(seg.duration, plan.duration - seg.timeline_start)
        if seg.source_end is not None:
            seconds = min(seconds, seg.source_end - seg.source_start)
        if seconds <= CLIP_FADE * 2:
            continue
        duck = seg.audio == "duck" or speech
        out.append(ClipSound(item.path, seg.timeline_start, seg.source_start, seconds, duck))
    return out


def _num(x: float) -> str:
    return f"{x:.6f}"


def _duck_expr(sounds: list[ClipSound]) -> str | None:
    windows = [(s.at, s.at + s.seconds) for s in sounds if s.duck]
    if not windows:
        return None
    r = DUCK_RAMP
    terms = [f"clip((t-{_num(a - r)})/{r},0,1)*clip(({_num(b + r)}-t)/{r},0,1)" for a, b in windows]
    depth = terms[0]
    for term in terms[1:]:
        depth = f"max({depth},{term})"
    return f"1-{1 - DUCK_GAIN}*{depth}"


def audio_graph(plan: EditPlan, library: Library) -> tuple[list[str], str]:
    """(input args, filtergraph ending in [mix]) for the whole movie. Numbers only: no user text."""
    d = plan.duration
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    fmt = f"aresample={RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
    sounds = clip_sounds(plan, library)
    cue = plan.music
    music = library.items.get(cue.media_id) if cue else None
    if cue is not None and music is not None:
        idx = len(inputs) // 6
        inputs += ["-ss", _num(cue.source_start), "-t", _num(d + 0.5), "-i", str(music.path)]
        chain = f"[{idx}:a]{fmt},atrim=0:{_num(d)},asetpts=PTS-STARTPTS"
        if cue.fade_in > 0:
            chain += f",afade=t=in:st=0:d={_num(min(cue.fade_in, d / 2))}"
        if cue.fade_out > 0:
            fo = min(cue.fade_out, d / 2)
            chain += f",afade=t=out:st={_num(d - fo)}:d={_num(fo)}"
        if cue.gain_db:
            chain += f",volume={cue.gain_db:.2f}dB"
        duck = _duck_expr(sounds)
        if duck:
            chain += f",volume='{duck}':eval=frame"
        chains.append(chain + "[m]")
        labels.append("[m]")
    for k, s in enumerate(sounds):
        idx = len(inputs) // 6
        inputs += ["-ss", _num(s.source_start), "-t", _num(s.seconds + 0.2), "-i", str(s.path)]
        chains.append(
            f"[{idx}:a]{fmt},atrim=0:{_num(s.seconds)},asetpts=PTS-STARTPTS,"
            f"afade=t=in:d={CLIP_FADE},afade=t=out:st={_num(s.seconds - CLIP_FADE)}:d={CLIP_FADE},"
            f"adelay={round(s.at * 1000)}:all=1[c{k}]"
        )
        labels.append(f"[c{k}]")
    if not labels:
        chains.append(f"anullsrc=r={RATE}:cl=stereo,atrim=0:{_num(d)}[mix]")
        return inputs, ";".join(chains)
    if len(labels) == 1:
        mix = f"{labels[0]}anull"
    else:
        mix = f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=longest"
    chains.append(f"{mix},apad,atrim=0:{_num(d)}[mix]")
    return inputs, ";".join(chains)


def _summary(stderr: str) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) from ebur128's summary; silence reads as -inf."""
    tail = stderr[stderr.rfind("Summary:") :]
    found = [re.search(rf"{key}:\s+(-?[\d.]+|-?inf)", tail) for key in ("I", "Peak")]
    i, peak = (float(m.group(1)) if m else float("-inf") for m in found)
    return i, peak


async def _limited_norm(ffmpeg: str, mix: list[str], target: float) -> str:
    """loudnorm for a track a plain gain would push past the true-peak ceiling: its measuring pass
    says how far its dynamic mode lands from the target, the second pass corrects by that."""
    first = f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA=11:print_format=json"
    err = await run_ffmpeg(ffmpeg, [*mix, "-af", first, "-f", "null", "-"])
    match = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", err)
    if not match:
        return f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA=11,aresample={RATE}"
    m = json.loads(match.group(0))
    return (
        f"loudnorm=I={target}:TP={TRUE_PEAK}:LRA=11:measured_I={m['input_i']}:"
        f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
        f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true,aresample={RATE}"
    )


async def render_audio(
    plan: EditPlan,
    library: Library,
    ffmpeg: str,
    out: Path,
    *,
    target_lufs: float,
    bitrate: str = "160k",
    on_progress: Fraction | None = None,
) -> Path:
    """Mix once into a raw float file while ebur128 measures it, then encode it with one gain.

    Most music only needs that gain; a track whose true peak it would push past the ceiling (a
    quiet, dynamic recording) goes through loudnorm, which limits gently instead of clipping."""
    inputs, graph = audio_graph(plan, library)
    d = plan.duration
    if not inputs:  # nothing to hear: a silent track straight from the graph
        silent = ["-filter_complex", graph, "-map", "[mix]", "-c:a", "aac", "-b:a", bitrate, str(out)]
        await run_ffmpeg(ffmpeg, silent, seconds=d, on_progress=on_progress)
        return out
    path = out.with_name(f".{out.name}.mix.f32")
    raw = ["-f", "f32le", "-ar", str(RATE), "-ac", "2"]
    mix = [*raw, "-i", str(path)]
    try:
        measured = (
            graph.replace("[mix]", "[pre]")
            + ";[pre]asplit[mix][meter];[meter]ebur128=peak=true:framelog=verbose,anullsink"
        )
        err = await run_ffmpeg(
            ffmpeg, [*inputs, "-filter_complex", measured, "-map", "[mix]", *raw, str(path)]
        )
        integrated, true_peak = _summary(err)
        gain = target_lufs - integrated
        if integrated <= SILENCE_LUFS:
            norm = "anull"
        elif true_peak + gain <= TRUE_PEAK:
            norm = f"volume={gain:.3f}dB"
        else:
            norm = await _limited_norm(ffmpeg, mix, target_lufs)
        args = [*mix, "-af", f"{norm},atrim=0:{_num(d)}", "-c:a", "aac", "-b:a", bitrate, "-ar", str(RATE), str(out)]  # fmt: skip
        await run_ffmpeg(ffmpeg, args, seconds=d, on_progress=on_progress)
    finally:
        path.unlink(missing_ok=True)
    return out
