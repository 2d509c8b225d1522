# %% [markdown]
# # spinspice from Python: a spin-diode map and the XOR network's decision map
#
# A notebook in the "percent" format (open it in Jupyter with jupytext, run it
# cell by cell in VS Code, or as a script: `python docs/python_example.py`).
# It writes its figures to `docs/python/` (or to `$SPINSPICE_EXAMPLE_OUT`).
# CI runs it with `SPINSPICE_EXAMPLE_QUICK=1`: the same code on coarser grids.
#
# Needs the package with xarray: `pip install "./python[xarray]" matplotlib`.

# %%
import os
import pathlib

import matplotlib

matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

import spinspice  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
OUT = pathlib.Path(os.environ.get("SPINSPICE_EXAMPLE_OUT", REPO / "docs" / "python"))
OUT.mkdir(parents=True, exist_ok=True)
QUICK = os.environ.get("SPINSPICE_EXAMPLE_QUICK") == "1"
JOBS = 2

# %% [markdown]
# ## 1. One run: the spin-diode measurement at resonance
#
# `netlists/spin_diode_measurement.cir` drives a behavioural spin-diode
# resonator (seed 000 Eq. 4: f_r = 1 GHz, α = 0.01, 𝒜 = 1 µV/µW) through a bias
# tee and reads the rectified voltage at the DC port. Its `.step` lines sweep
# the power and the frequency; `step=` replaces them with one point here, and
# the result's `points[0].analyses["tran"]` is an `xarray.Dataset` over time,
# with units on every variable.

# %%
netlist = REPO / "netlists" / "spin_diode_measurement.cir"
one = spinspice.run(netlist, step={"p": [1e-6], "f": [1.0101e9]})
tran = one.points[0].analyses["tran"]
print(tran)
print("V_dc =", float(one.sweep["vdc"].squeeze()), one.sweep["vdc"].attrs["units"])

fig, ax = plt.subplots(figsize=(7, 3.5))
t_ns = (tran["time"] * 1e9).assign_attrs(units="ns", long_name="time")
(tran["v(dc)"] * 1e6).assign_coords(time=t_ns).plot(ax=ax, lw=0.5)
ax.set_ylabel("v(dc) [µV]")
ax.set_title("DC port of the bias tee: settling to the rectified voltage")
fig.tight_layout()
fig.savefig(OUT / "spin_diode_settling.png", dpi=110)

# %% [markdown]
# ## 2. The spin-diode map: V_dc over power × frequency
#
# A sweep returns `result.sweep`, one Dataset over the swept parameters whose
# variables are the measures (and the per-point `status` and `error`).
# `save="none"` keeps only the measures; `jobs` runs points in parallel.
# The device's exact response is P [W(f) + W(−f)] with
# W(f) = 𝒜 f (f − f_r)/(α² f_r² + (f − f_r)²) (docs/physics/devices.md Eq. 4.6):
# the map must follow it.

# %%
powers = np.linspace(0.2e-6, 1e-6, 2 if QUICK else 5)
freqs = np.linspace(0.95e9, 1.05e9, 11 if QUICK else 101)
sd = spinspice.run(netlist, step={"p": powers, "f": freqs}, save="none", jobs=JOBS)
assert sd.ok, sd.errors
vdc = sd.sweep["vdc"]  # dims ("p", "f"), units V
print(vdc)


def w(f, fr=1e9, alpha=0.01, a=1.0):
    return a * f * (f - fr) / (alpha**2 * fr**2 + (f - fr) ** 2)


exact = vdc["p"] * (w(vdc["f"]) + w(-vdc["f"]))  # broadcast over (p, f)
err = float(abs(vdc - exact).max() / abs(exact).max())
print(f"largest deviation from P[W(f)+W(-f)]: {100 * err:.3f} % of the peak")
assert err < 0.01


def display(da):
    """µV over GHz × µW, for the figures."""
    return (da * 1e6).assign_attrs(units="µV", long_name="V_dc").assign_coords(
        f=(da["f"] / 1e9).assign_attrs(units="GHz", long_name="frequency"),
        p=(da["p"] * 1e6).assign_attrs(units="µW", long_name="power"))


fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
display(vdc).plot(ax=ax1, x="f", cmap="RdBu_r")
ax1.set_title("V_dc over power × frequency")
for k, p in enumerate(powers):
    display(vdc).isel(p=k).plot(ax=ax2, x="f", label=f"P = {p * 1e6:.1f} µW")
display(exact).isel(p=-1).plot(ax=ax2, x="f", ls="--", color="k", label="exact, 1 µW")
ax2.set_ylabel("V_dc [µV]")
ax2.set_title("the anti-Lorentzian line")
ax2.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "spin_diode_map.png", dpi=110)

# %% [markdown]
# ## 3. The XOR network's decision map
#
# `netlists/rf_network_xor.cir` is the seed 004 two-layer RF network (eight
# MTJs: resonator chains, STNO neurons, amplifiers, bias tees) built from
# circuit parts. Its output v(out) > 0 means "XOR = 1". Sweep the two input
# powers and draw the decision map with its boundary v(out) = 0.

# %%
xor_net = REPO / "netlists" / "rf_network_xor.cir"
grid = np.linspace(0, 1, 2 if QUICK else 11)  # µW
xor = spinspice.run(xor_net, step={"p1": grid, "p2": grid}, save="none", jobs=JOBS)
assert xor.ok, xor.errors
vout = xor.sweep["vout"]  # dims ("p1", "p2")
corners = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}
for (a, b), label in corners.items():
    v = float(vout.sel(p1=a, p2=b))
    print(f"p1 = {a} µW, p2 = {b} µW: v(out) = {v * 1e3:+.3f} mV -> {int(v > 0)}")
    assert (v > 0) == bool(label)

fig, ax = plt.subplots(figsize=(5.5, 4.5))
(vout * 1e3).assign_attrs(units="mV", long_name="v(out)").plot(
    ax=ax, x="p1", y="p2", cmap="RdBu_r", center=0, robust=True)
if not QUICK:
    ax.contour(vout["p1"], vout["p2"], vout.T, levels=[0], colors="k", linewidths=1.5)
ax.set_title("XOR decision map (v(out) > 0: class 1)")
fig.tight_layout()
fig.savefig(OUT / "xor_decision_map.png", dpi=110)

# %% [markdown]
# ## 4. Files: the command line, spinspice.open and plain xarray
#
# `output=` writes the HDF5 file the command line writes; `spinspice.open`
# reads any such file back into the same objects, and xarray opens its groups
# directly: every axis is a dimension scale, every variable has CF `units`.

# %%
h5 = OUT / "spin_diode_small.h5"
spinspice.run(netlist, step={"p": [1e-6], "f": [0.99e9, 1.0101e9]}, output=h5)
back = spinspice.open(h5)
print(back.sweep["vdc"])
with xr.open_dataset(h5, engine="h5netcdf", group="sweep/measures") as ds:
    print(ds["vdc"])
    assert np.array_equal(ds["vdc"].values, back.sweep["vdc"].values)
tree = xr.open_datatree(h5, engine="h5netcdf")
print(tree["step_00001/tran"])
h5.unlink()
print("example done")
