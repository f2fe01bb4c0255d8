"""Heavy modules stay out of web workers until something needs them.

Each check runs in a fresh interpreter: the test process itself has imported
everything long ago.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import imaging

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "imagehash", "pillow_heif", "openpyxl")


def _run(script: str, tmp_path: Path, *args: str) -> str:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'lazy.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_app_starts_without_heavy_modules(tmp_path: Path) -> None:
    loaded = _run(f"import sys, wsgi; print(sorted(set({HEAVY!r}) & sys.modules.keys()))", tmp_path)

    assert loaded == "[]"


def test_heif_decoder_is_loaded_with_the_first_heif_photo(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(imaging.jpeg())
    (tmp_path / "b.heic").write_bytes(imaging.heic())
    script = """
import sys
from pathlib import Path
from inspect_app.evidence.images import process_photo
folder = Path(sys.argv[1])
jpeg = process_photo((folder / "a.jpg").read_bytes(), "a.jpg")
print(jpeg.format, "pillow_heif" in sys.modules)
heic = process_photo((folder / "b.heic").read_bytes(), "b.heic")
print(heic.format, heic.mime_type, heic.display_size, "pillow_heif" in sys.modules)
"""

    lines = _run(script, tmp_path, str(tmp_path)).splitlines()

    assert lines == ["JPEG False", "HEIF image/heic (640, 480) True"]
