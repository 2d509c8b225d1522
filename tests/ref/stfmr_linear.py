#!/usr/bin/env python3
"""ST-FMR spin-diode oracle: small-signal rectified voltage of an MTJ (docs/physics/oracles.md b).

V_dc(f) = 1/2 Re[ dR_hat * conj(I_rf) ],  I(t) = I_rf cos(2 pi f t), zero DC bias.

Three independent evaluations are printed:
  closed   -- the explicit formula (oracles.md Eq. B5) for m0 = z, p = +-x (Mazza geometry)
  linear   -- general linearisation: numerical tangent-plane Jacobian of the explicit LLGS
  ode      -- direct time integration of the full nonlinear LLGS (scipy DOP853, rtol 1e-11)
              at small drive, V_dc = time average of R(t) I(t) over an integer number of
              periods after the transient (20/Gamma) has decayed.

Usage:
  stfmr_linear.py                      # Mazza hybrid, table of the oracle (closed form)
  stfmr_linear.py --verify             # + ODE check for DL, FL, Oersted and all together
  stfmr_linear.py --case inplane --verify   # general geometry (no closed form)
  stfmr_linear.py --json out.json      # machine-readable curve for tests
"""
import argparse
import json
import math
import sys

import numpy as np
from scipy.integrate import solve_ivp

from cards import mazza_hybrid, inplane_mtj
from constants import SI, CMTJ
from macrospin import (equilibrium, linear_response_vdc, stfmr_closed_form, tangent_basis,
                       jacobian)


def resonance(ms, m0):
    e1, e2 = tangent_basis(m0)
    ev = np.linalg.eigvals(jacobian(ms, m0, 0.0, e1, e2))
    ev = ev[np.argmax(ev.imag)]
    return abs(ev.imag) / (2 * math.pi), -ev.real


def vdc_ode(ms, m0, f, Irf, settle, tavg_min, rtol=1e-11, atol=1e-13):
    """Time-domain V_dc of the full nonlinear LLGS (independent of the linearisation)."""
    w = 2 * math.pi * f
    T = 1.0 / f
    nper = max(1, int(math.ceil(tavg_min / T)))
    t_s = math.ceil(settle / T) * T
    t_e = t_s + nper * T

    f3 = scalar_rhs(ms)

    def rhs(t, y):
        I = Irf * math.cos(w * t)
        return f3(y[0], y[1], y[2], I)

    y0 = np.concatenate([m0, [0.0]])
    kw = dict(method="DOP853", rtol=rtol, atol=atol, max_step=T / 8)
    s1 = solve_ivp(rhs, (0, t_s), y0, **kw)
    y1 = s1.y[:, -1].copy()
    y1[3] = 0.0
    s2 = solve_ivp(rhs, (t_s, t_e), y1, **kw)
    normdev = abs(np.linalg.norm(s2.y[:3, -1]) - 1)
    return s2.y[3, -1] / (t_e - t_s), normdev


def scalar_rhs(ms):
    """Second, independent implementation of the explicit LLGS (plain scalar arithmetic,
    written from oracles.md / devices.md) returning (dm/dt, R*I).  Checked against
    Macrospin.rhs at random points before use."""
    g0, a = ms.c.gamma0, ms.alpha
    HK, Ms = ms.HK, ms.Ms
    Nx, Ny, Nz = ms.N
    kx, ky, kz = ms.kaxis
    Hx0, Hy0, Hz0 = ms.Hext
    ox, oy, oz = ms.k_oe
    px, py, pz = ms.p
    pref = ms.aj_prefactor
    beta, form = ms.beta, ms.torque_form
    RP, dRh = ms.RP, 0.5 * (ms.RAP - ms.RP)
    inv = 1.0 / (1.0 + a * a)
    from macrospin import efficiency

    def f3(mx, my, mz, I):
        kd = mx * kx + my * ky + mz * kz
        Hx = Hx0 + HK * kd * kx - Ms * Nx * mx + ox * I
        Hy = Hy0 + HK * kd * ky - Ms * Ny * my + oy * I
        Hz = Hz0 + HK * kd * kz - Ms * Nz * mz + oz * I
        c = mx * px + my * py + mz * pz
        aJ = pref * efficiency(ms.stt_kind, c, ms.P, ms.lam, ms.eta) * I
        if form == "gilbert":
            Ad, Af = aJ * (1 - a * beta), -aJ * (beta + a)
        else:
            Ad, Af = aJ, -beta * aJ
        # m x H and m x (m x H) = m (m.H) - H
        cx, cy, cz = my * Hz - mz * Hy, mz * Hx - mx * Hz, mx * Hy - my * Hx
        mH = mx * Hx + my * Hy + mz * Hz
        dx, dy, dz = mx * mH - Hx, my * mH - Hy, mz * mH - Hz
        qx, qy, qz = my * pz - mz * py, mz * px - mx * pz, mx * py - my * px
        sx, sy, sz = mx * c - px, my * c - py, mz * c - pz
        fx = (-g0 * cx - a * g0 * dx - g0 * Ad * sx - g0 * Af * qx) * inv
        fy = (-g0 * cy - a * g0 * dy - g0 * Ad * sy - g0 * Af * qy) * inv
        fz = (-g0 * cz - a * g0 * dz - g0 * Ad * sz - g0 * Af * qz) * inv
        R = RP + dRh * (1.0 - c)
        return [fx, fy, fz, R * I]

    rng = np.random.default_rng(1)
    for _ in range(5):
        m = rng.normal(size=3)
        m /= np.linalg.norm(m)
        I = rng.normal() * 1e-4
        ref = ms.rhs(m, I)
        got = np.array(f3(*m, I)[:3])
        assert np.allclose(got, ref, rtol=1e-12, atol=1e-9 * np.max(np.abs(ref))), (got, ref)
    return f3


def make_case(case, part, const):
    """part: 'dl' (Gilbert aJ, beta=0), 'fl' (beta term only: V(beta)-V(0)),
    'oe' (Oersted only), 'all' (aJ, beta=0.1, Oersted)."""
    koe = (2.0e6, 2.0e6, 0.0)
    if case == "mazza":
        mk = lambda beta, P, k: mazza_hybrid(beta=beta, torque_form="gilbert", const=const, P=P, k_oe=k)
        m_guess = (0.0, 0.0, 1.0)
    else:
        mk = lambda beta, P, k: _inplane(beta, P, k, const)
        m_guess = (1.0, 0.3, 0.0)
    if part == "dl":
        return [(mk(0.0, 0.66, (0, 0, 0)), +1)], m_guess
    if part == "fl":
        return [(mk(0.1, 0.66, (0, 0, 0)), +1), (mk(0.0, 0.66, (0, 0, 0)), -1)], m_guess
    if part == "oe":
        return [(mk(0.0, 0.0, koe), +1)], m_guess
    return [(mk(0.1, 0.66, koe), +1)], m_guess


def _inplane(beta, P, k, const):
    ms = inplane_mtj(beta=beta, torque_form="gilbert", const=const)
    ms.P = P
    ms.k_oe = np.asarray(k, float)
    return ms


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", choices=["mazza", "inplane"], default="mazza")
    ap.add_argument("--irf", type=float, default=0.3e-6, help="RF current amplitude [A] (peak)")
    ap.add_argument("--npts", type=int, default=9)
    ap.add_argument("--span", type=float, default=4.0, help="half-span in linewidths")
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--parts", default="dl,fl,oe,all")
    ap.add_argument("--const", choices=["SI", "CMTJ"], default="SI")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    const = SI if args.const == "SI" else CMTJ

    results = {}
    worst = 0.0
    for part in args.parts.split(","):
        models, m_guess = make_case(args.case, part, const)
        ms0 = models[0][0]
        m0 = equilibrium(ms0, m_guess)
        fr, Gam = resonance(ms0, m0)
        hw = Gam / (2 * math.pi)
        freqs = fr + hw * np.linspace(-args.span, args.span, args.npts)
        lin = sum(s * linear_response_vdc(ms, equilibrium(ms, m_guess), freqs, args.irf) for ms, s in models)
        closed = None
        if args.case == "mazza":
            closed = sum(s * stfmr_closed_form(ms, freqs, args.irf) for ms, s in models)
        print(f"\n=== case={args.case} part={part} consts={const.name}")
        print(f"m0 = {np.round(m0, 12)}, f_res = {fr/1e9:.6f} GHz, Gamma = {Gam:.6e} 1/s "
              f"(half-width {hw/1e6:.3f} MHz), I_rf = {args.irf:.3e} A")
        hdr = f"{'f [GHz]':>12} {'linear [V]':>14}"
        if closed is not None:
            hdr += f" {'closed [V]':>14}"
        if args.verify:
            hdr += f" {'ode [V]':>14} {'(ode-lin)/peak':>15} {'|m|-1':>9}"
        print(hdr)
        peak = np.max(np.abs(lin))
        rows = []
        for i, f in enumerate(freqs):
            line = f"{f/1e9:12.6f} {lin[i]:14.6e}"
            row = {"f": f, "linear": lin[i]}
            if closed is not None:
                line += f" {closed[i]:14.6e}"
                row["closed"] = closed[i]
            if args.verify:
                v = 0.0
                nd = 0.0
                for ms, s in models:
                    mm0 = equilibrium(ms, m_guess)
                    vv, nd = vdc_ode(ms, mm0, f, args.irf, settle=16.0 / Gam, tavg_min=6.0 / Gam)
                    v += s * vv
                rel = (v - lin[i]) / peak
                worst = max(worst, abs(rel))
                line += f" {v:14.6e} {rel:15.3e} {nd:9.1e}"
                row["ode"] = v
            print(line)
            rows.append(row)
        if closed is not None:
            print(f"max |closed - linear| / peak = {np.max(np.abs(closed - lin))/peak:.2e}")
        results[part] = {"f_res": fr, "Gamma": Gam, "rows": rows}
    if args.verify:
        print(f"\nworst |ode - linear| / peak over all parts: {worst:.3e}")
        # V_dc proportional to P: doubling the current must multiply V_dc by 4
        models, m_guess = make_case(args.case, "all", const)
        ms = models[0][0]
        m0 = equilibrium(ms, m_guess)
        fr, Gam = resonance(ms, m0)
        fpk = fr + Gam / (2 * math.pi)
        v1, _ = vdc_ode(ms, m0, fpk, args.irf, 16.0 / Gam, 6.0 / Gam)
        v2, _ = vdc_ode(ms, m0, fpk, 2 * args.irf, 16.0 / Gam, 6.0 / Gam)
        print(f"V_dc(2 I_rf)/V_dc(I_rf) at f_res + half-width = {v2/v1:.6f} (linear response: 4)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return results


if __name__ == "__main__":
    main()
