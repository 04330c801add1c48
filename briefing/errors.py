"""The exception tree and diagnostics that every stage reports through.

Exit codes: 0 success, 1 the content is wrong (a curated file, a source, a render),
2 the command was used wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in one place: ``file:line: level: key: message``."""

    file: str
    line: int | None
    key: str | None
    message: str
    level: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = f"{self.key}: {self.message}" if self.key else self.message
        return f"{where}: {self.level}: {what}"

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready form for machine-readable output."""
        return {
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "level": self.level,
            "message": self.message,
        }


class BriefingError(Exception):
    """Base of every error the tool reports to its user without a traceback."""

    exit_code = 1

    def lines(self) -> list[str]:
        """The lines to print, one per problem."""
        return [f"error: {self}"]


class ContentError(BriefingError):
    """Curated files, sources or templates are wrong; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def lines(self) -> list[str]:
        return [str(d) for d in self.diagnostics]


class RenderError(BriefingError):
    """A template or the PDF engine failed on content that passed validation."""


class UsageError(BriefingError):
    """The command was called wrongly (unknown profile, bad option value)."""

    exit_code = 2


class Collector:
    """Gathers diagnostics across a whole stage so that all of them are reported at once."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, file: str, line: int | None, key: str | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(file, line, key, message, "error"))

    def warning(self, file: str, line: int | None, key: str | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(file, line, key, message, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    def raise_if_errors(self) -> None:
        """Stop the stage if anything so far was an error."""
        if self.errors:
            raise ContentError(self.errors)
