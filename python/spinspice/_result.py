"""Results of a run (or of a file read back) as xarray or numpy objects."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import numpy as np

from ._errors import AnalysisError, Diagnostic

try:  # xarray is optional: without it analyses are Tables of numpy arrays
    import xarray as xr
except ImportError:  # pragma: no cover - exercised by monkeypatching in the tests
    xr = None  # type: ignore[assignment]

Data = Any  # an xarray.Dataset, or a Table when xarray is not installed

_STATUS = {"long_name": "status of the point", "flag_values": [-1, 0, 1],
           "flag_meanings": "not_run ok failed"}


class Table(dict):
    """An analysis as numpy arrays (what you get without xarray): a dict
    from name to 1-D array, the sweep variable (``time``, ``frequency`` …)
    first, then every signal. ``units`` and ``long_names`` map each name to
    its CF units and description; AC signals are complex.
    """

    def __init__(self, name: str, kind: str, sweep: str, complete: bool,
                 point: Optional[int]):
        super().__init__()
        self.name = name
        self.kind = kind
        self.sweep = sweep
        self.complete = complete
        self.point = point
        self.units: Dict[str, str] = {}
        self.long_names: Dict[str, str] = {}

    def __repr__(self) -> str:
        n = len(self[self.sweep]) if self.sweep in self else 0
        return (f"<spinspice.Table {self.name!r}: {n} points of "
                f"{', '.join(self)}>")


def _array(buf: Any, complex_: bool) -> np.ndarray:
    return np.frombuffer(buf, dtype=np.complex128 if complex_ else np.float64)


def _analysis(t: Mapping[str, Any]) -> Data:
    """One analysis table of the native result as a Dataset (or Table)."""
    sw = t["sweep"]
    x = _array(t["x"], False)
    attrs = {"kind": t["kind"], "complete": int(t["complete"]), "analysis": t["name"]}
    if xr is None:
        tab = Table(t["name"], t["kind"], sw["name"], bool(t["complete"]), t["point"])
        tab[sw["name"]] = x
        tab.units[sw["name"]] = sw["units"]
        tab.long_names[sw["name"]] = sw["long_name"]
        for s in t["signals"]:
            tab[s["name"]] = _array(s["data"], t["complex"])
            tab.units[s["name"]] = s["units"]
            tab.long_names[s["name"]] = s["long_name"]
        return tab
    dim = sw["name"]
    coords = {dim: (dim, x, {"units": sw["units"], "long_name": sw["long_name"]})}
    data = {
        s["name"]: (dim, _array(s["data"], t["complex"]),
                    {"units": s["units"], "long_name": s["long_name"]})
        for s in t["signals"]
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


class Point:
    """One point of a sweep: its parameter values, status, error, measures
    and analyses (``analyses["tran"]`` …, built on first use)."""

    def __init__(self, index: int, params: Dict[str, float], status: int,
                 error: Optional[str], tables: List[Mapping[str, Any]],
                 measures: Dict[str, float], measure_errors: Dict[str, str]):
        self.index = index
        self.params = params
        self.status = status
        self.error = error
        self.measures = measures
        self.measure_errors = measure_errors
        self._tables = tables
        self._analyses: Optional[Dict[str, Data]] = None

    @property
    def ok(self) -> bool:
        """The point ran and every analysis finished."""
        return self.status == 0

    @property
    def analyses(self) -> Dict[str, Data]:
        """Analysis name (``tran``, ``ac``, ``tran_2`` …) → Dataset/Table."""
        if self._analyses is None:
            self._analyses = {t["name"]: _analysis(t) for t in self._tables}
        return self._analyses

    def __getitem__(self, name: str) -> Data:
        return self.analyses[name]

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        state = {0: "ok", 1: "failed", -1: "not run"}.get(self.status, "?")
        return f"<spinspice.Point {self.index} ({p}): {state}>"


class Result:
    """What a run gives (or :func:`spinspice.open` reads back).

    Without a sweep: ``analyses`` (name → xarray.Dataset, or :class:`Table`
    without xarray), ``measures`` (name → float; NaN when it failed, the
    reason in ``measure_errors``), ``measure_units``.

    With a sweep (``.step`` lines or ``step=``): ``sweep`` is one Dataset over
    the sweep's dimensions (the swept parameters, coordinates with units)
    holding every measure, ``status`` (0 ok, 1 failed, -1 not run), ``error``
    and ``point`` (the index into ``points``); ``measures`` maps each
    measure to its array over the grid; ``points`` lists every point
    (:class:`Point`, with its own analyses); ``point(prf=0, f0=2e9)`` finds
    one by its values. ``errors`` holds an :class:`AnalysisError` per failed
    point.

    ``complete`` is True when every analysis of every point finished.
    """

    def __init__(self, native: Mapping[str, Any],
                 warnings: Sequence[Diagnostic] = (),
                 failures: Sequence[Diagnostic] = ()):
        self.title: str = native["title"]
        self.netlist: str = native["netlist"]
        self.complete: bool = bool(native["complete"])
        self.warnings: List[Diagnostic] = list(warnings)
        self.is_sweep: bool = native["sweep"] is not None
        if not self.is_sweep:  # the engine numbers the single run's point 0
            failures = [replace(d, point=None) for d in failures]
        self.errors: List[AnalysisError] = [AnalysisError([d], self) for d in failures]
        self._native = native
        self.analyses: Dict[str, Data] = {}
        self.measures: Dict[str, Any] = {}
        self.measure_errors: Dict[str, str] = {}
        self.measure_units: Dict[str, str] = {}
        self.sweep: Any = None
        self.status: Any = None
        self.points: List[Point] = []
        if self.is_sweep:
            self._build_sweep()
        else:
            self.analyses = {t["name"]: _analysis(t) for t in native["analyses"]}
            for m in native["measures"]:
                self.measures[m["name"]] = m["value"]
                self.measure_units[m["name"]] = m["unit"]
                if m["error"]:
                    self.measure_errors[m["name"]] = m["error"]

    # -------------------------------------------------------------- sweeps

    def _build_sweep(self) -> None:
        nat = self._native
        sw = nat["sweep"]
        axes = sw["axes"]
        names = [a["name"] for a in axes]
        shape = tuple(len(a["values"]) for a in axes)
        n = int(np.prod(shape)) if shape else 0

        def grid(flat: np.ndarray) -> np.ndarray:
            # point k = i0 + n0*(i1 + n1*(…)): the first axis varies fastest
            return flat.reshape(shape, order="F")

        status = np.full(n, -1, dtype=np.int32)
        errors = np.full(n, "", dtype=object)
        for k, code, msg in nat["status"]:
            status[k] = code
            errors[k] = msg
        order = list(sw["measures"])
        units = dict(zip(sw["measures"], sw["measure_units"]))
        cf_units: Dict[str, Optional[str]] = {
            k: u or None for k, u in zip(sw["measures"], sw["measure_cf_units"])}
        long_names: Dict[str, str] = {}
        values: Dict[str, np.ndarray] = {}
        by_point: Dict[int, List[Mapping[str, Any]]] = {}
        for m in nat["measures"]:
            name, k = m["name"], m["point"]
            if name not in values:
                values[name] = np.full(n, np.nan)
                if name not in order:
                    order.append(name)
            long_names[name] = m["long_name"]
            if m["unit"]:
                units[name] = m["unit"]
                cf_units[name] = m["units"]
            if k is not None and 0 <= k < n:
                values[name][k] = m["value"]
                by_point.setdefault(k, []).append(m)
        for name in order:
            values.setdefault(name, np.full(n, np.nan))
        self.measure_units = {k: units.get(k, "") for k in order}
        tables: Dict[int, List[Mapping[str, Any]]] = {}
        for t in nat["analyses"]:
            if t["point"] is not None:
                tables.setdefault(t["point"], []).append(t)
        coords = [np.asarray(a["values"], dtype=float) for a in axes]
        for k in range(n):
            idx = np.unravel_index(k, shape, order="F")
            params = {a["name"]: float(coords[j][idx[j]]) for j, a in enumerate(axes)}
            ms = {m["name"]: m["value"] for m in by_point.get(k, [])}
            mes = {m["name"]: m["error"] for m in by_point.get(k, []) if m["error"]}
            self.points.append(Point(k, params, int(status[k]), errors[k] or None,
                                     tables.get(k, []), ms, mes))
        point = np.arange(n, dtype=np.int64)
        if xr is None:
            out: Dict[str, np.ndarray] = {a["name"]: coords[j] for j, a in enumerate(axes)}
            for name in order:
                out[name] = grid(values[name])
            out["status"] = grid(status)
            out["error"] = grid(errors)
            out["point"] = grid(point)
            self.sweep = out
            self.measures = {name: out[name] for name in order}
            self.status = out["status"]
            return
        cds = {a["name"]: (a["name"], coords[j],
                           {k: v for k, v in (("units", a["units"] if a["unit"] else None),
                                              ("long_name", f"swept parameter {a['name']}"))
                            if v is not None})
               for j, a in enumerate(axes)}
        data: Dict[str, Any] = {}
        for name in order:
            attrs = {"long_name": long_names.get(name, f"measure {name}")}
            if cf_units.get(name):
                attrs["units"] = cf_units[name]
            data[name] = (names, grid(values[name]), attrs)
        data["status"] = (names, grid(status), dict(_STATUS))
        data["error"] = (names, grid(errors).astype(str), {"long_name": "why the point failed"})
        data["point"] = (names, grid(point), {"long_name": "index of the point"})
        self.sweep = xr.Dataset(data, coords=cds, attrs={"title": self.title})
        self.measures = {name: self.sweep[name] for name in order}
        self.status = self.sweep["status"]

    def point(self, index: Optional[int] = None, **at: float) -> Point:
        """A point of the sweep, by index or by its parameter values
        (nearest on each axis given): ``result.point(prf=0, f0=2e9)``."""
        if not self.is_sweep:
            raise ValueError("not a sweep: use result.analyses")
        if index is not None:
            if at:
                raise TypeError("give an index or parameter values, not both")
            return self.points[index]
        axes = self._native["sweep"]["axes"]
        names = [a["name"] for a in axes]
        unknown = set(at) - set(names)
        if unknown:
            raise KeyError(f"no swept parameter {sorted(unknown)}; the axes are {names}")
        best = None
        for p in self.points:
            d = tuple(abs(p.params[k] - v) for k, v in at.items())
            if best is None or d < best[0]:
                best = (d, p)
        if best is None:
            raise IndexError("the sweep has no points")
        return best[1]

    # ------------------------------------------------------------- access

    @property
    def ok(self) -> bool:
        """Every analysis of every point finished."""
        return self.complete and not self.errors

    def __getitem__(self, name: str) -> Any:
        """``result["tran"]`` (an analysis) or ``result["vdc"]`` (a measure)."""
        if name in self.analyses:
            return self.analyses[name]
        if name in self.measures:
            return self.measures[name]
        raise KeyError(f"no analysis or measure {name!r}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.analyses)

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        if self.is_sweep:
            shape = "×".join(str(len(a["values"])) for a in self._native["sweep"]["axes"])
            return (f"<spinspice.Result {self.title!r}: sweep {shape}, "
                    f"{len(self.measures)} measures, {len(self.errors)} failed points, {state}>")
        return (f"<spinspice.Result {self.title!r}: analyses {list(self.analyses)}, "
                f"measures {list(self.measures)}, {state}>")


__all__ = ["Result", "Point", "Table"]
