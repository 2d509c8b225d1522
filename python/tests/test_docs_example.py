"""docs/python_example.py runs (on coarse grids) and checks its own
numbers: the spin-diode map against the device's exact response, the XOR
network's corners."""

import os
import subprocess
import sys

from conftest import REPO, need


def test_the_worked_example_runs(tmp_path):
    need("matplotlib")
    need("xarray")
    need("h5netcdf")
    env = dict(os.environ, SPINSPICE_EXAMPLE_QUICK="1", SPINSPICE_EXAMPLE_OUT=str(tmp_path),
               MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, str(REPO / "docs" / "python_example.py")], env=env,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "example done" in p.stdout
    for png in ("spin_diode_settling.png", "spin_diode_map.png", "xor_decision_map.png"):
        assert (tmp_path / png).stat().st_size > 10_000, png
