"""Typed errors, so callers can tell bad input (ask the user again) from a bad model (alert the operator)."""

from __future__ import annotations


class ClassifierError(Exception):
    """Base of every error this package raises on purpose."""


class InvalidInputError(ClassifierError, TypeError):
    """The input is not text (None, bytes, a number...)."""


class EmptyInputError(ClassifierError, ValueError):
    """The text has no letters or digits to classify."""


class InputTooLongError(ClassifierError, ValueError):
    """The text is longer than ``max_chars``; pass ``truncate=True`` to classify its beginning instead."""

    def __init__(self, length: int, max_chars: int) -> None:
        super().__init__(
            f"text has {length} characters, more than the {max_chars} the classifier accepts "
            "(pass truncate=True to classify the beginning)"
        )
        self.length = length
        self.max_chars = max_chars


class ModelLoadError(ClassifierError):
    """The model directory is missing, tampered with, or written by incompatible library versions."""


class DataError(ClassifierError, ValueError):
    """Training or evaluation data that cannot be used (missing column, no rows, one class only...)."""
