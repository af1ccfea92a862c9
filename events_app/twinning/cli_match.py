"""`events-app match INPUT.json [-o OUT.json]`: run the matching engine on a JSON file.

Reads the input document (a file, or ``-`` for standard input), validates it with
:func:`matching.load_problem`, solves it and writes the output document as UTF-8 JSON
(sorted keys, indent 2, trailing newline) to ``-o OUT.json`` or standard output. Needs no
database and no settings.

Any problem (unreadable file, malformed JSON, a field that fails validation, an output
folder that does not exist) prints exactly one line on standard error,
``events-app match: <field>: <message>``, returns exit status 2 and writes nothing: the
output file is written to a temporary file beside it and renamed only on success.

A progress bar goes to standard error (never standard output) when it is a terminal and
there are more than ``PROGRESS_THRESHOLD`` candidates, or always with ``--progress``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

PROG = "events-app match"
PROGRESS_THRESHOLD = 200
EXIT_OK = 0
EXIT_BAD_INPUT = 2
STAGE_LABELS = {"scoring": "Scoring pairs", "bounding": "Bounding", "solving": "Solving",
                "explaining": "Explaining"}


class MatchCommandError(Exception):
    """A problem the user can fix; ``str`` is ``<field>: <message>`` on one line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


class ProgressBar:
    """``progress(stage, fraction)`` callback drawing on a text stream (standard error).

    On a terminal the bar is redrawn in place (at most every ``interval`` seconds); on
    anything else one line is written per stage and quarter, so logs stay readable.
    """

    def __init__(self, stream: TextIO, *, tty: bool, width: int = 30, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.tty, self.width = stream, tty, width
        self.interval, self.clock = interval, clock
        self._key: tuple[str, int] | None = None
        self._drawn_at = -1e9
        self._open_line = False

    def __call__(self, stage: str, fraction: float) -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        label = STAGE_LABELS.get(stage, stage.capitalize())
        percent = int(fraction * 100)
        if self.tty:
            now = self.clock()
            key = (stage, percent)
            same_stage = self._key is not None and self._key[0] == stage
            if key == self._key or (same_stage and fraction < 1.0
                                    and now - self._drawn_at < self.interval):
                return
            filled = int(fraction * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{label:<14} [{bar}] {percent:3d}%")
            self._key, self._drawn_at, self._open_line = key, now, True
        else:
            key = (stage, int(fraction * 4))
            if key == self._key:
                return
            self.stream.write(f"{label}: {percent}%\n")
            self._key = key
        self.stream.flush()

    def message(self, text: str) -> None:
        """Write a whole line, ending the bar's line first."""
        self.close()
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def read_document(source: str, stdin: BinaryIO) -> Any:
    """Read and parse the input document; ``source`` is a path or ``-`` for ``stdin``.

    Raises MatchCommandError naming the file (``stdin`` for ``-``). Standard JSON only:
    NaN, Infinity and a key repeated in one object are refused.
    """
    name = "stdin" if source == "-" else source
    try:
        raw = stdin.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        raise MatchCommandError(name, f"cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MatchCommandError(name, "not valid UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant,
                          object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise MatchCommandError(
            name, f"not valid JSON (line {exc.lineno}, column {exc.colno}): "
                  f"{exc.msg[:1].lower()}{exc.msg[1:]}") from None
    except RecursionError:
        raise MatchCommandError(name, "not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise MatchCommandError(name, f"not valid JSON: {exc}") from None


def render_output(result_dict: dict[str, Any]) -> bytes:
    """The output document as bytes: sorted keys, indent 2, UTF-8, trailing newline."""
    text = json.dumps(result_dict, sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False)
    return (text + "\n").encode("utf-8")


def check_output_target(target: str) -> None:
    """Fail before solving when the output file could not be written at all."""
    path = Path(target)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise MatchCommandError(target, "is a folder; give a file name")
    if not parent.is_dir():
        raise MatchCommandError(target, f"the folder {str(parent)!r} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise MatchCommandError(target, f"the folder {str(parent)!r} is not writable")


def write_atomically(target: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``target``, then rename it over ``target``."""
    path = Path(target)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".",
                               prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_match(*, source: str, output: str | None = None, progress: bool | None = None,
              stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
              stderr: TextIO | None = None) -> int:
    """Run the command; returns the exit status (0 success, 2 bad input or unusable file).

    ``progress``: True always shows the bar, False never, None when ``stderr`` is a terminal
    and there are more than ``PROGRESS_THRESHOLD`` candidates.
    """
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout.buffer
    stderr = stderr if stderr is not None else sys.stderr
    to_stdout = output is None or output == "-"
    bar: ProgressBar | None = None
    try:
        if not to_stdout:
            assert output is not None
            check_output_target(output)
        data = read_document(source, stdin)
        from matching import load_problem, solve  # numpy and scipy: only once there is input

        if not isinstance(data, dict):
            raise MatchCommandError(
                "stdin" if source == "-" else source,
                'must be a JSON object {"mode": ..., "options": {...}, "candidates": [...]}')
        problem = load_problem(data)
        tty = _isatty(stderr)
        show = progress if progress is not None else (
            tty and len(problem.candidates) > PROGRESS_THRESHOLD)
        if show:
            bar = ProgressBar(stderr, tty=tty)
            bar.message(f"Matching {len(problem.candidates)} candidates in {problem.mode} mode.")
        result = solve(problem.candidates, problem.options, progress=bar)
        payload = render_output(result.to_dict())
        if to_stdout:
            stdout.write(payload)
            stdout.flush()
        else:
            assert output is not None
            try:
                write_atomically(output, payload)
            except OSError as exc:
                raise MatchCommandError(output, f"cannot write ({exc.strerror or exc})") from None
        if bar is not None:
            bar.message(f"{len(result.pairs)} pairs, {len(result.unmatched)} unmatched; "
                        f"total {result.total_score:.3f} of upper bound "
                        f"{result.upper_bound:.3f} ({result.solver}).")
        return EXIT_OK
    except MatchCommandError as exc:
        return _fail(stderr, bar, exc)
    except ValueError as exc:
        from matching import InputError

        if not isinstance(exc, InputError):
            raise  # a bug, not bad input: keep the traceback
        return _fail(stderr, bar, exc)


def _fail(stderr: TextIO, bar: ProgressBar | None, exc: Exception) -> int:
    if bar is not None:
        bar.close()
    stderr.write(f"{PROG}: {_one_line(str(exc))}\n")
    stderr.flush()
    return EXIT_BAD_INPUT


def _isatty(stream: IO[Any]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _one_line(text: str) -> str:
    return " ".join(text.split())
