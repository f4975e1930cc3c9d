"""The repository as shipped: no merge left half done."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.M)


def test_no_file_carries_merge_conflict_markers() -> None:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:  # not a git checkout (an sdist): look at the text files themselves
        files = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
                 if p.suffix in {".py", ".md", ".toml", ".yaml", ".yml", ".html", ".js", ".css"}
                 and ".venv" not in p.parts]
    else:
        files = listed.stdout.split()
    bad = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".gz", ".png", ".bin", ".onnx", ".skops", ".npz"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if MARKER.search(text):
            bad.append(name)
    assert not bad, f"merge conflict markers left in: {bad}"
