#!/usr/bin/env python3
"""Universal auto-oscillator (STNO) oracles (docs/physics/oracles.md Sec. d).

Model (devices.md Sec. 3):
    dc/dt = -i w(p) c - G (1 + Q p) c + s I(t) (1 - p) c + (kappa/w0) e^{i chi} dI/dt,
    p = |c|^2,  w(p) = w0 + N p,  I_th = G/s,  xi = I_dc/I_th.

Closed forms:
    p0 = (xi - 1)/(xi + Q)                    (xi > 1, else 0)       [seed 000 Eq. 3]
    power relaxation rate  2 G (xi - 1)       (linearised, any Q)
    free-running frequency w_g = w0 + N p0
    injection locking (RF current I_rf cos(w_e t)):
        F = kappa I_rf w_e / (2 w0)           (co-rotating force, derivative coupling)
        nu = N p0 / Gamma_p = N / (G (xi + Q)),  Gamma_p = G (xi - 1)
        locked  <=>  |w_e - w_g| <= (F/sqrt(p0)) sqrt(1 + nu^2)
        -> edges w_e = w_g / (1 -+ r),  r = kappa I_rf sqrt(1+nu^2) / (2 w0 sqrt(p0))
    mutual locking of two identical oscillators coupled by f_1 = K e^{i b} c_2, f_2 = K e^{i b} c_1:
        locked  <=>  |w_g1 - w_g2| <= 2 K |cos b + nu sin b|   (max 2 K sqrt(1+nu^2))
Power-only level: dp/dt = -2 [G (1 + Q p) - s I (1 - p)] p  == thesis Eq. 5.3 with
    x = p, Q = 0, gamma = 2 G, I_model = 2 s I.
"""
import math

import numpy as np
from scipy.integrate import solve_ivp


def p_steady(xi, Q):
    return np.where(xi > 1, (xi - 1) / (xi + Q), 0.0)


def nu(N, G, xi, Q):
    return N / (G * (xi + Q))


def locking_edges(w0, N, G, s, Q, Idc, Irf, kappa):
    xi = Idc * s / G
    p0 = (xi - 1) / (xi + Q)
    wg = w0 + N * p0
    r = kappa * Irf * math.sqrt(1 + nu(N, G, xi, Q) ** 2) / (2 * w0 * math.sqrt(p0))
    return wg / (1 + r), wg / (1 - r), wg, p0


class STNO:
    def __init__(self, f0, N_hz, G, Ith, Q, kappa=0.0, chi=0.0):
        self.w0 = 2 * math.pi * f0
        self.N = 2 * math.pi * N_hz
        self.G = G
        self.s = G / Ith
        self.Q = Q
        self.kappa, self.chi = kappa, chi

    def rhs(self, t, y, Idc, Irf, we):
        c = y[0] + 1j * y[1]
        p = (c * c.conjugate()).real
        I = Idc + Irf * math.cos(we * t)
        dIdt = -Irf * we * math.sin(we * t)
        dc = (-1j * (self.w0 + self.N * p) - self.G * (1 + self.Q * p) + self.s * I * (1 - p)) * c \
            + (self.kappa / self.w0) * complex(math.cos(self.chi), math.sin(self.chi)) * dIdt
        return [dc.real, dc.imag]


def check_dc(o, xi):
    Idc = xi * o.G / o.s
    T = 2 * math.pi / o.w0
    p0 = float(p_steady(xi, o.Q))
    rate0 = 2 * o.G * (xi - 1)
    # (1) steady state from a small seed
    t_end = 40.0 / rate0
    sol = solve_ivp(o.rhs, (0, t_end), [1e-3, 0.0], args=(Idc, 0.0, 0.0), method="DOP853",
                    rtol=1e-10, atol=1e-13, max_step=T / 10)
    p_end = sol.y[0, -1] ** 2 + sol.y[1, -1] ** 2
    # (2) relaxation from p0 (1 + 1e-3): linear regime, fit log|p - p0| over 6 e-foldings
    tt = np.linspace(0, 6.0 / rate0, 400)
    sol = solve_ivp(o.rhs, (0, tt[-1]), [math.sqrt(p0 * 1.001), 0.0], args=(Idc, 0.0, 0.0), method="DOP853",
                    rtol=1e-12, atol=1e-15, max_step=T / 10, t_eval=tt)
    pp = sol.y[0] ** 2 + sol.y[1] ** 2
    rate = -np.polyfit(tt, np.log(np.abs(pp - p0)), 1)[0]
    # (3) frequency from the phase slope, densely sampled over 50 periods at p0
    tt = np.linspace(0, 50 * T, 2501)
    sol = solve_ivp(o.rhs, (0, tt[-1]), [math.sqrt(p0), 0.0], args=(Idc, 0.0, 0.0), method="DOP853",
                    rtol=1e-12, atol=1e-15, max_step=T / 20, t_eval=tt)
    ph = np.unwrap(np.angle(sol.y[0] + 1j * sol.y[1]))
    w = -np.polyfit(tt, ph, 1)[0]
    print(f"  xi = {xi}: p = {p_end:.9f} (oracle {p0:.9f}, err {p_end-p0:.1e});  relaxation rate "
          f"{rate:.6e} (oracle 2G(xi-1) = {rate0:.6e}, rel {rate/rate0-1:+.1e});  "
          f"f = {w/2/math.pi/1e9:.9f} GHz (oracle w0 + N p0: {(o.w0+o.N*p0)/2/math.pi/1e9:.9f})")


def is_locked(o, Idc, Irf, we, n_settle=3000, n_meas=3000):
    """locked if the phase of c relative to the drive stops drifting"""
    T = 2 * math.pi / we
    xi = Idc * o.s / o.G
    p0 = float(p_steady(xi, o.Q))
    y0 = [math.sqrt(p0), 0.0]
    t1 = n_settle * T
    s1 = solve_ivp(o.rhs, (0, t1), y0, args=(Idc, Irf, we), method="DOP853", rtol=1e-9, atol=1e-12, max_step=T / 12)
    tt = t1 + np.arange(0, n_meas) * T
    s2 = solve_ivp(o.rhs, (t1, tt[-1]), s1.y[:, -1], args=(Idc, Irf, we), method="DOP853", rtol=1e-9,
                   atol=1e-12, max_step=T / 12, t_eval=tt)
    psi = np.unwrap(np.angle(s2.y[0] + 1j * s2.y[1]))   # sampled once per drive period
    slip = abs(psi[-1] - psi[0]) / (2 * math.pi)           # number of phase slips
    return slip < 0.5


def edge(o, Idc, Irf, w_in, w_out, iters=14):
    """bisection between a locked w_in and an unlocked w_out"""
    for _ in range(iters):
        wm = 0.5 * (w_in + w_out)
        if is_locked(o, Idc, Irf, wm):
            w_in = wm
        else:
            w_out = wm
    return 0.5 * (w_in + w_out)


def mutual_check(G=2 * math.pi * 10e6, N_hz=-100e6, f0=1e9, Q=2.0, xi=2.0, K=5e6, b=0.7):
    """two identical oscillators, direct coupling f_j = K e^{ib} c_k; find the largest free-frequency
    mismatch that still locks and compare with 2 K |cos b + nu sin b|."""
    w0 = 2 * math.pi * f0
    N = 2 * math.pi * N_hz
    s = G / 1.0
    Idc = xi
    p0 = (xi - 1) / (xi + Q)
    nuv = N * p0 / (G * (xi - 1))
    pred = 2 * K * abs(math.cos(b) + nuv * math.sin(b))
    eib = complex(math.cos(b), math.sin(b))

    def locked(dw):
        def rhs(t, y):
            c1, c2 = y[0] + 1j * y[1], y[2] + 1j * y[3]
            out = []
            for c, cc, wj in ((c1, c2, w0 + dw / 2), (c2, c1, w0 - dw / 2)):
                p = (c * c.conjugate()).real
                d = (-1j * (wj + N * p) - G * (1 + Q * p) + s * Idc * (1 - p)) * c + K * eib * cc
                out += [d.real, d.imag]
            return out
        T = 2 * math.pi / w0
        t_end = 6000 * T
        tt = np.linspace(3000 * T, t_end, 3001)
        sol = solve_ivp(rhs, (0, t_end), [math.sqrt(p0), 0, 0, math.sqrt(p0)], method="DOP853", rtol=1e-9,
                        atol=1e-12, max_step=T / 12, t_eval=tt)
        d = np.unwrap(np.angle(sol.y[0] + 1j * sol.y[1]) - np.angle(sol.y[2] + 1j * sol.y[3]))
        return abs(d[-1] - d[0]) / (2 * math.pi) < 0.5

    lo, hi = 0.5 * pred, 1.5 * pred
    assert locked(lo) and not locked(hi)
    for _ in range(10):
        mid = 0.5 * (lo + hi)
        if locked(mid):
            lo = mid
        else:
            hi = mid
    got = 0.5 * (lo + hi)
    print(f"  mutual locking: nu = {nuv:.4f}, K = {K:.3e} 1/s, b = {b}: max |dw| = {got:.6e} rad/s, "
          f"oracle 2K|cos b + nu sin b| = {pred:.6e} (rel {got/pred-1:+.2e})")


def main(what="all"):
    print("STNO universal-oscillator oracles")
    o = STNO(f0=1e9, N_hz=-200e6, G=2 * math.pi * 10e6, Ith=2e-3, Q=2.0)
    if what in ("dc", "all"):
        for xi in (1.5, 2.0, 4.0):
            check_dc(o, xi)
    if what in ("inject", "all"):
        # injection locking with derivative coupling
        o.kappa = 1.26e10
        Idc, Irf = 4e-3, 0.1e-3
        for chi in (0.0, 1.0):
            o.chi = chi
            w_lo, w_hi, wg, p0 = locking_edges(o.w0, o.N, o.G, o.s, o.Q, Idc, Irf, o.kappa)
            half = 0.5 * (w_hi - w_lo)
            lo = edge(o, Idc, Irf, wg, wg - 3 * (wg - w_lo))
            hi = edge(o, Idc, Irf, wg, wg + 3 * (w_hi - wg))
            print(f"  injection (chi = {chi}): f_g = {wg/2/math.pi/1e9:.6f} GHz, p0 = {p0:.4f}, "
                  f"nu = {nu(o.N, o.G, Idc*o.s/o.G, o.Q):.3f}")
            print(f"    oracle edges {w_lo/2/math.pi/1e6:.4f} .. {w_hi/2/math.pi/1e6:.4f} MHz (half-range "
                  f"{half/2/math.pi/1e6:.4f} MHz)")
            print(f"    ODE    edges {lo/2/math.pi/1e6:.4f} .. {hi/2/math.pi/1e6:.4f} MHz (half-range "
                  f"{(hi-lo)/4/math.pi/1e6:.4f} MHz, rel {(hi-lo)/(2*half)-1:+.2e})")
    if what in ("mutual", "all"):
        mutual_check()
    if what in ("power", "all"):
        # power-only level vs thesis Eq. 5.3
        gamma, Imod = 0.15e9, 0.5e9
        G, sI = gamma / 2, Imod / 2
        f1 = lambda t, x: [-gamma * x[0] + Imod * x[0] * (1 - x[0])]
        f2 = lambda t, x: [-2 * (G * (1 + 0 * x[0]) - sI * (1 - x[0])) * x[0]]
        a = solve_ivp(f1, (0, 50e-9), [0.01], rtol=1e-12, atol=1e-15).y[0, -1]
        b = solve_ivp(f2, (0, 50e-9), [0.01], rtol=1e-12, atol=1e-15).y[0, -1]
        print(f"  power-only level == thesis Eq. 5.3 (gamma = 2G, I = 2 s I): x(50 ns) {a:.12f} vs {b:.12f};"
              f" steady state 1 - gamma/I = {1-gamma/Imod:.6f}")


if __name__ == "__main__":
    import sys
    main(sys.argv[1] if len(sys.argv) > 1 else "all")
