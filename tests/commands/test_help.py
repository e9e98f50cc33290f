"""`audit --help` and each subcommand's: every subcommand listed, every flag described, sizes, counts and
durations readable by a person."""

from __future__ import annotations

import argparse
import importlib
import re

import pytest

from auditor.commands import COMMANDS, DEFAULT
from auditor.commands.args import human, human_duration

MODULES = [DEFAULT, *(module for module, _ in COMMANDS.values())]


def _parser(module: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = importlib.import_module(f"auditor.commands.{module}").parser()
    return parser


def test_top_level_help_lists_every_subcommand_on_one_line():
    text = _parser(DEFAULT).format_help()
    for name, (_, summary) in COMMANDS.items():
        lines = [line for line in text.splitlines() if line.strip().startswith(f"audit {name} ")]
        assert len(lines) == 1, (name, text)
        assert summary in lines[0]


@pytest.mark.parametrize("module", MODULES)
def test_every_flag_of_every_subcommand_has_a_description(module):
    undescribed = [action.option_strings or [action.dest] for action in _parser(module)._actions
                   if not action.help or action.help == argparse.SUPPRESS]
    assert undescribed == []


@pytest.mark.parametrize("module", MODULES)
def test_help_shows_no_raw_byte_counts(module):
    """33554432 is unreadable; `32 MiB` and `1,000,000` are not."""
    assert re.findall(r"\d{5,}", _parser(module).format_help()) == []


@pytest.mark.parametrize(("count", "text"), [(32 << 20, "32 MiB"), (1 << 30, "1 GiB"), (1500, "1500 bytes")])
def test_human_sizes(count, text):
    assert human(count) == text


@pytest.mark.parametrize(("seconds", "text"), [(1800, "30 min"), (7200, "2 h"), (90, "90 s"), (2.5, "2.5 s")])
def test_human_durations(seconds, text):
    assert human_duration(seconds) == text


def test_defaults_from_the_environment_show_in_help(monkeypatch):
    monkeypatch.setenv("AUDITOR_DEADLINE", "2h")
    monkeypatch.setenv("AUDITOR_MAX_LAYER_BYTES", "64M")
    text = " ".join(_parser(DEFAULT).format_help().split())
    assert "(default: 2 h)" in text and "(default: 64 MiB)" in text
