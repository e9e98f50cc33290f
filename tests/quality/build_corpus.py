"""Write the quality corpus and its labels from the templates (run after editing a template).

A template is a realistic file with markers where a labelled value goes:

    ⟦S category kind⟧        a fresh fake secret of `kind` (tokens.KINDS), labelled secret
    ⟦S category kind@name⟧   the same, remembered as `name`
    ⟦S category @name⟧       the value remembered as `name` again (a repeated occurrence)
    ⟦S category =text⟧       `text` itself, labelled secret
    ⟦N category ...⟧         the same forms, labelled not-secret

A multi-line value (a PEM key) continues on the following lines with the marker line's indentation and
is labelled on its first line, by its first line. Values are seeded per file, so editing one template
changes only that file's values. `python tests/quality/build_corpus.py` rewrites `corpus/` and
`labels.yaml`; `--check` exits 1 when they are stale (the tests run it).
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from tokens import KINDS  # noqa: E402

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
CORPUS = HERE / "corpus"
LABELS = HERE / "labels.yaml"
MARKER = re.compile(r"⟦([SN]) ([a-z0-9-]+) (=[^⟧]*|[a-z0-9-]*(?:@[a-z0-9-]+)?)⟧")


@dataclass(frozen=True)
class Label:
    file: str
    line: int
    value: str
    label: str
    category: str
    kind: str


def render(rel: str, text: str) -> tuple[str, list[Label]]:
    """One template's output text and labels (line numbers 1-based, in the output)."""
    rng = random.Random(zlib.crc32(rel.encode()))
    names: dict[str, tuple[str, str]] = {}
    out: list[str] = []
    labels: list[Label] = []
    for line in text.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]
        found: list[tuple[str, str, str, str]] = []

        def sub(m: re.Match[str], indent: str = indent, found: list[tuple[str, str, str, str]] = found) -> str:
            flag, category, spec = m.groups()
            if spec.startswith("="):
                value, kind = spec[1:], "literal"
            elif spec.startswith("@"):
                value, kind = names[spec[1:]]
            else:
                kind, _, name = spec.partition("@")
                value = KINDS[kind](rng)
                if name:
                    names[name] = (value, kind)
            found.append((flag, category, value, kind))
            return value.replace("\n", "\n" + indent)

        rendered = MARKER.sub(sub, line)
        if "⟦" in rendered:
            raise SystemExit(f"{rel}: bad marker: {line}")
        number = len(out) + 1
        for flag, category, value, kind in found:
            first = value.split("\n")[0]
            labels.append(Label(rel, number, first, "secret" if flag == "S" else "not-secret", category, kind))
        out.extend(rendered.split("\n"))
    return "\n".join(out), labels


def build() -> tuple[dict[str, str], list[Label]]:
    files: dict[str, str] = {}
    labels: list[Label] = []
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        rel = path.relative_to(TEMPLATES).as_posix()
        files[rel], found = render(rel, path.read_text(encoding="utf-8"))
        labels.extend(found)
    return files, labels


def dump_labels(labels: list[Label]) -> str:
    return yaml.safe_dump([asdict(label) for label in labels], sort_keys=False, allow_unicode=True, width=1 << 20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if corpus/ or labels.yaml is stale")
    args = parser.parse_args(argv)
    files, labels = build()
    if args.check:
        stale = [rel for rel, text in files.items()
                 if not (CORPUS / rel).is_file() or (CORPUS / rel).read_text(encoding="utf-8") != text]
        on_disk = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*") if p.is_file()}
        stale += sorted(on_disk - files.keys())
        if not LABELS.is_file() or LABELS.read_text(encoding="utf-8") != dump_labels(labels):
            stale.append("labels.yaml")
        for rel in stale:
            print(f"stale: {rel}", file=sys.stderr)
        return 1 if stale else 0
    shutil.rmtree(CORPUS, ignore_errors=True)
    for rel, text in files.items():
        (CORPUS / rel).parent.mkdir(parents=True, exist_ok=True)
        (CORPUS / rel).write_text(text, encoding="utf-8")
    LABELS.write_text(dump_labels(labels), encoding="utf-8")
    secrets = sum(label.label == "secret" for label in labels)
    print(f"{len(files)} files, {len(labels)} labels ({secrets} secret, {len(labels) - secrets} not-secret)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
