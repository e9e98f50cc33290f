"""Detection quality on the labelled corpus: recall, precision and F1 per category (issue 14).

`tests/quality/corpus/` holds realistic files in many formats; `tests/quality/labels.yaml` says, for
every value a scanner might report, whether it is a credential (`secret`) or a look-alike (`not-secret`)
and which category it belongs to. This script puts the corpus in a one-layer docker-archive (no engine
needed), runs `audit` on it, and, when they are installed, detect-secrets and kingfisher on the same
files, then matches findings to labels: same file and line, and when the tool reports the value, the
finding's value and the label's contain one another (either way). A label is hit once however many
rules report it. A secret label hit is a true positive, missed a false negative; a look-alike hit is a
false positive of its category; a finding on no label is an unlabelled false positive (`--verbose`
lists them so the corpus can be completed). Findings without a line (a file flagged by name) are
counted apart and not scored: the corpus measures content detection.

    python bench/quality.py                  # the tables
    python bench/quality.py --json out.json  # and the numbers for scripts
    python bench/quality.py --verbose        # also every unlabelled finding and every miss

`tests/quality/test_quality.py` runs the same scoring for `audit` and holds the per-category floors.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `testing` importable
    sys.path.insert(0, str(ROOT))

from testing import imagekit  # noqa: E402

QUALITY = ROOT / "tests" / "quality"
CORPUS = QUALITY / "corpus"
LABELS = QUALITY / "labels.yaml"
UUID_CATEGORIES = frozenset({"uuid-key", "uuid-identifier"})  # the issue reports overall with and without them
UNLABELLED = "(unlabelled)"


@dataclass(frozen=True)
class Label:
    file: str
    line: int
    value: str
    label: str  # "secret" or "not-secret"
    category: str
    kind: str = ""

    @property
    def secret(self) -> bool:
        return self.label == "secret"


@dataclass(frozen=True)
class Finding:
    """One reported value: `file` relative to the corpus root, `value` None when the tool hides it."""

    file: str
    line: int | None
    value: str | None
    rule: str
    sha1: str | None = None  # detect-secrets reports only the value's sha1


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: Score) -> None:
        self.tp, self.fp, self.fn, self.tn = (self.tp + other.tp, self.fp + other.fp,
                                              self.fn + other.fn, self.tn + other.tn)

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    @property
    def quiet(self) -> float | None:
        """Share of look-alikes left alone: TN / (TN + FP)."""
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "recall": self.recall, "precision": self.precision, "f1": self.f1,
                "quiet": self.quiet}


@dataclass
class Result:
    tool: str
    categories: dict[str, Score]
    overall: Score
    overall_without_uuid: Score
    unlabelled: list[Finding] = field(default_factory=list)
    missed: list[Label] = field(default_factory=list)
    false_positives: list[Label] = field(default_factory=list)
    file_level: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "categories": {name: s.as_dict() for name, s in sorted(self.categories.items())},
            "overall": self.overall.as_dict(),
            "overall_without_uuid": self.overall_without_uuid.as_dict(),
            "unlabelled": [asdict(f) for f in self.unlabelled],
            "missed": [asdict(label) for label in self.missed],
            "false_positives": [asdict(label) for label in self.false_positives],
            "file_level_findings": self.file_level,
        }


def load_labels(path: Path = LABELS) -> list[Label]:
    return [Label(**row) for row in yaml.safe_load(path.read_text(encoding="utf-8"))]


def _decoded(value: str) -> str:
    """`value` base64-decoded when it is base64 of text (an encoded PEM key), else ''."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8") if len(value) >= 16 else ""
    except (ValueError, UnicodeDecodeError):
        return ""


def _matches(finding: Finding, label: Label) -> bool:
    """Values contain one another, either way; a tool that decodes base64 first reports the decoded text."""
    if finding.value is None:
        return True
    a = finding.value.strip()
    return any(b and a and (a in b or b in a) for b in (label.value.strip(), _decoded(label.value.strip())))


def _pick(finding: Finding, candidates: list[Label]) -> Label | None:
    """The label a finding hits; a tool that hides the value is matched by the value's sha1 if it can be."""
    hits = [label for label in candidates if _matches(finding, label)]
    if finding.value is None and len(hits) > 1:
        return next((label for label in hits if hashlib.sha1(label.value.encode()).hexdigest() == finding.sha1),
                    hits[0])
    return hits[0] if hits else None


def score(tool: str, labels: Sequence[Label], findings: Iterable[Finding]) -> Result:
    """Match findings to labels (same file and line, values contained either way) and count per category."""
    by_line: dict[tuple[str, int], list[Label]] = {}
    for label in labels:
        by_line.setdefault((label.file, label.line), []).append(label)
        if label.value.startswith("-----BEGIN"):  # a YAML block scalar's key line may carry a PEM block's finding
            by_line.setdefault((label.file, label.line - 1), []).append(label)
    hit: set[Label] = set()
    unlabelled: list[Finding] = []
    file_level = 0
    for finding in findings:
        if finding.line is None:
            file_level += 1
            continue
        picked = _pick(finding, by_line.get((finding.file, finding.line), []))
        if picked is None:
            unlabelled.append(finding)
        else:
            hit.add(picked)
    categories: dict[str, Score] = {}
    for label in labels:
        s = categories.setdefault(label.category, Score())
        if label.secret:
            s.tp, s.fn = s.tp + (label in hit), s.fn + (label not in hit)
        else:
            s.fp, s.tn = s.fp + (label in hit), s.tn + (label not in hit)
    overall, without = Score(fp=len(unlabelled)), Score(fp=len(unlabelled))
    for name, s in categories.items():
        overall.add(s)
        if name not in UUID_CATEGORIES:
            without.add(s)
    missed = [label for label in labels if label.secret and label not in hit]
    false = [label for label in labels if not label.secret and label in hit]
    return Result(tool, categories, overall, without, unlabelled, missed, false, file_level)


# --- running the tools --------------------------------------------------------------------------------


def corpus_files(corpus: Path = CORPUS) -> dict[str, bytes]:
    return {p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


def write_archive(path: Path, corpus: Path = CORPUS) -> None:
    """The corpus as the one layer of a `docker save` archive, each file at its path under `/`."""
    entries = [imagekit.File(rel, data) for rel, data in corpus_files(corpus).items()]
    imagekit.write_docker_archive(path, imagekit.ImageSpec(layers=[entries], repo_tags=("quality/corpus:latest",)))


def _audit_command() -> list[str]:
    return [sys.executable, "-m", "auditor"]


def run_audit(workdir: Path, corpus: Path = CORPUS) -> tuple[list[Finding], dict[str, int]]:
    """`audit`'s findings on the corpus image, and its rejections per reason when it has `--explain`."""
    archive = workdir / "corpus.tar"
    write_archive(archive, corpus)
    cmd = [*_audit_command(), str(archive), "--format", "json", "--show-secrets", "--fail-on", "info",
           "--no-cache", "--no-config"]
    helptext = subprocess.run([*_audit_command(), "--help"], capture_output=True, text=True).stdout
    if "--explain" in helptext:
        cmd.append("--explain")
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    doc = json.loads(proc.stdout)
    findings = [Finding(f["path"].lstrip("/"), f.get("line"), f.get("secret"), f["rule"])
                for f in doc["findings"] if f.get("path")]
    rejections: dict[str, int] = {}
    for item in doc.get("rejected", doc.get("explain", [])) or []:
        reason = str(item.get("reason", "?")) if isinstance(item, dict) else str(item)
        rejections[reason] = rejections.get(reason, 0) + 1
    return findings, rejections


def _beside_python(name: str) -> str | None:
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else shutil.which(name)


def extract(workdir: Path, corpus: Path = CORPUS) -> Path:
    """A plain copy of the corpus for the scanners that read directories."""
    tree = workdir / "tree"
    shutil.copytree(corpus, tree)
    return tree


def run_detect_secrets(tree: Path) -> list[Finding] | None:
    exe = _beside_python("detect-secrets")
    if exe is None:
        return None
    proc = subprocess.run([exe, "scan", "--all-files"], cwd=tree, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    results = json.loads(proc.stdout)["results"]
    return [Finding(name, item["line_number"], None, item["type"], item["hashed_secret"])
            for name, items in results.items() for item in items]


def run_kingfisher(tree: Path) -> list[Finding] | None:
    exe = _beside_python("kingfisher")
    if exe is None:
        return None
    cmd = [exe, "scan", str(tree), "--format", "json", "--no-validate", "--no-update-check"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 200, 205):
        raise SystemExit(f"kingfisher failed (exit {proc.returncode}): {proc.stderr.strip()[-500:]}")
    doc, _ = json.JSONDecoder().raw_decode(proc.stdout or "[]")  # a summary document follows the findings
    return list(_kingfisher_findings(doc, tree))


def _kingfisher_findings(doc: Any, tree: Path) -> Iterable[Finding]:
    """Kingfisher's JSON: a list (or `findings` list) of records with `rule` and `finding` objects."""
    records = doc.get("findings", []) if isinstance(doc, dict) else doc
    for record in records:
        found = record.get("finding", record)
        rule = record.get("rule", {})
        path = str(found.get("path", ""))
        rel = os.path.relpath(path, tree) if os.path.isabs(path) else path
        line = found.get("line")
        yield Finding(rel, int(line) if line is not None else None, found.get("snippet"),
                      str(rule.get("id", rule.get("name", "?")) if isinstance(rule, dict) else rule))


# --- the report ----------------------------------------------------------------------------------------


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def table(result: Result) -> str:
    head = f"{'category':<24} {'TP':>4} {'FP':>4} {'FN':>4} {'TN':>4} {'recall':>7} {'prec':>6} {'F1':>6} {'quiet':>6}"
    rows = [f"== {result.tool} ==", head]

    def row(name: str, s: Score) -> str:
        return (f"{name:<24} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.tn:>4} {_num(s.recall):>7} {_num(s.precision):>6}"
                f" {_num(s.f1):>6} {_num(s.quiet):>6}")

    secret_first = sorted(result.categories.items(), key=lambda kv: (kv[1].tp + kv[1].fn == 0, kv[0]))
    rows += [row(name, s) for name, s in secret_first]
    rows.append(row(UNLABELLED, Score(fp=len(result.unlabelled))))
    rows.append(row("OVERALL", result.overall))
    rows.append(row("OVERALL without uuid", result.overall_without_uuid))
    rows.append(f"(findings without a line, not scored: {result.file_level})")
    return "\n".join(rows)


def details(result: Result) -> str:
    lines = [f"-- {result.tool}: unlabelled findings ({len(result.unlabelled)})"]
    lines += [f"  {f.file}:{f.line} {f.rule} {f.value!r}" for f in result.unlabelled]
    for title, found in (("look-alikes reported", result.false_positives), ("secrets missed", result.missed)):
        lines.append(f"-- {result.tool}: {title} ({len(found)})")
        lines += [f"  {m.file}:{m.line} [{m.category}/{m.kind}] {m.value[:60]!r}" for m in found]
    return "\n".join(lines)


def floors(result: Result) -> str:
    """The scores as floors (rounded down to 0.01), in the layout of test_quality.py's FLOORS."""
    def down(x: float | None) -> str:
        return "None" if x is None else f"{math.floor(x * 100 + 1e-9) / 100:.2f}"
    ordered = sorted(result.categories.items(), key=lambda kv: (kv[1].tp + kv[1].fn == 0, kv[0]))
    rows = [f'    "{name}": ({down(s.recall)}, {down(s.quiet)}),' for name, s in ordered]
    overall = result.overall
    return "\n".join(["FLOORS = {", *rows, "}",
                      f'OVERALL_FLOOR = {{"recall": {down(overall.recall)}, "precision": {down(overall.precision)}, '
                      f'"f1": {down(overall.f1)}}}'])


def evaluate(tools: Sequence[str] = ("audit", "detect-secrets", "kingfisher"),
             corpus: Path = CORPUS, labels_path: Path = LABELS) -> tuple[list[Result], dict[str, Any]]:
    """Run each installed tool on the corpus and score it; notes say what was skipped or rejected."""
    labels = load_labels(labels_path)
    results: list[Result] = []
    notes: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="la-quality-") as tmp:
        workdir = Path(tmp)
        tree = extract(workdir, corpus)
        for tool in tools:
            if tool == "audit":
                findings, rejections = run_audit(workdir, corpus)
                notes["audit_rejections"] = rejections
            else:
                found = run_detect_secrets(tree) if tool == "detect-secrets" else run_kingfisher(tree)
                if found is None:
                    notes[tool] = "not installed"
                    continue
                findings = found
            results.append(score(tool, labels, findings))
    return results, notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tool", action="append", choices=("audit", "detect-secrets", "kingfisher"),
                        help="run only these (repeatable); default all that are installed")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON ('-' for stdout)")
    parser.add_argument("--verbose", "-v", action="store_true", help="list unlabelled findings and missed secrets")
    parser.add_argument("--floors", action="store_true",
                        help="print audit's scores as the FLOORS dict of tests/quality/test_quality.py")
    args = parser.parse_args(argv)
    labels = load_labels()
    secrets = sum(label.secret for label in labels)
    results, notes = evaluate(tuple(args.tool or ("audit", "detect-secrets", "kingfisher")))
    out = sys.stderr if args.json == "-" else sys.stdout
    print(f"corpus: {len(corpus_files())} files, {len(labels)} labels ({secrets} secret, "
          f"{len(labels) - secrets} look-alike)", file=out)
    for result in results:
        if args.floors and result.tool == "audit":
            print(floors(result), file=out)
        print("\n" + table(result), file=out)
        if args.verbose:
            print(details(result), file=out)
    for key, note in notes.items():
        if note:
            print(f"\n{key}: {note}", file=out)
    if args.json:
        doc = json.dumps({"results": [r.as_dict() for r in results], "notes": notes}, indent=2)
        if args.json == "-":
            print(doc)
        else:
            Path(args.json).write_text(doc + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
