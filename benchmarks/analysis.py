"""Analysis speed on the dev corpus: cold (fresh cache) and warm (cached) medians, per kind.

    .venv/bin/python benchmarks/analysis.py [--runs 3] [--corpus ../shared/corpus/dev]

Targets (issue 2, medians on 2 cores): cold <= 15 s, warm <= 1 s. The baseline, measured in the
same run, is a plain decode of every input (Pillow for photos, PyAV for clips and songs): the
floor any analysis has to pay, so the ratio shows what the measurements themselves cost.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.analysis import analyse_media  # noqa: E402
from pipeline.intake import intake_files  # noqa: E402
from pipeline.models import MediaItem, MediaKind  # noqa: E402
from pipeline.settings import PipelineSettings  # noqa: E402


def decode_everything(items: Sequence[MediaItem]) -> None:
    import av
    from PIL import Image

    for item in items:
        if item.kind == MediaKind.PHOTO:
            with Image.open(item.path) as img:
                img.load()
        else:
            with av.open(str(item.path)) as container:
                for _ in container.decode(container.streams[0]):
                    pass


async def timed_analysis(items: Sequence[MediaItem], work: Path) -> float:
    settings = PipelineSettings(work_dir=work, local_only=True)
    started = time.perf_counter()
    await analyse_media(items, settings)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        base = Path(tmp)
        report = await intake_files([args.corpus], PipelineSettings(work_dir=base / "intake"))
        items = list(report.accepted)
        counts = {k.value: sum(i.kind == k for i in items) for k in MediaKind}
        print(f"dev corpus: {counts} ({len(report.rejected)} non-media files skipped)")

        baseline = []
        for _ in range(args.runs):
            started = time.perf_counter()
            await asyncio.to_thread(decode_everything, items)
            baseline.append(time.perf_counter() - started)

        cold = [await timed_analysis(items, base / f"cold{i}") for i in range(args.runs)]
        warm = [await timed_analysis(items, base / "cold0") for _ in range(args.runs)]

        per_kind = {}
        for kind in MediaKind:
            subset = [i for i in items if i.kind == kind]
            if subset:
                per_kind[kind.value] = await timed_analysis(subset, base / f"kind-{kind.value}")

    b, c, w = statistics.median(baseline), statistics.median(cold), statistics.median(warm)
    print(f"baseline (decode only) median {b:6.2f} s   runs {[round(x, 2) for x in baseline]}")
    print(
        f"cold analysis          median {c:6.2f} s   runs {[round(x, 2) for x in cold]}   {c / b:4.1f}x baseline  (target <= 15 s)"
    )
    print(f"warm analysis          median {w:6.2f} s   runs {[round(x, 2) for x in warm]}   (target <= 1 s)")
    for kind, seconds in per_kind.items():
        print(f"  {kind:5s} alone, cold   {seconds:6.2f} s")


if __name__ == "__main__":
    asyncio.run(main())
