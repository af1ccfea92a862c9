"""Reading badge and ticket PDFs back (tests of badges, tickets and emails) with independent tools: poppler's pdftotext and pdftoppm,
and zbar's zbarimg (Debian packages poppler-utils and zbar-tools)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

TOOLS = ("pdftotext", "pdftoppm", "zbarimg")


def _require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the badge tests need {', '.join(missing)}: apt-get install poppler-utils zbar-tools")


def pdf_text(pdf: bytes) -> str:
    """pdftotext -raw (content order; keeps a hyphen at the end of a line)."""
    _require_tools()
    result = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True,
                            check=True, timeout=60)
    return result.stdout.decode("utf-8")


def squeeze(text: str) -> str:
    """Without any whitespace: a name wrapped over lines still matches."""
    return "".join(text.split())


def pdf_pages(pdf: bytes) -> int:
    _require_tools()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60)
    return int(next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages:")))


def qr_codes(pdf: bytes, dpi: int = 150) -> list[str]:
    """Every QR code zbarimg reads on the pages rendered by pdftoppm at ``dpi`` (in page order)."""
    _require_tools()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(Path(tmp) / "page")], check=True,
                       timeout=120)
        pages = sorted(Path(tmp).glob("page-*.png"))
        assert pages, "pdftoppm made no page"
        result = subprocess.run(["zbarimg", "--raw", "-q", "--nodbus", *map(str, pages)], capture_output=True,
                                text=True, timeout=120)
        assert result.returncode in (0, 4), result.stderr  # 4: no symbol found at all
    return [line for line in result.stdout.splitlines() if line]
