"""spinspice.run: every analysis kind against its analytic solution,
parameters, sweeps, errors with their places, progress, threads."""

import math
import pathlib
import threading
import time

import numpy as np
import pytest

import spinspice

DIVIDER = """divider
.param vs=2 r1=1k
V1 in 0 {vs}
R1 in out {r1}
R2 out 0 1k
.op
.end
"""

RC = """RC low-pass: 1 kohm, 1 nF (tau = 1 us)
V1 in 0 PULSE(0 1 0 1p 1p 1 2) AC 1
R1 in out 1k
C1 out 0 1n
.options reltol=1e-5
.ac dec 10 1k 10meg
.tran 10n 5u
.meas tran vend find v(out) at=5u
.end
"""

# v(out) = vs * 1k / (r1 + 1k), measured by a short transient
SWEEP = """stepped divider
.param vs=1 r1=1k
V1 in 0 {vs}
R1 in out {r1}
R2 out 0 1k
.tran 1n 10n
.meas tran vout avg v(out)
.end
"""

# A runaway: 1 mA * exp(1000 amp v(a)) into node a, which the transient
# cannot follow for amp = 1 (tests/elab_errors.rs); amp = 0 is a constant
# 1 mA.
RUNAWAY = """runaway
.param amp=1
V1 in 0 1
R1 in a 1k
C1 a 0 1n
B1 0 a I=1e-3*exp(1e3*amp*v(a))
.tran 1u 1m uic
.end
"""


def test_run_from_text_and_from_file_agree(tmp_path, xr):
    f = tmp_path / "div.cir"
    f.write_text(DIVIDER)
    a = spinspice.run(DIVIDER)
    b = spinspice.run(f)
    c = spinspice.run(str(f))
    for r in (a, b, c):
        assert r.complete and r.ok and not r.is_sweep
        assert list(r.analyses) == ["op"]
        assert float(r.analyses["op"]["v(out)"][0]) == pytest.approx(1.0, rel=1e-12)
    assert b.title == "divider"
    assert np.array_equal(a["op"]["i(v1)"].values, b["op"]["i(v1)"].values)


def test_op_with_params(xr):
    # params override .param: numbers or engineering strings
    r = spinspice.run(DIVIDER, params={"r1": "3k", "VS": 4})
    op = r.analyses["op"]
    assert float(op["v(out)"][0]) == pytest.approx(4 * 1 / 4, rel=1e-12)
    assert float(op["i(v1)"][0]) == pytest.approx(-4 / 4e3, rel=1e-12)
    assert op["v(out)"].attrs["units"] == "V"
    assert op["i(v1)"].attrs["units"] == "A"


def test_dc_sweep_is_linear(xr):
    nl = DIVIDER.replace(".op", ".dc v1 0 2 0.5")
    dc = spinspice.run(nl).analyses["dc"]
    assert list(dc.dims) == ["v1"]
    assert dc["v1"].attrs["units"] == "V"
    assert np.allclose(dc["v1"].values, [0, 0.5, 1, 1.5, 2])
    assert np.allclose(dc["v(out)"].values, dc["v1"].values / 2, rtol=1e-12, atol=1e-15)


def test_ac_is_complex_and_matches_the_transfer_function(xr):
    r = spinspice.run(RC)
    ac = r.analyses["ac"]
    f = ac["frequency"].values
    assert ac["frequency"].attrs["units"] == "Hz"
    assert ac["v(out)"].dtype == np.complex128
    h = 1 / (1 + 2j * math.pi * f * 1e3 * 1e-9)
    assert np.allclose(ac["v(out)"].values, h, rtol=1e-9, atol=0)
    assert len(f) == 41 and f[0] == pytest.approx(1e3) and f[-1] == pytest.approx(1e7)


def test_tran_step_response_and_measure(xr):
    r = spinspice.run(RC)
    tr = r.analyses["tran"]
    t = tr["time"].values
    assert tr["time"].attrs["units"] == "s" and tr["time"].attrs["long_name"] == "time"
    assert tr["v(out)"].attrs["long_name"] == "voltage at node out"
    v = tr["v(out)"].values
    late = t > 50e-9  # after the 1 ps edge has passed through
    assert np.max(np.abs(v[late] - (1 - np.exp(-t[late] / 1e-6)))) < 2e-4
    assert r.measures["vend"] == pytest.approx(1 - math.exp(-5), abs=2e-4)
    assert r.measure_units["vend"] == "V"
    # tran is streamed point by point; the file and the memory agree
    assert r.analyses["tran"].attrs["complete"] == 1


def test_sweep_measures_are_arrays_over_the_parameters(xr):
    r = spinspice.run(SWEEP, step=["r1 list 1k 3k 9k", "vs lin 1 2 3"], jobs=2)
    assert r.is_sweep and r.complete and not r.errors
    s = r.sweep
    assert s["vout"].dims == ("r1", "vs")
    assert s["vout"].shape == (3, 3)
    assert s["vout"].attrs["units"] == "V"
    assert np.allclose(s["r1"].values, [1e3, 3e3, 9e3])
    assert np.allclose(s["vs"].values, [1, 1.5, 2])
    want = s["vs"].values[None, :] * 1e3 / (s["r1"].values[:, None] + 1e3)
    assert np.allclose(s["vout"].values, want, rtol=1e-9)
    assert (s["status"].values == 0).all()
    # the first axis varies fastest in the point order
    assert s["point"].values[1, 0] == 1 and s["point"].values[0, 1] == 3
    p = r.point(r1=3e3, vs=1.5)
    assert p.params == {"r1": 3e3, "vs": 1.5} and p.ok
    assert p.measures["vout"] == pytest.approx(1.5 / 4, rel=1e-9)
    assert "tran" in p.analyses and p.analyses["tran"]["v(out)"].dims == ("time",)
    assert r.measures["vout"].equals(s["vout"])


def test_sweep_from_a_dict_and_jobs_give_identical_results(xr):
    a = spinspice.run(SWEEP, step={"r1": [1e3, 2e3]}, jobs=1, save="none")
    b = spinspice.run(SWEEP, step={"r1": np.array([1e3, 2e3])}, jobs=2, save="none")
    assert a.sweep["vout"].dims == ("r1",)
    assert np.array_equal(a.sweep["vout"].values, b.sweep["vout"].values)
    assert a.points[0].analyses == {}  # save="none": no waveforms


def test_failed_sweep_point_is_recorded_not_raised(xr):
    r = spinspice.run(RUNAWAY, step="amp list 0 1")
    assert list(r.sweep["status"].values) == [0, 1]
    assert not r.complete and not r.ok
    assert len(r.errors) == 1
    e = r.errors[0]
    assert isinstance(e, spinspice.AnalysisError)
    assert e.point == 1 and e.time is not None and 0 < e.time < 1e-3
    assert e.unknown is not None
    assert "time step too small" in str(r.sweep["error"].values[1])
    assert r.points[1].status == 1 and r.points[0].ok


def test_netlist_error_carries_the_place():
    nl = "t\nV1 in 0 1\nR1 in out 1k\nD1 out 0 nomodel\n.op\n.end\n"
    with pytest.raises(spinspice.NetlistError) as ei:
        spinspice.run(nl)
    e = ei.value
    assert (e.file, e.line, e.column) == ("<netlist>", 4, 10)
    assert "unknown model 'nomodel'" in e.message
    assert "<netlist>:4:10" in str(e) and "nomodel" in e.rendered


def test_no_output_file_for_a_netlist_that_does_not_parse(tmp_path):
    out = tmp_path / "x.h5"
    with pytest.raises(spinspice.NetlistError):
        spinspice.run("t\nR1 a\n.end\n", output=out)
    assert not out.exists()


def test_netlist_error_in_a_file(tmp_path):
    f = tmp_path / "bad.cir"
    f.write_text("t\nV1 in 0 1\nR1 in out\n.op\n.end\n")
    with pytest.raises(spinspice.NetlistError) as ei:
        spinspice.run(f)
    e = ei.value
    assert pathlib.Path(e.file).name == "bad.cir" and e.line == 3
    assert isinstance(e, spinspice.SpinspiceError)


def test_analysis_error_names_time_unknown_and_keeps_results(xr):
    with pytest.raises(spinspice.AnalysisError) as ei:
        spinspice.run(RUNAWAY)
    e = ei.value
    assert e.line == 7 and e.column == 1  # the .tran statement
    assert e.time is not None and 0 < e.time < 1e-3
    assert e.unknown in ("v(a)", "i(v1)", "v(in)") or e.device == "b1"
    assert "time step too small" in e.message and e.point is None
    r = e.result
    assert r is not None and not r.complete
    tr = r.analyses["tran"]
    assert 0 < len(tr["time"]) and float(tr["time"][-1]) <= e.time


def test_bad_arguments():
    with pytest.raises(FileNotFoundError):
        spinspice.run("no_such_netlist.cir")
    with pytest.raises(ValueError):
        spinspice.run(SWEEP, step="r1 sideways 1 2")
    with pytest.raises(ValueError):
        spinspice.run(SWEEP, params={"r1": "lots"})
    with pytest.raises(ValueError):
        spinspice.run(SWEEP, save="everything")
    with pytest.raises(spinspice.NetlistError, match="no '.param nope'"):
        spinspice.run(SWEEP, params={"nope": 1})


def test_warnings_become_python_warnings():
    nl = DIVIDER.replace(".op", ".op\n.plot op v(out)")
    with pytest.warns(spinspice.SpinspiceWarning, match="plot"):
        spinspice.run(nl)


def test_a_failed_measure_is_nan_with_its_reason(xr):
    nl = RC.replace(".end", ".meas tran never when v(out)=5\n.end")
    r = spinspice.run(nl)
    assert math.isnan(r.measures["never"]) and r.measure_errors["never"]
    assert not math.isnan(r.measures["vend"]) and "vend" not in r.measure_errors
    assert r.complete  # a failed measure does not fail the run


def test_progress_true_without_tqdm_prints_percentages(monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    spinspice.run(RC, progress=True)
    assert "100.0 %" in capsys.readouterr().err


def test_progress_callback_reaches_one():
    seen = []
    spinspice.run(RC, progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)
    swept = []
    spinspice.run(SWEEP, step="r1 list 1k 2k 3k 4k", progress=swept.append)
    assert swept[-1] == 1.0


def test_an_exception_in_the_progress_callback_stops_the_run():
    class Stop(Exception):
        pass

    def cb(f):
        raise Stop()

    with pytest.raises(Stop):
        spinspice.run(RC.replace(".tran 10n 5u", ".tran 10n 500u"), progress=cb)


LONG = """sine into RC: many small steps
.param r1=1k
V1 in 0 SIN(0 1 1meg)
R1 in out {r1}
C1 out 0 1n
.tran 1n 20m
.end
"""


def test_the_gil_is_released_while_it_runs():
    count = [0]
    done = threading.Event()

    def spin():
        while not done.is_set():
            count[0] += 1
            time.sleep(0.001)

    th = threading.Thread(target=spin)
    th.start()
    reports = []
    try:
        spinspice.run(LONG.replace(".tran 1n 20m", ".tran 1n 2m"), progress=reports.append)
    finally:
        done.set()
        th.join()
    # with the GIL held for the whole run the thread could not have counted
    assert count[0] >= 20
    # …and the progress callback was called along the way, not only at the end
    assert len(reports) >= 3 and reports[-1] == 1.0


def _interrupt_after(seconds):
    import os
    import signal

    t = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_ctrl_c_stops_a_run_and_leaves_an_incomplete_file(tmp_path, xr):
    out = tmp_path / "long.h5"
    timer = _interrupt_after(0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            spinspice.run(LONG, output=out)
    finally:
        timer.cancel()
    r = spinspice.open(out)
    assert not r.complete
    tr = r.analyses["tran"]
    assert 0 < float(tr["time"][-1]) < 20e-3  # stopped well before tstop


def test_ctrl_c_stops_a_sweep(tmp_path, xr):
    out = tmp_path / "sweep.h5"
    nl = LONG.replace(".tran 1n 20m", ".tran 1n 2m")
    timer = _interrupt_after(0.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            spinspice.run(nl, step="r1 lin 1k 2k 40", jobs=2, output=out)
    finally:
        timer.cancel()
    r = spinspice.open(out)
    assert not r.complete
    assert (r.sweep["status"].values == -1).any()
