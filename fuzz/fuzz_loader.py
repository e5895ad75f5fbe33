"""Atheris (libFuzzer) harness for the map loader and validator.

    make fuzz                                       # installs atheris, runs this for 5 minutes
    python fuzz/fuzz_loader.py fuzz/work examples tests/corpus -max_total_time=60

Any bytes go through ``validate_bytes`` (decode, limits, YAML events, model, imports, checks).
The only acceptable outcomes are a valid map or cjm's own diagnostics, each with a file, a
line and column >= 1 and a CJM code; anything else (an exception, a bad position) is a crash
that libFuzzer saves to fuzz/crashes/ for ``python fuzz/fuzz_loader.py CRASH_FILE`` to replay.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from cjm.format.load import Limits
    from cjm.format.validate import validate_bytes

CODE = re.compile(r"^CJM\d{3}$")
LIMITS = Limits(max_bytes=256 * 1024)
# a project root of its own, so that an `imports:` entry the fuzzer invents reads nothing real
ROOT = Path(tempfile.mkdtemp(prefix="cjm-fuzz-"))
(ROOT / "cjm.toml").write_text("", encoding="utf-8")
MAP = ROOT / "fuzz.cjm.yaml"


def test_one_input(data: bytes) -> None:
    loaded = validate_bytes(data, MAP, "fuzz.cjm.yaml", LIMITS, root=ROOT)
    for diag in loaded.diagnostics:
        if not (diag.file and diag.line >= 1 and diag.col >= 1 and CODE.match(diag.code) and diag.message):
            raise AssertionError(f"malformed diagnostic: {diag!r}")
    if not loaded.valid and not loaded.diagnostics:
        raise AssertionError("an invalid map without a diagnostic")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
