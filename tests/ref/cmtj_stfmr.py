#!/usr/bin/env python3
"""ST-FMR curve of the Mazza hybrid MTJ computed with cmtj 1.15, compared with the
linear-response oracle (stfmr_linear / macrospin.linear_response_vdc).

Parameter mapping (docs/physics/devices.md Sec. 1.9, verified here to 4e-14 in m(t)):
  * cmtj takes Ms as mu0*Ms in tesla with mu0 = 12.566e-7; gamma*mu0 = 220880 m/(A s).
    The oracle is run with constants.CMTJ so both solve the same equation.
  * cmtj STT (createSTTLayer) is added in LL form with no alpha mixing:
        (1+a^2) dm/dt = ... - g0 A m x (m x p) + g0 beta A m x p,
        A = hbar j eta/(e Ms[T] d),  eta = P L^2/(L^2+1+(L^2-1) m.p)  (L = 1 -> P/2)
    i.e. the oracle's torque_form="ll", stt_kind="const", P = spinPolarisation, same beta.
  * the current driver of an STT layer is the current DENSITY j = I/area [A/m^2].
  * cmtj logs, under 'time' = t, the state after the step, i.e. m(t + dt): the product
    R I is therefore formed with I(t + dt).
  * RK4 with dt = T/6400 (~0.1 ps) -- the adaptive Dormand-Prince solver is not used.

Usage: cmtj_stfmr.py [--npts 9] [--parts dl,fl,oe,all] [--irf 3e-7]
"""
import argparse
import math
import time

import numpy as np

import cmtj
from cmtj import AxialDriver, CVector, Junction, Layer, constantDriver, sineDriver

from cards import MAZZA_AREA, MAZZA_N, MAZZA_T, mazza_hybrid
from constants import CMTJ
from macrospin import equilibrium, linear_response_vdc, stfmr_closed_form
from stfmr_linear import resonance

KOE = (2.0e6, 2.0e6, 0.0)   # Oersted field per ampere used for the 'oe' part [A/m/A]


def check_constants():
    P = cmtj.constants.PhysicalConstants
    got = dict(mu0=P.magnetic_permeability(), g0=P.gyromagnetic_ratio(), hbar=P.hbar(),
               e=P.elementary_charge())
    exp = dict(mu0=CMTJ.mu0, g0=CMTJ.gamma0, hbar=CMTJ.hbar, e=CMTJ.e)
    for k in got:
        assert abs(got[k] / exp[k] - 1) < 1e-9, (k, got[k], exp[k])
    return got


def cmtj_vdc(f, Irf, beta, P, koe, settle, tavg, steps_per_period=6400, writes_per_period=64):
    T = 1.0 / f
    dt = T / steps_per_period
    nper_s = int(math.ceil(settle / T))
    nper_a = int(math.ceil(tavg / T))
    total = (nper_s + nper_a) * T
    Ms_T = CMTJ.mu0 * 9.5e5
    N = MAZZA_N
    demag = [CVector(N[0], 0, 0), CVector(0, N[1], 0), CVector(0, 0, N[2])]
    lay = Layer.createSTTLayer("free", CVector(0, 0, 1), CVector(0, 0, 1), Ms_T, MAZZA_T, MAZZA_AREA,
                               demag, 0.02, 1.0, beta, P)
    lay.setReferenceLayer(CVector(-1, 0, 0))
    j = Junction([lay], 640.0, 1200.0)
    j.setLayerAnisotropyDriver("free", constantDriver(5.45e5))
    # I(t) = Irf cos(2 pi f t)  (cmtj sineDriver: A sin(2 pi f t + phase))
    j.setLayerCurrentDriver("free", sineDriver(0.0, Irf / MAZZA_AREA, f, math.pi / 2))
    if any(koe):
        drv = [sineDriver(0.0, k * Irf, f, math.pi / 2) if k else constantDriver(0.0) for k in koe]
        j.setLayerOerstedFieldDriver("free", AxialDriver(*drv))
    j.runSimulation(total, dt, T / writes_per_period)
    log = j.getLog()
    t = np.asarray(log["time"])
    R = np.asarray(log["R"])
    I = Irf * np.cos(2 * math.pi * f * (t + dt))      # logged state is m(t + dt)
    t0 = nper_s * T
    sel = (t >= t0 - 0.25 * T / writes_per_period)
    sel_idx = np.nonzero(sel)[0][: nper_a * writes_per_period]
    return float(np.mean(R[sel_idx] * I[sel_idx]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--irf", type=float, default=0.3e-6)
    ap.add_argument("--npts", type=int, default=9)
    ap.add_argument("--span", type=float, default=4.0)
    ap.add_argument("--parts", default="dl,fl,oe,all")
    args = ap.parse_args(argv)
    print("cmtj", cmtj.__version__ if hasattr(cmtj, "__version__") else "?", "constants", check_constants())

    specs = {  # part -> list of (beta, P, koe, sign) whose signed sum is the part
        "dl": [(0.0, 0.66, (0, 0, 0), +1)],
        "fl": [(0.1, 0.66, (0, 0, 0), +1), (0.0, 0.66, (0, 0, 0), -1)],
        "oe": [(0.0, 0.0, KOE, +1)],
        "all": [(0.1, 0.66, KOE, +1)],
    }
    summary = {}
    for part in args.parts.split(","):
        spec = specs[part]
        ms_ref = mazza_hybrid(beta=spec[0][0], torque_form="ll", const=CMTJ, P=spec[0][1], k_oe=spec[0][2])
        m0 = equilibrium(ms_ref, (0, 0, 1))
        fr, Gam = resonance(ms_ref, m0)
        freqs = fr + Gam / (2 * math.pi) * np.linspace(-args.span, args.span, args.npts)
        lin = np.zeros_like(freqs)
        closed = np.zeros_like(freqs)
        for beta, P, koe, s in spec:
            ms = mazza_hybrid(beta=beta, torque_form="ll", const=CMTJ, P=P, k_oe=koe)
            lin += s * linear_response_vdc(ms, m0, freqs, args.irf)
            closed += s * stfmr_closed_form(ms, freqs, args.irf)
        peak = np.max(np.abs(lin))
        print(f"\n=== part={part}: f_res = {fr/1e9:.6f} GHz, Gamma = {Gam:.5e} 1/s, I_rf = {args.irf:.2e} A")
        print(f"{'f [GHz]':>10} {'oracle [V]':>14} {'cmtj [V]':>14} {'(cmtj-oracle)/peak':>19}")
        errs = []
        t0 = time.time()
        for i, f in enumerate(freqs):
            v = sum(s * cmtj_vdc(f, args.irf, beta, P, koe, 16.0 / Gam, 6.0 / Gam) for beta, P, koe, s in spec)
            e = (v - lin[i]) / peak
            errs.append(e)
            print(f"{f/1e9:10.6f} {lin[i]:14.6e} {v:14.6e} {e:19.3e}")
        print(f"closed-form vs linear: {np.max(np.abs(closed-lin))/peak:.1e};  "
              f"max |cmtj - oracle|/peak = {np.max(np.abs(errs)):.3e}  ({time.time()-t0:.0f} s)")
        summary[part] = float(np.max(np.abs(errs)))
    print("\nSUMMARY max |cmtj - oracle| / peak:", {k: f"{v:.2e}" for k, v in summary.items()})
    return summary


if __name__ == "__main__":
    main()
