"""spinspice: a SPICE-like circuit simulator for spintronic netlists.

Run a netlist and get the results as xarray objects::

    import spinspice
    r = spinspice.run("netlists/rf_detector.cir")
    r.analyses["tran"]["v(out)"].plot()          # an xarray.DataArray over time
    r.measures["vrect"]                          # a float

    s = spinspice.run("netlists/detector_sweep.cir", jobs=2, save="measures")
    s.sweep["vdc"].plot()                        # over (prf, f0), with units

    spinspice.open("out.h5")                     # a file of the command line

Errors raise :class:`NetlistError` (with ``file``, ``line``, ``column``) or
:class:`AnalysisError` (with ``time``, ``unknown``, ``device``). The
simulation runs with the GIL released; Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from . import _native
from ._errors import (AnalysisError, Diagnostic, NetlistError, SpinspiceError,
                      SpinspiceWarning)
from ._result import Point, Result, Table

__version__: str = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]
Steps = Union[str, Sequence[str], Mapping[str, Sequence[float]]]
ProgressArg = Union[None, bool, Callable[[float], Any]]


def _netlist_arg(netlist: Any) -> "tuple[str, bool]":
    """(text or path, is_path): a PathLike or a one-line string is a path."""
    if isinstance(netlist, os.PathLike):
        path = os.fspath(netlist)
    elif isinstance(netlist, str):
        if "\n" in netlist:
            return netlist, False
        path = netlist
    else:
        raise TypeError(f"netlist: expected netlist text or a path, got {type(netlist).__name__}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"netlist file not found: {path!r} (netlist text must "
                                "hold several lines: a title line and statements)")
    return str(path), True


def _steps_arg(step: Optional[Steps]) -> "list[str]":
    if step is None:
        return []
    if isinstance(step, str):
        return [step]
    if isinstance(step, Mapping):
        out = []
        for name, values in step.items():
            vals = [float(v) for v in values]
            if not vals:
                raise ValueError(f"step[{name!r}]: no values")
            out.append(f"{name} list " + " ".join(repr(v) for v in vals))
        return out
    return [str(s) for s in step]


def _progress_arg(progress: ProgressArg) -> "tuple[Optional[Callable[[float], Any]], Any]":
    """(callback, bar to close)."""
    if progress is None or progress is False:
        return None, None
    if callable(progress):
        return progress, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        def line(f: float) -> None:
            sys.stderr.write(f"\r{100 * f:5.1f} %")
            if f >= 1.0:
                sys.stderr.write("\n")
        return line, None
    bar = tqdm(total=1000, unit="‰", leave=False)

    def update(f: float) -> None:
        bar.update(int(round(1000 * f)) - bar.n)
    return update, bar


def _diags(items: Sequence[Mapping[str, Any]]) -> "list[Diagnostic]":
    return [Diagnostic._from_native(d) for d in items]


def run(netlist: Union[str, "os.PathLike[str]"], *,
        params: Optional[Mapping[str, Union[float, str]]] = None,
        step: Optional[Steps] = None,
        jobs: Optional[int] = None,
        save: Optional[str] = None,
        output: Optional[PathLike] = None,
        progress: ProgressArg = None) -> Result:
    """Simulate a netlist.

    Parameters
    ----------
    netlist
        The netlist text (several lines: a title line, then statements), or
        the path of a netlist file (``str`` or ``pathlib.Path``).
        ``.include`` paths of netlist text are relative to the working
        directory.
    params
        Overrides of top-level ``.param`` values, like ``--param``:
        ``{"rl": 2e3}`` or ``{"rl": "2k"}``.
    step
        Sweeps, like ``--step``: ``"prf lin -20 10 31"``, a list of such
        strings (the first varies fastest, after the netlist's ``.step``
        lines), or ``{"prf": numpy.linspace(-20, 10, 31)}``.
    jobs
        Sweep points run in parallel on this many threads (default: one per
        core).
    save
        What each sweep point keeps: ``"all"`` (default: waveforms),
        ``"measures"`` (only the waveforms the measures read) or ``"none"``.
    output
        Also write the results to this file, as the command line does
        (``.h5``, ``.csv`` or ``.raw``).
    progress
        A callable taking the fraction done in [0, 1] (called at most about
        20 times a second), or True for a tqdm bar (a plain percentage on
        stderr without tqdm).

    Returns
    -------
    Result
        ``analyses`` (xarray Datasets), ``measures``; for sweeps ``sweep``
        (the measures over the swept parameters), ``points``, ``errors``.

    Raises
    ------
    NetlistError
        The netlist could not be parsed or elaborated (nothing ran).
    AnalysisError
        An analysis of a run without sweep failed; ``error.result`` holds
        what was computed before. (A failed sweep point does not raise: it
        is in ``result.errors`` and ``result.status``.)
    KeyboardInterrupt
        Ctrl-C: the run stopped; ``output``, if given, is a valid file
        marked incomplete.
    """
    text, is_path = _netlist_arg(netlist)
    plist = [(str(k), v) for k, v in (params or {}).items()]
    callback, bar = _progress_arg(progress)
    try:
        out = _native.run(text, is_path, plist, _steps_arg(step), int(jobs or 0),
                          save or "all", None if output is None else os.fspath(output),
                          callback)
    finally:
        if bar is not None:
            bar.close()
    warns = _diags(out["warnings"])
    for w in warns:
        warnings.warn(str(w), SpinspiceWarning, stacklevel=2)
    if out["fatal"] is not None:
        raise NetlistError(_diags(out["fatal"]))
    result = Result(out["result"], warns, _diags(out["failures"]))
    if result.errors and not result.is_sweep:
        raise AnalysisError([e.diagnostic for e in result.errors], result)
    return result


def open(path: PathLike) -> Result:  # noqa: A001 - the natural name, as in xarray
    """Read a spinspice HDF5 file (of a finished, failed or killed run; of a
    sweep or not) into the :class:`Result` a run gives. A killed sweep's
    points that did not run have status -1; ``complete`` is False."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"no such file: {p!r}")
    nat = _native.read(p)
    return Result(nat, (), _diags(nat["failures"]))


__all__ = ["run", "open", "Result", "Point", "Table", "Diagnostic", "SpinspiceError",
           "NetlistError", "AnalysisError", "SpinspiceWarning", "__version__"]
