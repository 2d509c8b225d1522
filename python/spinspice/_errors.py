"""Exceptions and warnings of spinspice, built from the engine's diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence


@dataclass(frozen=True)
class Diagnostic:
    """One message of the engine: an error or a warning with its place.

    ``file``, ``line`` and ``column`` (1-based) locate the offending netlist
    text (``text``) when the message has a place in the netlist; ``time``,
    ``unknown`` and ``device`` are set for analysis failures that name them.
    ``rendered`` is the full report with the source excerpt, as the command
    line prints it; ``short`` the one-line ``file:line:col: error: …`` form.
    """

    message: str
    severity: str = "error"
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    text: Optional[str] = None
    label: Optional[str] = None
    help: Optional[str] = None
    short: str = ""
    rendered: str = ""
    time: Optional[float] = None
    unknown: Optional[str] = None
    device: Optional[str] = None
    point: Optional[int] = None

    @classmethod
    def _from_native(cls, d: Mapping[str, Any]) -> "Diagnostic":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: d.get(k) for k in names if k in d})

    def __str__(self) -> str:
        return self.rendered or self.short or self.message


class SpinspiceError(Exception):
    """Base class of the errors spinspice raises.

    ``message`` is the bare message, ``rendered`` the full report (what
    ``str()`` gives), ``diagnostics`` every error of the report.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else Diagnostic("unknown error")
        self.diagnostic = first
        self.message = first.message
        self.rendered = "\n".join(str(d) for d in self.diagnostics) or first.message
        super().__init__(self.rendered)

    @property
    def file(self) -> Optional[str]:
        """Netlist file of the first error (``<netlist>`` for netlist text)."""
        return self.diagnostic.file

    @property
    def line(self) -> Optional[int]:
        """1-based line of the first error in ``file``."""
        return self.diagnostic.line

    @property
    def column(self) -> Optional[int]:
        """1-based column of the first error in ``file``."""
        return self.diagnostic.column


class NetlistError(SpinspiceError):
    """The netlist could not be read or elaborated: a syntax error, an
    unknown model, a missing node, an impossible parameter …  Nothing ran.

    ``file``, ``line``, ``column`` locate the first error; every error is in
    ``diagnostics``.
    """


class AnalysisError(SpinspiceError):
    """An analysis failed (no convergence, time step too small, singular
    matrix …). ``time`` [s], ``unknown`` and ``device`` say where when the
    engine knows; ``file``/``line``/``column`` point at the analysis
    statement. ``result`` holds everything computed before the failure
    (``result.complete`` is False).
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], result: Any = None):
        super().__init__(diagnostics)
        self.result = result

    @property
    def time(self) -> Optional[float]:
        """Simulation time of the failure [s], for a transient."""
        return self.diagnostic.time

    @property
    def unknown(self) -> Optional[str]:
        """The unknown (``v(node)``, ``i(v1)``, a device state) that failed."""
        return self.diagnostic.unknown

    @property
    def device(self) -> Optional[str]:
        """The device that unknown belongs to."""
        return self.diagnostic.device

    @property
    def point(self) -> Optional[int]:
        """Sweep point index, for a point of a sweep."""
        return self.diagnostic.point


class SpinspiceWarning(UserWarning):
    """A netlist statement spinspice ignored or changed (it says which)."""
