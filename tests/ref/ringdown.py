#!/usr/bin/env python3
"""Ringdown oracle (docs/physics/oracles.md Sec. a): precession frequency and decay rate of
the linearised LLG for a perpendicular and an in-plane free layer, checked against a direct
integration of the full LLG (scipy DOP853, rtol 1e-12) with a 2-mode Prony fit.

Exact linearised eigenvalues (stiffness fields H1, H2 along the two transverse axes):
    lambda = -Gamma +- i w_d
    Gamma = alpha g0 (H1+H2) / (2 (1+alpha^2))
    w_d   = g0 sqrt(4 (1+alpha^2) H1 H2 - alpha^2 (H1+H2)^2) / (2 (1+alpha^2))
Undamped Kittel: w_K = g0 sqrt(H1 H2).  Extraction of alpha from a measured (w_d, Gamma):
    r = Gamma/w_d,  alpha = 2 r sqrt(H1 H2) / sqrt((H1+H2)^2 (1+r^2) - 4 r^2 H1 H2)
"""
import math

import numpy as np
from scipy.integrate import solve_ivp

from constants import SI
from macrospin import Macrospin, kittel_and_linewidth


def alpha_from_measurement(wd, Gam, H1, H2):
    r = Gam / wd
    return 2 * r * math.sqrt(H1 * H2) / math.sqrt((H1 + H2) ** 2 * (1 + r * r) - 4 * r * r * H1 * H2)


def prony2(x, dt):
    """complex exponent lambda of a real damped sinusoid x[n] (least squares, 2 modes)."""
    A = np.column_stack([x[1:-1], x[:-2]])
    c, *_ = np.linalg.lstsq(A, x[2:], rcond=None)
    z = np.roots([1.0, -c[0], -c[1]])
    lam = np.log(z.astype(complex)) / dt
    return lam[np.argmax(lam.imag)]


def run(name, ms, m0, e_obs, H1, H2, tilt=1e-4, periods=40):
    wd, Gam = kittel_and_linewidth(H1, H2, ms.alpha, ms.c.gamma0)
    wK = ms.c.gamma0 * math.sqrt(H1 * H2)
    T = 2 * math.pi / wd
    m_init = m0 + tilt * e_obs
    m_init /= np.linalg.norm(m_init)
    t_eval = np.arange(0, periods * T, T / 50)
    sol = solve_ivp(lambda t, y: ms.rhs(y), (0, t_eval[-1]), m_init, method="DOP853",
                    rtol=1e-12, atol=1e-15, t_eval=t_eval, max_step=T / 20)
    x = sol.y.T @ e_obs
    lam = prony2(x - 0.0, t_eval[1] - t_eval[0])
    norm_dev = np.max(np.abs(np.linalg.norm(sol.y, axis=0) - 1))
    a_ext = alpha_from_measurement(lam.imag, -lam.real, H1, H2)
    print(f"\n--- {name}: H1 = {H1:.6e} A/m, H2 = {H2:.6e} A/m, alpha = {ms.alpha}")
    print(f"  Kittel (undamped)  f_K = {wK/2/math.pi/1e9:.9f} GHz")
    print(f"  oracle  f_d = {wd/2/math.pi/1e9:.9f} GHz  (f_d/f_K - 1 = {wd/wK-1:.3e}),  Gamma = {Gam:.9e} 1/s,"
          f"  Gamma/w_d = {Gam/wd:.6e} (alpha = {ms.alpha})")
    print(f"  LLG     f_d = {lam.imag/2/math.pi/1e9:.9f} GHz  (rel. err {lam.imag/wd-1:.2e}),"
          f"  Gamma = {-lam.real:.9e} (rel. err {-lam.real/Gam-1:.2e}),  |m|-1 max {norm_dev:.1e}")
    print(f"  alpha extracted with the elliptic formula: {a_ext:.6f} (naive Gamma/w_d = {-lam.real/lam.imag:.6f})")
    return wd, Gam, lam


def main():
    # (1) perpendicular free layer, circular cross-section (Nx = Ny): circular precession,
    #     Gamma = alpha * w_d exactly, w_d = g0 H0/(1+alpha^2)
    Ms, Ku = 1.0e6, 8.0e5
    ms = Macrospin(Ms=Ms, alpha=0.01, Ku=Ku, kaxis=(0, 0, 1), N=(0.02, 0.02, 0.96), Hext=(0, 0, 5e4), const=SI)
    H0 = ms.Hext[2] + ms.HK - ms.Ms * (ms.N[2] - ms.N[0])
    run("perpendicular (m0 = z, Nx = Ny)", ms, np.array([0, 0, 1.0]), np.array([1.0, 0, 0]), H0, H0)

    # (2) in-plane free layer, thin film N = (0,0,1), easy axis x, field along x
    Ms, Ku, H = 8.0e5, 5.0e3, 2.0e4
    ms = Macrospin(Ms=Ms, alpha=0.01, Ku=Ku, kaxis=(1, 0, 0), N=(0, 0, 1), Hext=(H, 0, 0), const=SI)
    H1 = H + ms.HK                  # in-plane transverse (y) stiffness
    H2 = H + ms.HK + Ms             # out-of-plane (z) stiffness
    run("in-plane (m0 = x, thin film)", ms, np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), H1, H2)

    # (3) Mazza hybrid at zero field (elliptic demag)
    from cards import mazza_hybrid
    ms = mazza_hybrid(P=0.0)
    H0 = ms.HK - ms.Ms * ms.N[2]
    run("Mazza hybrid free layer (m0 = z, elliptic N)", ms, np.array([0, 0, 1.0]), np.array([1.0, 0, 0]),
        H0 + ms.Ms * ms.N[0], H0 + ms.Ms * ms.N[1])


if __name__ == "__main__":
    main()
