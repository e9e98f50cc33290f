"""The packs this installation ships are loaded without the backtracking check (`checks.params.SHIPPED`):
it costs a first run about a second. That is safe only because every shipped pattern passes it here, and
only shipped packs skip it."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.checks import params
from auditor.errors import RuleError
from auditor.rules import default_pack_paths, load_pack, load_rules


@pytest.mark.parametrize("path", default_pack_paths(), ids=lambda p: Path(p).name)
def test_every_shipped_pattern_passes_the_backtracking_check(path: str) -> None:
    assert not params.SHIPPED.get()
    assert load_pack(path)  # validated in full: a catastrophic pattern raises RuleError


def test_a_copy_of_a_shipped_pack_elsewhere_is_checked_in_full(tmp_path: Path) -> None:
    shipped = Path(default_pack_paths()[0]).read_text(encoding="utf-8")
    evil = ("  - id: evil\n    kind: regex\n    severity: high\n    description: d\n    remediation: r\n"
            "    pattern: '(a+a+)+b'\n")
    copy = tmp_path / Path(default_pack_paths()[0]).name
    copy.write_text(shipped.rstrip("\n") + "\n" + evil, encoding="utf-8")
    with pytest.raises(RuleError, match="catastrophic"):
        load_rules([str(copy)])
