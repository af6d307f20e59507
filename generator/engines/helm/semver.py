"""Kubernetes version + Chart.yaml kubeVersion constraint → whether the chart supports it
(Masterminds semver, as Helm reads kubeVersion)."""

from __future__ import annotations

import re

_COMPARATOR = re.compile(
    r"(?P<op>!=|>=|=>|<=|=<|~>|[=<>~^])?\s*v?(?P<ver>[0-9xX*]+(?:\.[0-9xX*]+){0,2}"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)"
)


Version = tuple[int, int, int, tuple[tuple[int, int | str], ...]]


def _version(text: str) -> Version:
    core, _, pre = text.partition("+")[0].partition("-")
    major, minor, patch = ([int(p) for p in core.split(".")] + [0, 0])[:3]
    # Pre-releases sort before the release; numeric identifiers before alphanumeric ones.
    rank = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return (major, minor, patch, rank or ((2, 0),))


def satisfies(version: str, constraint: str) -> bool:
    """Masterminds semver (as in Chart.yaml kubeVersion): `||` of comma/space-separated ANDs,
    with `=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `^`, x-wildcards and `a - b` ranges."""
    have = _version(version)
    has_pre = "-" in version.partition("+")[0]
    for group in constraint.split("||"):
        group = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1 <=\2", group.strip())
        comparators = list(_COMPARATOR.finditer(group))
        if comparators and all(
            _compare(have, has_pre, c["op"] or "=", c["ver"]) for c in comparators
        ):
            return True
    return False


def _compare(have: Version, has_pre: bool, op: str, text: str) -> bool:
    core = text.partition("+")[0].partition("-")[0]
    parts = [p for p in core.split(".") if p not in ("x", "X", "*")]
    if has_pre and "-" not in text.partition("+")[0]:
        return False  # a pre-release only matches constraints that name a pre-release
    if not parts:
        return True
    pre = text.partition("+")[0].partition("-")[2]
    low = _version(".".join(parts + ["0"] * (3 - len(parts))) + (f"-{pre}" if pre else ""))
    nums = [int(p) for p in parts]

    def bump(index: int) -> Version:
        upper = [*nums[:index], nums[index] + 1, 0, 0]
        return (
            upper[0],
            upper[1],
            upper[2],
            ((0, -1),),
        )  # below every pre-release of the bumped version

    upper_wild = bump(len(parts) - 1) if len(parts) < 3 else None
    if op in ("=", "=="):
        return low <= have < upper_wild if upper_wild else have == low
    if op == "!=":
        return not (low <= have < upper_wild) if upper_wild else have != low
    if op in (">=", "=>"):
        return bool(have >= low)
    if op == ">":
        return have >= upper_wild if upper_wild else have > low
    if op == "<":
        return bool(have < low)
    if op in ("<=", "=<"):
        return have < upper_wild if upper_wild else have <= low
    if op in ("~", "~>"):
        return low <= have < bump(min(1, len(parts) - 1))
    # ^: the left-most non-zero part may not change
    first = next((i for i, n in enumerate(nums) if n), len(nums) - 1)
    return low <= have < bump(first)
