"""`events-app match`: the real console script for a few runs, the module function for the table.

No database and no settings: the subprocess runs with an https BASE_URL and no SECRET_KEY,
which would stop every other command, and must not create the var/ folder.
"""

from __future__ import annotations

import copy
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from events_app.twinning.cli_match import ProgressBar, run_match, write_atomically

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "events-app"
PEER = ROOT / "examples" / "twinning-peer.json"
MENTORING = ROOT / "examples" / "twinning-mentoring.json"
REQUIRED_OUTPUT = {"pairs", "unmatched", "total_score", "upper_bound", "solver"}


def cli(tmp: Path, *args: str, stdin: bytes = b"", hash_seed: int = 0
        ) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "BASE_URL": "https://events.example.eu",
           "EVENTS_APP_VAR_DIR": str(tmp / "var"), "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run([str(SCRIPT), "match", *args], input=stdin, env=env, cwd=tmp,
                          capture_output=True, timeout=60)
    assert not (tmp / "var").exists(), "match must not touch the var/ folder"
    return done


def call(source: str, output: str | None = None, *, stdin: bytes = b"",
         progress: bool | None = None) -> tuple[int, bytes, str]:
    out, err = io.BytesIO(), io.StringIO()
    code = run_match(source=source, output=output, progress=progress,
                     stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def peer(ident: str, **fields: Any) -> dict[str, Any]:
    data = {"id": ident, "authority": f"auth-{ident}", "role": "peer", "country": "BE",
            "languages": ["en"], "offers": {"food": 2}, "seeks": ["food"]}
    data.update(fields)
    return data


def small_doc() -> dict[str, Any]:
    return {"mode": "peer", "options": {},
            "candidates": [peer("ghent"), peer("turin", country="IT"), peer("porto", country="PT")]}


def edited(change: Any) -> str:
    doc = small_doc()
    change(doc)
    return json.dumps(doc)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


# (case, file content (None: the file does not exist), the field the error line must name)
BAD_INPUTS: list[tuple[str, str | bytes | None, str]] = [
    ("missing file", None, "{input}: cannot read"),
    ("malformed JSON", '{"mode": "peer",\n  "candidates": [\n}', "{input}: not valid JSON (line 3, column 1)"),
    ("empty file", "", "{input}: not valid JSON (line 1, column 1)"),
    ("not UTF-8", b'{"mode": "p\xe9er"}', "{input}: not valid UTF-8"),
    ("NaN", '{"candidates": NaN}', "{input}: not valid JSON"),
    ("repeated key", '{"candidates": [], "candidates": []}', "{input}: not valid JSON"),
    ("not an object", "[1, 2]", "{input}: must be a JSON object"),
    ("unknown document key", edited(_set(("colour",), "green")), "colour: unknown field"),
    ("no candidates", '{"mode": "peer"}', "candidates: is required"),
    ("bad mode", edited(_set(("mode",), "speed-dating")), "mode: must be one of peer, mentoring"),
    ("unknown role", edited(_set(("candidates", 1, "role"), "boss")),
     "candidates[1].role: must be one of mentor, mentee, peer"),
    ("role against mode", edited(_set(("candidates", 1, "role"), "mentor")), "candidates[1].role:"),
    ("duplicate ids", edited(_set(("candidates", 2, "id"), "ghent")), "candidates[2].id: duplicate"),
    ("blocked id that does not exist", edited(_set(("candidates", 0, "blocked"), ["lisbon"])),
     "candidates[0].blocked[0]: unknown id 'lisbon'"),
    ("past partner that does not exist", edited(_set(("candidates", 0, "past_partners"), ["x"])),
     "candidates[0].past_partners[0]: unknown id"),
    ("negative capacity", edited(_set(("candidates", 0, "capacity"), -1)),
     "candidates[0].capacity: must be 0 or more"),
    ("capacity as text", edited(_set(("candidates", 0, "capacity"), "2")),
     "candidates[0].capacity: must be a whole number"),
    ("languages not a list", edited(_set(("candidates", 0, "languages"), "en")),
     "candidates[0].languages: must be a list"),
    ("size as text", edited(_set(("candidates", 0, "size"), "big")), "candidates[0].size:"),
    ("missing required field", edited(lambda d: d["candidates"][1].pop("country")),
     "candidates[1].country: is required"),
    ("country name, not code", edited(_set(("candidates", 0, "country"), "Belgium")),
     "candidates[0].country: must be an ISO 3166-1 alpha-2 code"),
    ("lower-case country", edited(_set(("candidates", 0, "country"), "be")), "candidates[0].country:"),
    ("three-letter language", edited(_set(("candidates", 0, "languages"), ["eng"])),
     "candidates[0].languages[0]: must be an ISO 639-1 code"),
    ("maturity above 3", edited(_set(("candidates", 0, "offers"), {"food": 4})),
     "candidates[0].offers.food: must be 3 or less"),
    ("maturity 0", edited(_set(("candidates", 0, "offers"), {"food": 0})),
     "candidates[0].offers.food: must be 1 or more"),
    ("unknown candidate field", edited(_set(("candidates", 0, "colour"), "green")),
     "candidates[0].colour: unknown field"),
    ("unknown option", edited(_set(("options", "colour"), "green")), "options.colour: unknown field"),
    ("unknown weight", edited(_set(("options", "weights"), {"beauty": 1})), "options.weights.beauty:"),
    ("negative weight", edited(_set(("options", "weights"), {"size": -1})),
     "options.weights.size: must be a number from 0 to 1,000,000"),
    ("cooldown as text", edited(_set(("options", "cooldown_years"), "three")),
     "options.cooldown_years: must be a whole number"),
    ("k of 0", edited(_set(("options", "k"), 0)), "options.k: must be 1 or more"),
    ("stable not a boolean", edited(_set(("options", "stable"), "yes")), "options.stable:"),
    ("pinned unknown id", edited(_set(("options", "pinned"), [["ghent", "lisbon"]])),
     "options.pinned[0][1]: unknown id 'lisbon'"),
    ("forbidden not a pair", edited(_set(("options", "forbidden"), [["ghent"]])),
     "options.forbidden[0]: must be a pair"),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD_INPUTS],
                         ids=[case for case, _, _ in BAD_INPUTS])
def test_bad_input_names_the_field_exits_2_and_writes_nothing(
        tmp_path: Path, content: str | bytes | None, expected: str) -> None:
    source = tmp_path / "input.json"
    if content is not None:
        source.write_bytes(content if isinstance(content, bytes) else content.encode())
    target = tmp_path / "out.json"
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = call(str(source), str(target))
    assert code == 2
    assert out == b""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"events-app match: {expected.format(input=source)}"), err
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left


def test_bad_input_through_the_console_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(edited(_set(("candidates", 0, "blocked"), ["lisbon"])))
    done = cli(tmp_path, "bad.json", "-o", "out.json")
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == ("events-app match: candidates[0].blocked[0]: "
                                    "unknown id 'lisbon'\n")
    assert not (tmp_path / "out.json").exists()

    broken = cli(tmp_path, "-", stdin=b'{"mode": "peer",\n "candidates": [,]}')
    assert broken.returncode == 2 and broken.stdout == b""
    assert broken.stderr.decode().startswith(
        "events-app match: stdin: not valid JSON (line 2, column 17)")
    assert broken.stderr.count(b"\n") == 1


def test_output_folder_that_does_not_exist_is_refused_before_solving(tmp_path: Path) -> None:
    code, out, err = call(str(PEER), str(tmp_path / "no" / "such" / "out.json"))
    assert code == 2 and out == b""
    assert err.startswith(f"events-app match: {tmp_path / 'no' / 'such' / 'out.json'}: the folder")
    assert not (tmp_path / "no").exists()


def check_output(raw: bytes, source: Path) -> dict[str, Any]:
    text = raw.decode("utf-8")
    data = json.loads(text)
    assert REQUIRED_OUTPUT <= data.keys()
    # sorted keys, indent 2, trailing newline
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    doc = json.loads(source.read_text())
    roles = {c["id"]: c["role"] for c in doc["candidates"]}
    paired = [p["a"] for p in data["pairs"]] + [p["b"] for p in data["pairs"]]
    assert data["pairs"], "the example should pair someone"
    for pair in data["pairs"]:
        assert abs(sum(pair["parts"].values()) - pair["score"]) < 1e-9
        assert pair["reasons"] and all(isinstance(r, str) for r in pair["reasons"])
        if doc["mode"] == "mentoring":
            assert (roles[pair["a"]], roles[pair["b"]]) == ("mentor", "mentee")
    unmatched = [u["id"] for u in data["unmatched"]]
    assert all(u["reason"] for u in data["unmatched"])
    seekers = [i for i, r in roles.items() if r != "mentor"]
    assert sorted(i for i in paired + unmatched if roles[i] != "mentor") == sorted(seekers)
    assert data["total_score"] <= data["upper_bound"] + 1e-9
    assert abs(sum(p["score"] for p in data["pairs"]) - data["total_score"]) < 1e-9
    return data


def test_peer_example_through_the_console_script(tmp_path: Path) -> None:
    done = cli(tmp_path, str(PEER), "-o", "peer-out.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"" and done.stderr == b""
    data = check_output((tmp_path / "peer-out.json").read_bytes(), PEER)
    assert data["mode"] == "peer"
    assert {"ghent", "helsinki"} in [{p["a"], p["b"]} for p in data["pairs"]]  # pinned
    assert len(data["unmatched"]) == 1  # eleven peers: one odd one out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["peer-out.json"]  # no temp file left


def test_mentoring_example_reads_stdin_and_writes_stdout(tmp_path: Path) -> None:
    done = cli(tmp_path, "-", stdin=MENTORING.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    data = check_output(done.stdout, MENTORING)
    assert data["mode"] == "mentoring"
    reasons = {u["id"]: u["reason"] for u in data["unmatched"]}
    assert reasons["sofia"] == "no feasible partner"  # works only in Bulgarian
    # the same document given as a file gives the same bytes
    code, out, _ = call(str(MENTORING))
    assert code == 0 and out == done.stdout


def test_same_input_twice_gives_byte_identical_output(tmp_path: Path) -> None:
    # two processes with different string hashing: no set or dict order leaks into the output
    first = cli(tmp_path, str(PEER), "-o", "one.json", hash_seed=1)
    second = cli(tmp_path, str(PEER), "-o", "two.json", hash_seed=2)
    assert first.returncode == second.returncode == 0
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    # the order of the candidates in the file does not matter either
    doc = json.loads(MENTORING.read_text())
    shuffled = copy.deepcopy(doc)
    random.Random(5).shuffle(shuffled["candidates"])
    assert shuffled["candidates"] != doc["candidates"]
    outputs = {call("-", stdin=json.dumps(d).encode())[1] for d in (doc, shuffled, doc)}
    assert len(outputs) == 1


def test_output_replaces_the_file_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("previous result\n")
    bad = tmp_path / "bad.json"
    bad.write_text(edited(_set(("candidates", 0, "capacity"), -2)))
    code, _, err = call(str(bad), str(target))
    assert code == 2 and "candidates[0].capacity" in err
    assert target.read_text() == "previous result\n"
    code, out, err = call(str(PEER), str(target))
    assert code == 0 and out == b"" and err == ""
    check_output(target.read_bytes(), PEER)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "out.json"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(OSError):
        write_atomically(str(folder), b"{}\n")  # cannot rename a file over a folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    assert (folder / "keep.txt").read_text() == "x"
    code, _, err = call(str(PEER), str(folder))
    assert code == 2 and err.startswith(f"events-app match: {folder}: is a folder")


def large_document(n: int = 240) -> dict[str, Any]:
    rng = random.Random(11)
    topics = ["food", "clean-vehicles", "circular-procurement", "ict-devices", "electricity"]
    countries = ["BE", "DE", "FR", "IT", "NL", "PT", "ES", "PL"]
    return {"mode": "peer", "candidates": [
        peer(f"c{i:03d}", country=rng.choice(countries),
             languages=sorted({"en", rng.choice(["fr", "de", "nl"])}),
             offers={t: rng.randint(1, 3) for t in rng.sample(topics, 2)},
             seeks=rng.sample(topics, 2), size=rng.randint(10_000, 2_000_000))
        for i in range(n)]}


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_goes_to_stderr_only(tmp_path: Path) -> None:
    source = tmp_path / "large.json"
    source.write_text(json.dumps(large_document()))
    code, quiet, err = call(str(source))  # stderr is not a terminal: no bar
    assert code == 0 and err == ""
    shown = cli(tmp_path, "--progress", "large.json")
    assert shown.returncode == 0
    assert shown.stdout == quiet  # stdout is the JSON document and nothing else
    check_output(shown.stdout, source)
    log = shown.stderr.decode()
    assert "Matching 240 candidates in peer mode." in log
    assert "Scoring pairs: 100%" in log and "pairs," in log and "upper bound" in log


def test_progress_bar_is_automatic_on_a_terminal_for_large_inputs() -> None:
    big = json.dumps(large_document()).encode()
    out, terminal = io.BytesIO(), FakeTerminal()
    assert run_match(source="-", stdin=io.BytesIO(big), stdout=out, stderr=terminal) == 0
    drawn = terminal.getvalue()
    assert "\rScoring pairs" in drawn and "100%" in drawn and drawn.endswith("\n")
    json.loads(out.getvalue())
    small, terminal = json.dumps(small_doc()).encode(), FakeTerminal()
    assert run_match(source="-", stdin=io.BytesIO(small), stdout=io.BytesIO(),
                     stderr=terminal) == 0
    assert terminal.getvalue() == ""  # three candidates: no bar
    code, _, err = call("-", stdin=small, progress=False)
    assert code == 0 and err == ""


def test_progress_bar_redraws_in_place_and_throttles() -> None:
    now = [0.0]
    stream = FakeTerminal()
    bar = ProgressBar(stream, tty=True, width=10, interval=0.1, clock=lambda: now[0])
    bar("scoring", 0.0)
    bar("scoring", 0.5)  # too soon: skipped
    now[0] = 1.0
    bar("scoring", 0.5)
    bar("scoring", 1.0)  # the end of a stage is always drawn
    bar("solving", 2.0)  # clamped to 100%
    bar.close()
    assert stream.getvalue() == (
        "\rScoring pairs  [..........]   0%"
        "\rScoring pairs  [#####.....]  50%"
        "\rScoring pairs  [##########] 100%"
        "\rSolving        [##########] 100%\n")
