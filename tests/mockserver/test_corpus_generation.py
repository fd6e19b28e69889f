"""Every response schema of every corpus document the mock loads gives valid bodies.

For each distinct JSON response schema (as the mock compiled it, `$ref`s resolved), values
are generated with many seeds by `compile_generator` alone (without the retry the mock's
answer stage adds) and judged twice: by the mock's own check, the one that would turn a bad
body into a 500 (`errors.GeneratedBodyError`), and for the first few values by the
independent `corpus.CorpusOracle` (`openapi-schema-validator` on the document as published).
A document the mock does not load is skipped with its reason.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass

import pytest

from mockserver.app import load_apis
from mockserver.errors import MockServerError, excerpt
from mockserver.generator import GenContext, Generator, compile_generator
from mockserver.operations import ResponseSpec
from mockserver.types import IsValid
from tests.mockserver.conftest import NOW
from tests.mockserver.corpus import CorpusOracle, corpus_entries, is_json_like

VALUES = 20  # per schema, judged by the mock's own check
ORACLE_VALUES = 3  # of those, also judged by the independent oracle
# `format: time`: the oracle's checker is draft 3's `%H:%M:%S`, which refuses the offset that
# RFC 3339 (and the mock's jsonschema_rs) demands: no value satisfies both, and RFC 3339 rules.
TIME_DISAGREEMENT = "is not a 'time'"


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    media_type: str | None
    generate: Generator
    is_valid: IsValid


@functools.cache
def _answers(file: str) -> list[Answer] | str:
    """One `Answer` per distinct response schema of the document, or why it does not load."""
    entry = next(e for e in corpus_entries() if e.file == file)
    try:
        apis = load_apis([entry.path])
    except MockServerError as exc:
        return f"the mock does not load it: {exc}"
    seen: set[str] = set()
    found = []
    for op in apis[0].operations:
        for spec in op.responses.values():
            if not _generated(spec):
                continue
            key = json.dumps(spec.schema, sort_keys=True, default=str)
            if key in seen:
                continue
            seen.add(key)
            assert spec.schema is not None
            status = _status(spec.status, set(op.responses))
            found.append(
                Answer(op.method, op.path, status, spec.media_type, compile_generator(spec.schema), spec.is_valid)
            )
    return found


def _status(declared: str, statuses: set[str]) -> int:
    """A status the oracle files under `declared` ("200", "4XX", "default") and no other key."""
    if declared.isdigit():
        return int(declared)
    codes = range(int(declared[0]) * 100, int(declared[0]) * 100 + 100) if declared[0].isdigit() else range(200, 600)
    taken = {s.upper() for s in statuses}
    return next(c for c in codes if str(c) not in taken and f"{str(c)[0]}XX" not in taken - {declared.upper()})


def _generated(spec: ResponseSpec) -> bool:
    return spec.schema is not None and spec.generate is not None and is_json_like(spec.media_type)


@pytest.mark.parametrize("file", [e.file for e in corpus_entries()])
def test_every_response_schema_gives_valid_bodies(file: str) -> None:
    answers = _answers(file)
    if isinstance(answers, str):
        pytest.skip(answers)
    entry = next(e for e in corpus_entries() if e.file == file)
    oracle = CorpusOracle(entry.path)
    bad: list[str] = []
    for answer in answers:
        for seed in range(VALUES):
            body = answer.generate(GenContext(random.Random(seed), NOW, answer.status))
            where = f"{answer.method} {answer.path} {answer.status} seed {seed}"
            if not answer.is_valid(body):
                bad.append(f"{where}: the mock's check refuses {excerpt(body, 200)}")
                break
            if seed < ORACLE_VALUES:
                errors = oracle.response_errors(answer.method, answer.path, answer.status, body, answer.media_type)
                errors = [e for e in errors if not e.endswith(TIME_DISAGREEMENT)]
                if errors:
                    bad.append(f"{where}: {errors[:2]} in {excerpt(body, 200)}")
                    break
    assert answers, f"{file}: no JSON response schema found"
    assert bad == [], f"{len(bad)} of {len(answers)} schemas give invalid bodies:\n" + "\n".join(bad[:10])
