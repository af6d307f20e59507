"""User-fixable problems (GeneratorError) and how they print."""

from __future__ import annotations

from collections.abc import Iterable

from generator.model import Origin


class GeneratorError(Exception):
    """A problem the user can fix: bad input, missing file, stale tree. Exit code 2."""

    def __init__(self, message: str, origin: Origin | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.origin = origin
        self.hint = hint

    def __str__(self) -> str:
        return format_problem(self.message, self.origin, self.hint)


class GeneratorErrors(GeneratorError):
    """Several problems found in one pass, reported together, sorted by file and line."""

    def __init__(self, errors: Iterable[GeneratorError]):
        self.errors = sorted(errors, key=lambda e: (e.origin or Origin.NOWHERE).sort_key)
        super().__init__(f"{len(self.errors)} problem(s)")

    def __reduce__(self) -> tuple[type[GeneratorErrors], tuple[list[GeneratorError]]]:
        return (GeneratorErrors, (self.errors,))  # rebuilt from the errors in another process

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def format_problem(message: str, origin: Origin | None, hint: str | None) -> str:
    text = f"{origin}: {message}" if origin else message
    if hint:
        text += f"\n  hint: {hint}"
    return text
