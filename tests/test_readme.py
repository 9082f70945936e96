"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
# registry examples need a trained store: tests/test_artifact_integrity.py runs the serving one
RUNNABLE = [b for b in BLOCKS if "mlflow" not in b and "models:/" not in b]


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"block{i}" for i in range(len(RUNNABLE))])
def test_readme_example_runs(block, capsys):
    exec(compile(block, str(README), "exec"), {})
    assert capsys.readouterr().out  # every example prints what it shows


def test_readme_has_the_quick_start():
    assert any("load_panel" in b for b in RUNNABLE)
