"""Errors that reach a person: each says what is wrong and what to do, in one line."""

from __future__ import annotations


class VigvisionError(Exception):
    """A problem with the input or the setup, not a bug: shown as one line, exit code 2."""

    exit_code = 2

    def __init__(self, problem: str, advice: str = "") -> None:
        self.problem = problem
        self.advice = advice
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = self.problem.rstrip(".")
        return f"{text} — {self.advice}" if self.advice else text


class FilmError(VigvisionError):
    """A film or audio file that cannot be read as asked."""


class ConfigError(VigvisionError):
    """A settings file or an option value that is not valid."""


class MissingModelError(VigvisionError):
    """A model file that should ship with the installation is not there."""


class DiskFullError(VigvisionError):
    """No room left on the disk (or a file-size limit) while saving results."""
