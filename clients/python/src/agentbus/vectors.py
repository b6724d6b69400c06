"""protocol/vectors/entries.json read with this client's reader: each case's verdict, as the driver's
``vectors`` command prints it and the tests compare it with the expected one."""

import json
from pathlib import Path
from typing import Iterator, List, Tuple, Union

from .envelope import DeadLetterVerdict, decode_entry

VECTORS_FILE = Path(__file__).resolve().parent / "protocol" / "vectors" / "entries.json"


def expand(value: Union[str, dict]) -> bytes:
    """A value of the vector format: a string (UTF-8), ``{"hex": …}`` raw bytes, or
    ``{"repeat": s, "times": n, "prefix": p, "suffix": q}`` for p + s*n + q."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if "hex" in value:
        return bytes.fromhex(value["hex"])
    return (value.get("prefix", "") + value["repeat"] * value["times"] + value.get("suffix", "")).encode("utf-8")


def entry_fields(case: dict) -> List[Tuple[bytes, bytes]]:
    return [(name.encode("utf-8"), expand(value)) for name, value in case["fields"]]


def verdicts(path: Union[str, Path] = VECTORS_FILE) -> Iterator[dict]:
    """One verdict per case, in the file's order, as the ``vectors`` driver command prints it."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    max_field_bytes = document["reader"]["max_field_bytes"]
    for case in document["cases"]:
        decoded = decode_entry(entry_fields(case), max_field_bytes=max_field_bytes)
        if isinstance(decoded, DeadLetterVerdict):
            yield {"name": case["name"], "verdict": "dead_lettered", "reason": decoded.reason, "field": decoded.field}
        else:
            yield {"name": case["name"], "verdict": "accepted", "envelope": decoded.to_fields()}


def expected_verdict(case: dict) -> dict:
    """A case's expectation in the shape of :func:`verdicts` (expanded values, no notes)."""
    expect = case["expect"]
    if expect["verdict"] == "dead_lettered":
        return {"name": case["name"], "verdict": "dead_lettered", "reason": expect["reason"], "field": expect["field"]}
    envelope = {name: expand(value).decode("utf-8") for name, value in expect["envelope"].items()}
    return {"name": case["name"], "verdict": "accepted", "envelope": envelope}
