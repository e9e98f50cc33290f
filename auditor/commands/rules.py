"""`audit rules`: list the effective rules, or `--check` a rule pack or configuration file."""

from __future__ import annotations

import argparse
import json
import os
import sys

from auditor import yamlfile
from auditor.checks import KINDS
from auditor.checks.judge import REASONS, REASONS_BY_LEVEL, level_of
from auditor.commands import args as common_args
from auditor.commands import common
from auditor.config import is_pack, load_config
from auditor.rules import default_pack_paths, load_rules


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="audit rules", description="List the effective rules, or check a rule file.")
    parser.add_argument("--format", "-f", choices=["text", "json"], default="text",
                        help="text or json (default: %(default)s)")
    parser.add_argument("--check", metavar="FILE", action="extend", nargs="+",
                        help="validate rule packs or configuration files (several may follow one --check, as "
                        "pre-commit passes them)")
    common_args.add_rule_args(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.check:
        for path in args.check:
            if os.path.isfile(path) and not is_pack(yamlfile.load(path)):
                checked = load_config(path)
                count = len(checked.apply(load_rules([*default_pack_paths(), *checked.rules])))
                print(f"{path}: configuration OK ({count} effective rules)")
            else:
                print(f"{path}: {len(load_rules([path]))} rule(s) OK")
        return 0
    rules = common.effective_rules(args, common.config(args))
    levels = {r.id: level_of(r) for r in rules if KINDS[r.kind].family in ("content", "metadata")}
    if args.format == "json":
        doc = {"rules": [
            {"id": r.id, "kind": r.kind, "severity": r.severity.value, "description": r.description,
             "remediation": r.remediation, "source": os.path.basename(r.source),
             "paths": list(r.paths), "exclude": list(r.exclude), "status": sorted({s.value for s in r.status}),
             "params": dict(r.params), **({"judge": levels[r.id]} if r.id in levels else {})}
            for r in rules
        ], "judge": {name: {"description": text, "levels": _levels_of(name)} for name, text in REASONS.items()}}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        for r in rules:
            judged = f", judge {levels[r.id]}" if r.id in levels else ""
            sys.stdout.write(f"{r.id}  [{r.kind}, {r.severity.value}{judged}]\n    why: {r.description}\n"
                             f"    fix: {' '.join(r.remediation.split())}\n")
        sys.stdout.write(f"{len(rules)} rule(s)\n\nvalue judge: what each content rule's values are checked "
                         "for (`audit --explain` lists rejected values)\n")
        for name, text in REASONS.items():
            sys.stdout.write(f"{name}  [{', '.join(_levels_of(name))}]\n    {text}\n")
    return 0


def _levels_of(reason: str) -> list[str]:
    """The judge levels (`token`, `generic`) that apply `reason`."""
    return [level for level, reasons in REASONS_BY_LEVEL.items() if reason in reasons]
