"""Which brain the settings give: Gemini only with a key and privacy mode off."""

from __future__ import annotations

from pathlib import Path

from pipeline.intelligence import gemini_brain
from pipeline.intelligence.brain import GeminiBrain
from pipeline.offline import OfflineBrain
from pipeline.settings import PipelineSettings


def test_key_and_privacy_choose_the_brain(tmp_path: Path) -> None:
    base = PipelineSettings(work_dir=tmp_path)
    assert isinstance(gemini_brain(base), OfflineBrain)
    keyed = base.model_copy(update={"gemini_api_key": "k"})
    brain = gemini_brain(keyed)
    assert isinstance(brain, GeminiBrain) and brain.name == "gemini"
    assert isinstance(gemini_brain(keyed.model_copy(update={"local_only": True})), OfflineBrain)


def test_importing_the_package_loads_neither_genai_nor_adk() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pipeline.intelligence, pipeline.intelligence.brain, pipeline.intelligence.agents;"
        "print(any(m.startswith(('google.genai', 'google.adk')) for m in sys.modules))"
    )
    repo = Path(__file__).resolve().parents[4]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo)
    assert out.stdout.strip() == "False"
