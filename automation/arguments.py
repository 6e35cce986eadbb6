"""Argument types every `python -m automation` command shares: a bad value is a usage error saying what is
accepted, before anything runs."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable

# Pulumi's stack names: letters, digits, `-`, `_`, `.`; optionally qualified as org/project/stack.
STACK_NAME = r"(?:[A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+"
STACK_NAME_TEXT = "a stack name of letters, digits and -_. (or org/project/stack)"


def matching(pattern: str, accepted: str) -> Callable[[str], str]:
    """An argparse type: the value if it matches `pattern`, else a usage error saying what is accepted."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):
            raise argparse.ArgumentTypeError(f"{value!r} is not accepted; expected {accepted}")
        return value

    return check


stack_name = matching(STACK_NAME, STACK_NAME_TEXT)


def positive_seconds(value: str) -> float:
    """An argparse type: seconds above 0, at most an hour."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not accepted; expected seconds, more than 0 and at most 3600")
    return seconds
