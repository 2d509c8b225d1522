#!/usr/bin/env python3
"""Parabola of the DOR window on top of the simulated V_dc(I_dc), as a sweep file for
`spinspice plot measure` (docs/systems/dor_multiplier.md).

    spinspice run netlists/mazza_dor.cir -o dor.h5
    python3 docs/systems/dor_fit.py dor.h5 dor_fit.h5
    spinspice plot measure dor_fit.h5 vdc -x idc --curves trace -o docs/systems/dor_vdc.png

Reads the sweep of netlists/mazza_dor.cir, takes the locked points (m_x at the drive frequency,
constant phase -- the criterion of tests/systems_dor.rs), the zero-phase point I_0 (largest V)
and the DOR window [I_0 - 0.04 mA, I_0] (seed 001 Sec. IV), fits V = a I^2 + b I + c there and
writes a two-axis "sweep" (idc x trace) with one measure vdc: trace = 0 the simulated V_mix at
the swept currents, trace = 1 the parabola on a fine grid over the window (NaN elsewhere).
"""
import math
import sys

import h5py
import numpy as np

FAC, SPP, NPER, TSET, SPAN = 800e6, 64, 160, 450e-9, 0.04e-3


def slip(g):
    """peak-to-peak excursion [turns] of the per-period phase of m_x relative to the current"""
    t = g["time"][:]
    k0 = int(np.argmax(t >= TSET - 0.5 / (SPP * FAC)))
    sl = slice(k0, k0 + NPER * SPP)
    e = np.exp(-2j * math.pi * FAC * t[sl])
    zm = (g["@m1[mx]"][sl] * e).reshape(NPER, SPP).mean(axis=1)
    zi = (g["@m1[i]"][sl] * e).reshape(NPER, SPP).mean(axis=1)
    ph = np.unwrap(np.angle(zm / zi))
    return (ph.max() - ph.min()) / (2 * math.pi)


def main(src, dst):
    with h5py.File(src, "r") as f:
        s = f["sweep"]
        idc = s["axes/idc"][:]
        v = s["measures/vmix"][:]
        fmx = s["measures/fmx"][:]
        locked = np.array([abs(fmx[k] - FAC) < 1e-5 * FAC and slip(f[f"step_{k:05d}/tran"]) < 0.02
                           for k in range(len(idc))])
    i0 = idc[locked][np.argmax(v[locked])]
    win = locked & (idc <= i0 + 1e-12) & (idc >= i0 - SPAN - 1e-12)
    a, b, c = np.polyfit(idc[win], v[win], 2)
    print(f"I_0 = {i0*1e3:.4f} mA, {win.sum()} points; a = {a:.5e} V/A^2, b = {b:.5e} V/A, c = {c:.5e} V")
    # fine grid holding the swept points: the sweep step divided by 4
    step = (idc[1] - idc[0]) / 4
    grid = idc[0] + step * np.arange(4 * (len(idc) - 1) + 1)
    sim = np.full(len(grid), np.nan)
    sim[::4] = np.where(locked, v, np.nan)
    par = np.where((grid <= i0 + 1e-12) & (grid >= i0 - SPAN - 1e-12), np.polyval([a, b, c], grid), np.nan)
    vdc = np.stack([sim, par])  # C order: the last axis (idc) fastest
    with h5py.File(dst, "w") as f:
        f.attrs["title"] = "V_dc(I_dc) of the locked Mazza diode and its parabola"
        s = f.create_group("sweep")
        s.attrs["axes"] = np.array(["trace", "idc"], dtype=object)
        s.attrs["shape"] = np.array([2, len(grid)], dtype=np.int64)
        s.attrs["measures"] = np.array(["vdc"], dtype=object)
        s.attrs["measure_units"] = np.array(["V"], dtype=object)
        ax = s.create_group("axes")
        d = ax.create_dataset("trace", data=np.array([0.0, 1.0]))
        d.attrs["dim"], d.attrs["unit"] = np.int32(0), np.bytes_(b"")
        d = ax.create_dataset("idc", data=grid)
        d.attrs["dim"], d.attrs["unit"] = np.int32(1), np.bytes_(b"A")
        d = s.create_group("measures").create_dataset("vdc", data=vdc)
        d.attrs["unit"] = np.bytes_(b"V")
        s.create_dataset("status", data=np.zeros((2, len(grid)), dtype=np.int32))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
