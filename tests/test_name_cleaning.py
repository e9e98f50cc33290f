"""Cleaning tar names as Docker and containerd do: where a name puts its entry, and which names are refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditor.names import clean
from testing import reference

NAMES = {
    # name: the in-image path the engines extract it at, or None when refused (still climbs above the root)
    "tmp/../app/.env": "/app/.env",
    "./a/../root/.ssh/id_rsa": "/root/.ssh/id_rsa",
    "a/b/../../c": "/c",
    "app/./.env": "/app/.env",
    "etc//hosts": "/etc/hosts",
    "/etc/shadow": "/etc/shadow",
    "/../etc/shadow": "/etc/shadow",  # a rooted name cannot climb out: Go's Clean drops ".." at the root
    "app/.wh..env": "/app/.wh..env",  # a whiteout is cleaned like any name; the walk reads it as a marker
    "tmp/../app/.wh..env": "/app/.wh..env",
    "./": "/",
    ".": "/",
    "": "/",
    "a/..": "/",
    "../x": None,
    "a/../../x": None,
    "..": None,
    "../../etc/passwd": None,
    "./../x": None,
}


@pytest.mark.parametrize(("name", "expected"), list(NAMES.items()), ids=list(NAMES))
def test_names_are_cleaned_as_the_engines_do_and_only_escaping_ones_are_refused(name, expected):
    assert clean(name) == expected


@pytest.mark.parametrize("name", list(NAMES), ids=list(NAMES))
def test_the_reference_model_cleans_names_the_same_way(name):
    assert reference._path(name) == clean(name)

parts = st.lists(st.sampled_from(["a", "b", ".wh.a", "..", ".", ""]), max_size=6)


@given(st.booleans(), parts)
def test_any_name_is_cleaned_like_the_reference_and_a_clean_path_never_holds_dots(rooted, name_parts):
    name = ("/" if rooted else "") + "/".join(name_parts)
    path = clean(name)
    assert path == reference._path(name)
    if path is not None:
        assert path.startswith("/") and not {".", ".."} & set(path.split("/")[1:])
    else:
        assert not rooted
