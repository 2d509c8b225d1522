#!/usr/bin/env python3
"""Injection-locked Mazza hybrid MTJ (seed 001) as a macrospin: V_dc(I_dc) at I_ac = 70.7 uA,
f_ac = 800 MHz, parabola fit near the maximum and the DOR multiplication (Eq. 1) over 200 random
pairs -- the reference for systems.md item 4.

Model: macrospin.Macrospin with the seed-001 card, torque_form "ll" (Eq. 4 as printed),
efficiency "mazza" (g_T = 2 eta/(1 + eta^2 cos theta), Eq. 5 literally -- this reproduces the
published threshold: macrospin |I_th| = 0.068 mA vs 0.056 mA micromagnetic), q = beta = 0.1.
Sign: spinspice/cmtj convention, I > 0 pushes m towards p = -x.  With this sign the printed
Eq. 4 auto-oscillates for I < 0 (devices.md Sec. 1.7 discusses the sign).

For every I_dc the full LLGS is integrated (DOP853) with I(t) = I_dc + I_ac cos(2 pi f t):
  V_rect = <R I>_on - <R>_off I_dc      (what a bias tee + lock-in "RF on - RF off" measures)
  V_mix  = <(R - <R>) (I - I_dc)>_on    (seed 001 Eq. 6 term)
  locked = phase of m_x relative to the drive stops slipping.
"""
import argparse
import math

import numpy as np
from scipy.integrate import solve_ivp

from cards import mazza_hybrid
from stfmr_linear import scalar_rhs


def run_point(ms, f3, Idc, Iac, f, t_settle=150e-9, n_avg=160):
    w = 2 * math.pi * f
    T = 1 / f
    ts = math.ceil(t_settle / T) * T

    def rhs(t, y):
        return f3(y[0], y[1], y[2], Idc + Iac * math.cos(w * t))[:3]

    y0 = np.array([0.1, 0.0, math.sqrt(1 - 0.01)])
    kw = dict(method="DOP853", rtol=1e-9, atol=1e-12, max_step=T / 20)
    y1 = solve_ivp(rhs, (0, ts), y0, **kw).y[:, -1]
    tt = ts + np.arange(n_avg * 64) * (T / 64)
    s = solve_ivp(rhs, (ts, tt[-1] + T / 64), y1, t_eval=tt, **kw)
    m = s.y
    R = ms.resistance(m.T)
    I = Idc + Iac * np.cos(w * tt)
    # phase of the first harmonic of m_x per drive period
    z = (m[0] * np.exp(-1j * w * tt)).reshape(n_avg, 64).mean(axis=1)
    ph = np.unwrap(np.angle(z))
    slip = abs(ph[-1] - ph[0]) / (2 * math.pi)
    dmx = 2 * abs(z).mean()
    phi = float(np.angle(np.mean((R - R.mean()) * np.exp(-1j * w * tt))))
    return dict(V_on=float(np.mean(R * I)), R_on=float(R.mean()), V_mix=float(np.mean((R - R.mean()) * (I - Idc))),
                locked=slip < 0.25, dmx=dmx, phase=phi)


def R_off(ms, f3, Idc, t_settle=150e-9, t_avg=100e-9):
    def rhs(t, y):
        return f3(y[0], y[1], y[2], Idc)[:3]
    y0 = np.array([0.1, 0.0, math.sqrt(1 - 0.01)])
    kw = dict(method="DOP853", rtol=1e-9, atol=1e-12, max_step=0.05e-9)
    y1 = solve_ivp(rhs, (0, t_settle), y0, **kw).y[:, -1]
    tt = np.linspace(t_settle, t_settle + t_avg, 20001)
    s = solve_ivp(rhs, (t_settle, tt[-1]), y1, t_eval=tt, **kw)
    return float(ms.resistance(s.y.T).mean())


def threshold(stt_kind, sign=-1, imax=2e-3, n=2000):
    """Smallest |I| (spinspice sign `sign`) at which the static branch connected to m = z loses
    stability (largest real part of the tangent-plane Jacobian eigenvalues crosses zero)."""
    from macrospin import equilibrium, jacobian, tangent_basis
    ms = mazza_hybrid(beta=0.1, torque_form="ll", stt_kind=stt_kind)
    m = np.array([0.0, 0.0, 1.0])
    for I in np.linspace(0, sign * imax, n + 1)[1:]:
        m = equilibrium(ms, m, I)
        e1, e2 = tangent_basis(m)
        ev = np.linalg.eigvals(jacobian(ms, m, I, e1, e2))
        if ev.real.max() > 0:
            return I, m, abs(ev.imag).max() / (2 * math.pi)
    return None


def freerun(currents=(-0.06e-3, -0.08e-3, -0.10e-3, -0.134e-3, -0.148e-3, -0.2e-3, -0.3e-3)):
    """free-running auto-oscillation (no RF): frequency of m_x and its amplitude after 200 ns"""
    ms = mazza_hybrid(beta=0.1, torque_form="ll", stt_kind="mazza")
    f3 = scalar_rhs(ms)
    for Idc in currents:
        rhs = lambda t, y: f3(y[0], y[1], y[2], Idc)[:3]
        tt = np.linspace(200e-9, 300e-9, 20001)
        s = solve_ivp(rhs, (0, 300e-9), [0.05, 0.0, math.sqrt(1 - 0.0025)], method="DOP853", rtol=1e-9,
                      atol=1e-11, t_eval=tt, max_step=0.05e-9)
        mx, mz = s.y[0], s.y[2]
        sp = np.abs(np.fft.rfft((mx - mx.mean()) * np.hanning(len(mx))))
        fr = np.fft.rfftfreq(len(mx), tt[1] - tt[0])
        k = np.argmax(sp[1:]) + 1
        print(f"I = {Idc*1e3:+.3f} mA: f = {fr[k]/1e9:.3f} GHz (FFT bin 10 MHz), dm_x = {(mx.max()-mx.min())/2:.3f},"
              f" <m_x> = {mx.mean():+.3f}, <m_z> = {mz.mean():+.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freerun", action="store_true", help="free-running frequency/amplitude vs I_dc")
    ap.add_argument("--threshold", action="store_true", help="only print the thresholds per efficiency form")
    ap.add_argument("--i0", type=float, default=-0.06e-3)
    ap.add_argument("--i1", type=float, default=-0.20e-3)
    ap.add_argument("--n", type=int, default=29)
    ap.add_argument("--iac", type=float, default=70.7e-6)
    ap.add_argument("--f", type=float, default=800e6)
    ap.add_argument("--span", type=float, default=0.04e-3, help="|I_0 - I_-1| [A] for the DOR mapping")
    args = ap.parse_args()
    if args.freerun:
        freerun()
        return
    if args.threshold:
        for kind in ("mazza", "mtj", "const"):
            for sign in (-1, +1):
                r = threshold(kind, sign)
                txt = "none below 2 mA" if r is None else (f"I_th = {r[0]*1e3:+.4f} mA, m0 = {np.round(r[1], 3)},"
                                                           f" f = {r[2]/1e9:.3f} GHz")
                print(f"efficiency {kind:6s} sign {sign:+d}: {txt}")
        return
    ms = mazza_hybrid(beta=0.1, torque_form="ll", stt_kind="mazza")
    f3 = scalar_rhs(ms)
    Is = np.linspace(args.i0, args.i1, args.n)
    print(f"Mazza hybrid macrospin, I_ac = {args.iac*1e6:.1f} uA, f_ac = {args.f/1e6:.0f} MHz")
    print(f"{'I_dc [mA]':>10} {'locked':>6} {'dm_x':>7} {'phase':>7} {'V_mix [mV]':>11} {'<R>_on':>9} {'<R>_off':>9} {'V_rect [mV]':>12}")
    rows = []
    for Idc in Is:
        r = run_point(ms, f3, Idc, args.iac, args.f)
        Roff = R_off(ms, f3, Idc)
        Vrect = r["V_on"] - Roff * Idc
        rows.append((Idc, r["locked"], r["V_mix"], Vrect))
        print(f"{Idc*1e3:10.4f} {str(r['locked']):>6} {r['dmx']:7.3f} {r['phase']:7.3f} {r['V_mix']*1e3:11.5f}"
              f" {r['R_on']:9.3f} {Roff:9.3f} {Vrect*1e3:12.5f}")
    rows = np.array(rows, dtype=float)
    dor(rows, args.span)


def dor(rows, span):
    """DOR multiplication (seed 001 Eq. 1) on the simulated curve.

    Reading of seed 001 Sec. IV (and its worked example, where F, G and F - G all lie in [-1, 0]):
    the input x in [-1, 0] maps to I = I_0 + |I_0 - I_-1| x on ONE side of the vertex I_0 (phase
    zero, maximum |V|), and the 'even parabola' V(x) = V(-x) is used for the arguments that fall in
    (0, 1] -- i.e. P(x) := V(I(-|x|)).  I_0 is taken as the locked point of largest V_mix, and
    the span is |I_0 - I_-1|."""
    lk = rows[:, 1] > 0
    I, V = rows[lk, 0], rows[lk, 2]
    k = int(np.argmax(V))
    I0 = I[k]
    side = -1.0 if (k + 1 < len(I) and abs(I[k + 1]) > abs(I0)) else +1.0   # towards larger |I| if available
    x_all = (I - I0) / span * (1 if side < 0 and I0 < 0 else -1)
    sel = (x_all <= 1e-12) & (x_all >= -1 - 1e-12)
    x, v = x_all[sel], V[sel]
    o = np.argsort(x)
    x, v = x[o], v[o]
    ap = np.polyfit(x ** 2, v, 1)[0]
    cp = float(v[-1])
    a, b, c = np.polyfit(x, v, 2)
    P = lambda xx: np.interp(-np.abs(xx), x, v)
    rng = np.random.default_rng(0)
    F, G = rng.uniform(-1, 0, 200), rng.uniform(-1, 0, 200)
    est = (P(F - G) - P(F) - P(-G) + cp) / (-2 * ap)
    ex = (P(-0.18) - P(-0.62) - P(0.44) + cp) / (-2 * ap)
    print(f"DOR on the locked branch: I_0 = {I0*1e3:.4f} mA (max V_mix = {cp*1e3:.4f} mV), span {span*1e3:.3f} mA,"
          f" {len(x)} points")
    print(f"  even-parabola coefficients a' = {ap*1e3:.5f} mV, c' = {cp*1e3:.5f} mV; full quadratic fit in x:"
          f" a = {a*1e3:.5f}, b = {b*1e3:.5f}, c = {c*1e3:.5f} mV (b = 0 for a vertex exactly at I_0)")
    print(f"  worked example F = -0.62, G = -0.44: DOR = {ex:.4f} (exact 0.2728)")
    print(f"  200 random pairs in [-1,0]^2: corr(DOR, FG) = {100*np.corrcoef(est, F*G)[0,1]:.3f} %, rms error "
          f"{np.sqrt(np.mean((est-F*G)**2)):.4f} (seed 001: 99.93 % micromagnetic)")


if __name__ == "__main__":
    main()
