#!/usr/bin/env python3
"""AMR spin-diode oracle (seed 002 ch. 2, Eq. 2.1-2.13, corrected; docs/physics/oracles.md Sec. e).

Geometry (spinspice frame): film normal z, thin-film demag N = (0,0,1) (Ms -> M_eff), in-plane
field H along x saturating m0 = x, current direction j = (cos P0, sin P0, 0), Oersted field of
the strip's own current h = k I (z x j) (in-plane, perpendicular to j), optional out-of-plane
drive k_z I.  R = R0 + dR (m.j)^2.

Kittel (with damping):  w_d^2 = g0^2 H (H+Meff)/(1+a^2) - Gamma^2,  undamped f = g0/2pi sqrt(H(H+Meff))
Rectified voltage (I(t) = I cos wt, small signal):
    V_dc = 1/2 dR sin(2 P0) I^2 Re{ g0 [ i w k_z + (w2 + i a w) k cos P0 ] / D }
    D = w1 w2 - (1+a^2) w^2 + i a w (w1 + w2),  w1 = g0 H,  w2 = g0 (H + Meff).
"""
import math

import numpy as np
from scipy.integrate import solve_ivp

from constants import SI
from macrospin import Macrospin, linear_response_vdc, kittel_and_linewidth, equilibrium


class AMRStrip(Macrospin):
    def __init__(self, H, Meff, alpha, k, phi0_deg, R0, dR, k_z=0.0, gamma0=None, const=SI):
        jd = np.array([math.cos(math.radians(phi0_deg)), math.sin(math.radians(phi0_deg)), 0.0])
        hdir = np.cross([0, 0, 1.0], jd)
        super().__init__(Ms=Meff, alpha=alpha, Ku=0.0, kaxis=(1, 0, 0), N=(0, 0, 1), Hext=(H, 0, 0),
                         k_oe=k * hdir + np.array([0, 0, k_z]), p=(1, 0, 0), V=1e-20, P=0.0, const=const)
        if gamma0 is not None:
            from constants import ConstSet
            self.c = ConstSet("custom", const.mu0, gamma0, const.hbar, const.e, const.kb)
        self.jd, self.R0, self.dR = jd, R0, dR
        self.k, self.k_z, self.phi0 = k, k_z, math.radians(phi0_deg)

    def resistance(self, m):
        c = np.sum(np.asarray(m) * self.jd, axis=-1)
        return self.R0 + self.dR * c * c

    def dR_dm(self, m):
        return 2 * self.dR * float(np.dot(m, self.jd)) * self.jd


def vdc_closed(s, freqs, I):
    g0, a = s.c.gamma0, s.alpha
    H, M = s.Hext[0], s.Ms
    w1, w2 = g0 * H, g0 * (H + M)
    w = 2 * math.pi * np.asarray(freqs)
    D = w1 * w2 - (1 + a * a) * w ** 2 + 1j * a * w * (w1 + w2)
    u = g0 * (1j * w * s.k_z + (w2 + 1j * a * w) * s.k * math.cos(s.phi0)) / D
    return 0.5 * s.dR * math.sin(2 * s.phi0) * I ** 2 * u.real


def vdc_thesis(s, freqs, I):
    """thesis Eq. 2.10-2.11 (anti-Lorentzian with Delta H, phi = 0, h_y = k I cos P0)"""
    g0, a = s.c.gamma0, s.alpha
    wH, wM = g0 * s.Hext[0], g0 * s.Ms
    wr = math.sqrt(wH * (wH + wM))
    w = 2 * math.pi * np.asarray(freqs)
    dH = a * w * (2 * wH + wM) / (wr + w)
    Ayy = wM * (wH + wM) / (a * w * (2 * wH + wM))
    chi_r = Ayy * (wr - w) * dH / ((wr - w) ** 2 + dH ** 2)       # Re chi_yy (in units of Ms)
    # V = dR sin(2P0) <m_y I>, m_y/Ms = chi h: V_dc = 1/2 dR sin 2P0 (chi_r/Ms) h I with h = k cosP0 I
    return 0.5 * s.dR * math.sin(2 * s.phi0) * (chi_r / s.Ms) * s.k * math.cos(s.phi0) * I ** 2


def vdc_ode(s, f, I, settle, tavg):
    w = 2 * math.pi * f
    T = 1 / f
    t_s = math.ceil(settle / T) * T
    t_e = t_s + math.ceil(tavg / T) * T

    def rhs(t, y):
        cur = I * math.cos(w * t)
        return np.concatenate([s.rhs(y[:3], cur), [s.resistance(y[:3]) * cur]])
    kw = dict(method="DOP853", rtol=1e-11, atol=1e-14, max_step=T / 8)
    y = solve_ivp(rhs, (0, t_s), [1.0, 0, 0, 0], **kw).y[:, -1]
    y[3] = 0
    y = solve_ivp(rhs, (t_s, t_e), y, **kw).y[:, -1]
    return y[3] / (t_e - t_s)


def main():
    gamma0_py = 2 * math.pi * 29.4e9 * SI.mu0   # g ~ 2.10 (see parameters.md)
    Meff = 0.968 / SI.mu0                       # mu0 Meff = 0.968 T (seed 002 Fig. 2.8)
    print("Kittel law, mu0 Meff = 0.968 T, gamma/2pi = 29.4 GHz/T, alpha = 0.01")
    print(f"{'mu0H [mT]':>10} {'f_K [GHz]':>12} {'f_d [GHz]':>12} {'f_lin (Jacobian) [GHz]':>22}")
    for B in (2.0, 5.0, 10.0, 15.0, 20.0, 25.0):
        H = B * 1e-3 / SI.mu0
        s = AMRStrip(H, Meff, 0.01, 6e4, 45.0, 100.0, 0.5, gamma0=gamma0_py)
        fK = gamma0_py * math.sqrt(H * (H + Meff)) / 2 / math.pi
        wd, Gam = kittel_and_linewidth(H, H + Meff, 0.01, gamma0_py)
        from macrospin import jacobian, tangent_basis
        e1, e2 = tangent_basis(np.array([1.0, 0, 0]))
        ev = np.linalg.eigvals(jacobian(s, np.array([1.0, 0, 0]), 0.0, e1, e2))
        print(f"{B:10.1f} {fK/1e9:12.6f} {wd/2/math.pi/1e9:12.6f} {abs(ev.imag).max()/2/math.pi/1e9:22.6f}")

    # spectrum at 10 mT: closed form vs general linear response vs ODE, and the thesis form
    B = 10.0
    H = B * 1e-3 / SI.mu0
    I = 20e-6
    for phi0 in (45.0, -45.0):
        s = AMRStrip(H, Meff, 0.01, 6e4, phi0, 100.0, 0.5, gamma0=gamma0_py)
        wd, Gam = kittel_and_linewidth(H, H + Meff, 0.01, gamma0_py)
        fr = wd / 2 / math.pi
        freqs = fr + Gam / 2 / math.pi * np.array([-4, -2, -1, 0, 1, 2, 4])
        vc = vdc_closed(s, freqs, I)
        vl = linear_response_vdc(s, np.array([1.0, 0, 0]), freqs, I)
        vt = vdc_thesis(s, freqs, I)
        peak = np.max(np.abs(vc))
        print(f"\nAMR diode, mu0H = {B} mT, Phi0 = {phi0} deg, I_rf = {I*1e6} uA: f_r = {fr/1e9:.6f} GHz,"
              f" half-width {Gam/2/math.pi/1e6:.3f} MHz")
        print(f"{'f [GHz]':>10} {'closed [V]':>13} {'linear [V]':>13} {'ode [V]':>13} {'(ode-c)/pk':>11} {'thesis 2.11':>13}")
        for i, f in enumerate(freqs):
            vo = vdc_ode(s, f, I, 16 / Gam, 6 / Gam)
            print(f"{f/1e9:10.6f} {vc[i]:13.5e} {vl[i]:13.5e} {vo:13.5e} {(vo-vc[i])/peak:11.2e} {vt[i]:13.5e}")


if __name__ == "__main__" and len(__import__("sys").argv) == 1:
    main()


def gamma_consistency():
    """Which gamma makes mu0 Meff = 0.968 T consistent with the chain design numbers of seed 002
    (gradient 13.87 uT/um, synapse spacings 175/216/245 um for 1.75/2.25/2.75/3.25 GHz, 'typical'
    175 MHz/mT, Sec. 3.4.2 and 3.6)?"""
    M = 0.968
    fs = np.array([1.75, 2.25, 2.75, 3.25]) * 1e9
    meas = np.array([175.0, 216.0, 245.0])
    for gam in (28.0249514e9, 29.4e9, 29.5e9):
        B = [(-M + math.sqrt(M * M + 4 * (f / gam) ** 2)) / 2 for f in fs]       # B(B+M) = (f/gam)^2
        sp = np.diff(B) / 13.87e-6
        slope = gam * (2 * B[1] + M) / (2 * math.sqrt(B[1] * (B[1] + M))) / 1e9  # MHz/mT at 2.25 GHz
        print(f"  gamma/2pi = {gam/1e9:.4f} GHz/T: resonance fields {np.round(np.array(B)*1e3, 3)} mT,"
              f" spacings {np.round(sp, 1)} um (thesis 175, 216, 245), df/dB at 2.25 GHz = {slope:.0f} MHz/mT (thesis ~175)")


if __name__ == "__main__" and len(__import__("sys").argv) > 1 and __import__("sys").argv[1] == "gamma":
    gamma_consistency()
