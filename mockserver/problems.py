"""`Problem`: every mistake of a client, as data.

Each stage that finds something wrong with a request (credentials, body, parameters, the
`Prefer` header, an unknown or deleted id) returns a `Problem` instead of raising;
`negotiator.Negotiator.render` is the one place that turns it into an answer, in the shape
the operation declares for that status where it declares one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.diagnostics import Violation


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    detail: str = ""
    violations: tuple[Violation, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    # False for the mock's own control channel (a bad `Prefer` header): the answer is then
    # the mock's `{"detail": ...}`, whatever shape the API declares for that status.
    api_shaped: bool = True

    @property
    def message(self) -> str:
        """One line for a human: the detail, or the first violation with its location."""
        if self.detail:
            return self.detail
        if self.violations:
            first = self.violations[0]
            where = ".".join(str(part) for part in first.loc)
            more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
            return f"{where}: {first.msg}{more}"
        return "invalid request"
