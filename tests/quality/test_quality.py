"""Detection quality on the labelled corpus: per-category floors, and the corpus and scoring kept honest.

FLOORS holds, per category, the lowest recall (share of labelled credentials found) and the lowest
quiet rate (share of labelled look-alikes left alone) `audit` may score; `None` where the category has
no labels of that kind. They are what main scored once the issue 14 detectors landed (December), less
about one item's worth (0.05), so a regression fails here; raise them as detectors improve
(`python bench/quality.py --tool audit --floors` prints the current scores in this layout).
"""

from __future__ import annotations

import collections
import subprocess
import sys
from pathlib import Path

import pytest
from bench import quality

HERE = Path(__file__).parent

# category: (minimum recall, minimum quiet rate)
FLOORS: dict[str, tuple[float | None, float | None]] = {
    "auth-header": (0.68, None),
    "cmdline-password": (0.85, None),
    "connection-string": (0.77, None),
    "generic-assignment": (0.95, None),
    "gitconfig-url": (0.84, None),
    "jwt": (0.95, None),
    "oauth1": (0.95, None),
    "otp-seed": (0.62, None),
    "password-assignment": (0.86, None),
    "private-key": (0.95, None),
    "provider-token": (0.95, None),
    "repeated-value": (0.87, None),
    "tool-credential-file": (0.74, None),
    "uuid-key": (0.87, None),
    "checksum-invalid": (None, 0.57),
    "doc-example": (None, 0.75),
    "file-path": (None, 0.95),
    "hash-checksum": (None, 0.95),
    "identifier": (None, 0.80),
    "lock-file": (None, 0.95),
    "natural-language": (None, 0.95),
    "pem-literal": (None, 0.95),
    "placeholder": (None, 0.93),
    "public-key-material": (None, 0.88),
    "test-fixture": (None, 0.95),
    "uuid-identifier": (None, 0.95),
}
OVERALL_FLOOR = {"recall": 0.88, "precision": 0.92, "f1": 0.90}
MIN_PER_CATEGORY = 8
MIN_FORMATS = 15


@pytest.fixture(scope="module")
def audit_result() -> quality.Result:
    results, _ = quality.evaluate(("audit",))
    return results[0]


@pytest.mark.slow
@pytest.mark.parametrize("category", sorted(FLOORS))
def test_audit_stays_above_the_category_floor(audit_result: quality.Result, category: str) -> None:
    score = audit_result.categories[category]
    min_recall, min_quiet = FLOORS[category]
    if min_recall is not None:
        assert score.recall is not None and score.recall + 1e-9 >= min_recall, (category, score, audit_result.missed)
    if min_quiet is not None:
        assert score.quiet is not None and score.quiet + 1e-9 >= min_quiet, (category, score)


@pytest.mark.slow
def test_audit_stays_above_the_overall_floor(audit_result: quality.Result) -> None:
    overall = audit_result.overall
    assert {k: getattr(overall, k) + 1e-9 >= v for k, v in OVERALL_FLOOR.items()} == dict.fromkeys(OVERALL_FLOOR, True)
    assert audit_result.unlabelled == [], "label these findings (bench/quality.py --verbose lists them)"


def test_every_labelled_category_has_a_floor_and_enough_items() -> None:
    labels = quality.load_labels()
    counts = collections.Counter(label.category for label in labels)
    assert set(counts) == set(FLOORS)
    assert {c: n for c, n in counts.items() if n < MIN_PER_CATEGORY} == {}
    for category, (min_recall, min_quiet) in FLOORS.items():
        kinds = {label.secret for label in labels if label.category == category}
        assert (min_recall is not None, min_quiet is not None) == (True in kinds, False in kinds), category


def test_corpus_spans_many_formats() -> None:
    names = {Path(label.file).name for label in quality.load_labels()}
    formats = {name.rsplit(".", 1)[-1] if "." in name.lstrip(".") else name for name in names}
    assert len(formats) >= MIN_FORMATS, sorted(formats)


def test_every_label_points_at_its_value() -> None:
    files = quality.corpus_files()
    wrong = []
    for label in quality.load_labels():
        lines = files[label.file].decode("utf-8").split("\n")
        if label.value not in lines[label.line - 1]:
            wrong.append(label)
    assert wrong == []


def test_corpus_and_labels_match_the_templates() -> None:
    proc = subprocess.run([sys.executable, str(HERE / "build_corpus.py"), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- the scoring itself --------------------------------------------------------------------------------

SECRET = quality.Label("app/.env", 3, "ghp_abc123", "secret", "provider-token")
LOOKALIKE = quality.Label("app/.env", 4, "changeme", "not-secret", "placeholder")
OTHER = quality.Label("app/.env", 5, "AKIAX", "secret", "provider-token")


def test_a_secret_found_is_a_true_positive_and_one_missed_a_false_negative() -> None:
    result = quality.score("t", [SECRET, OTHER], [quality.Finding("app/.env", 3, "ghp_abc123", "r")])
    s = result.categories["provider-token"]
    assert (s.tp, s.fn, s.fp) == (1, 1, 0)
    assert result.missed == [OTHER]


def test_values_match_by_containment_either_way_but_not_on_another_line() -> None:
    findings = [quality.Finding("app/.env", 3, "TOKEN=ghp_abc123", "r"), quality.Finding("app/.env", 5, "AKIA", "r")]
    assert quality.score("t", [SECRET, OTHER], findings).categories["provider-token"].tp == 2
    moved = [quality.Finding("app/.env", 4, "ghp_abc123", "r")]
    assert quality.score("t", [SECRET], moved).categories["provider-token"].tp == 0


def test_a_look_alike_reported_is_a_false_positive_of_its_category() -> None:
    result = quality.score("t", [LOOKALIKE], [quality.Finding("app/.env", 4, "changeme", "r")])
    assert (result.categories["placeholder"].fp, result.categories["placeholder"].quiet) == (1, 0.0)
    assert result.overall.fp == 1


def test_an_unlabelled_finding_is_a_false_positive_and_a_file_level_one_is_not_scored() -> None:
    findings = [quality.Finding("app/other.py", 9, "x", "r"), quality.Finding("app/.env", None, None, "env-file")]
    result = quality.score("t", [SECRET], findings)
    assert (result.overall.fp, len(result.unlabelled), result.file_level) == (1, 1, 1)


def test_two_rules_on_one_value_count_once() -> None:
    findings = [quality.Finding("app/.env", 3, "ghp_abc123", "a"), quality.Finding("app/.env", 3, "ghp_abc123", "b")]
    assert quality.score("t", [SECRET], findings).overall.tp == 1


def test_a_hidden_value_is_told_apart_by_its_sha1() -> None:
    import hashlib

    same_line = quality.Label("app/.env", 3, "changeme", "not-secret", "placeholder")
    sha1 = hashlib.sha1(b"ghp_abc123").hexdigest()
    result = quality.score("t", [same_line, SECRET], [quality.Finding("app/.env", 3, None, "r", sha1)])
    assert (result.overall.tp, result.overall.fp) == (1, 0)


def test_a_base64_encoded_key_matches_its_decoded_report() -> None:
    import base64

    encoded = base64.b64encode(b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n").decode()
    label = quality.Label("k/config", 7, encoded, "secret", "private-key")
    finding = quality.Finding("k/config", 7, "-----BEGIN RSA PRIVATE KEY-----", "r")
    assert quality.score("t", [label], [finding]).overall.tp == 1


def test_the_overall_without_uuid_leaves_out_the_uuid_categories() -> None:
    uuid_key = quality.Label("a.json", 2, "0b6f8a52-7c1e-4d7a-9a55-3f1e2d4c5b6a", "secret", "uuid-key")
    result = quality.score("t", [SECRET, uuid_key], [])
    assert (result.overall.fn, result.overall_without_uuid.fn) == (2, 1)
