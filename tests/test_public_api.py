"""The public surface of ``aura_async`` is pinned: a change to it is deliberate."""

import re

import aura_async


def test_version_is_a_pep440_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", aura_async.__version__)


def test_all_is_pinned() -> None:
    assert sorted(aura_async.__all__) == sorted(["__version__"])
