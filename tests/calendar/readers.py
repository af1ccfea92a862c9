"""An independent calendar reader for the tests: ``khal printics`` (Debian package ``khal``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

KHAL = shutil.which("khal")
NO_KHAL = "khal is not installed (Debian package `khal`; .ci/run installs it)"


def khal_printics(tmp_path: Path, ics: str, name: str, fields: str = "{start}|{end}|{title}") -> str:
    """Run ``khal printics`` on ``ics`` with a throwaway config whose local zone is UTC;
    return its output (a header line, then one line per event in the ``fields`` format)."""
    (tmp_path / "calendar").mkdir(exist_ok=True)
    config = tmp_path / "khal.conf"
    config.write_text(
        f"""[calendars]
[[checked]]
path = {tmp_path / "calendar"}
type = calendar
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
local_timezone = UTC
default_timezone = UTC
[sqlite]
path = {tmp_path / "khal.db"}
"""
    )
    path = tmp_path / name
    path.write_text(ics)
    assert KHAL is not None
    result = subprocess.run(
        [KHAL, "-c", str(config), "printics", "--format", fields, str(path)],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
