"""A big file's scan shared among workers (`Scanner.shares`, `layers.Split`) finds exactly what one scan
finds: each part's hits, joined in part order and merged, are `scan_file`'s, on every file of the labelled
quality corpus (secrets of every kind, found by several checks at once) and on files that repeat them."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.checks.scanner import Scanner
from auditor.layers import Split
from auditor.rules import default_pack_paths, load_rules

CORPUS = Path(__file__).parent.parent / "quality" / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def scanner():  # type: ignore[no-untyped-def]
    scanner = Scanner(load_rules(default_pack_paths()))
    with scanner.session():
        yield scanner


def _joined(scanner: Scanner, path: str, data: bytes) -> list[object]:
    parts, merge = scanner.shares()
    split = Split(parts, merge)
    return split.join([split.scan(path, data, part) for part in range(len(parts))])


def test_the_parts_are_detect_secrets_and_the_rest() -> None:
    scanner = Scanner(load_rules(default_pack_paths()))
    parts, _ = scanner.shares()
    assert len(parts) == 2 and list(scanner.checks)[0] == "secret"


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_the_joined_parts_find_what_one_scan_finds(scanner: Scanner, path: Path) -> None:
    name, data = "/" + str(path.relative_to(CORPUS)), path.read_bytes()
    whole = scanner.scan_file(name, data)
    joined = _joined(scanner, name, data)
    assert [(h.rule, h.line, h.secret, h.rejected, h.message) for h in joined] == \
        [(h.rule, h.line, h.secret, h.rejected, h.message) for h in whole]  # type: ignore[attr-defined]
    assert all(h.digests is not None for h in joined)  # type: ignore[attr-defined]


def test_a_value_two_checks_find_on_one_line_is_reported_once_as_by_one_scan(scanner: Scanner) -> None:
    data = b"".join(FILE.read_bytes() for FILE in FILES if FILE.suffix in (".env", ".py", ".yaml", ".yml")) * 3
    whole = scanner.scan_file("/app/bundle.env", data)
    joined = _joined(scanner, "/app/bundle.env", data)
    assert len({h.rule for h in whole}) > 3
    assert [(h.rule, h.line, h.secret) for h in joined] == [(h.rule, h.line, h.secret) for h in whole]  # type: ignore[attr-defined]
