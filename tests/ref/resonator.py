#!/usr/bin/env python3
"""Behavioural spin-diode resonator oracle (seed 000 Eq. 4-5; docs/physics/devices.md Sec. 4,
oracles.md Sec. f).

Seed 000 Eq. 4:  V = P f (f - f_r) / (alpha^2 f_r^2 + (f - f_r)^2) * A         (= P W(f))

Device realisation (two real internal states z = x + i y, current-derivative drive, R modulation):
    dz/dt = (i w_r - G) z - i (G/w_r) dI/dt,     G = alpha w_r,  w_r = 2 pi f_r
    R     = R0 + (2 R0 A / alpha) Re[e^{i psi} z]
Exact time-averaged DC voltage for I(t) = I cos(w t) (the device is exactly quadratic in I):
    V_dc = P A w [ (D sin psi + G cos psi)/(G^2 + D^2) + (S sin psi - G cos psi)/(G^2 + S^2) ]
    P = R0 I^2 / 2,  D = w - w_r,  S = w + w_r.
psi = 90 deg:  V_dc = P [W(f) + W(-f)]  -- Eq. 4 plus its mirror image at -f_r, which no causal
linear time-invariant realisation can remove (proof in devices.md Sec. 4.3).
"""
import math

import numpy as np
from scipy.integrate import solve_ivp


def W(f, fr, alpha, A):
    """seed 000 Eq. 5 (weight, V per W of RF power)"""
    return A * f * (f - fr) / (alpha ** 2 * fr ** 2 + (f - fr) ** 2)


def W_ross(f, fr, alpha, KSD):
    """Ross 2023 code (rf_spintronic_nn networks.py): 2 alpha f_r (f - f_r)/((alpha f_r)^2+(f-f_r)^2) K_SD"""
    return 2 * alpha * fr * (f - fr) / ((alpha * fr) ** 2 + (f - fr) ** 2) * KSD


def vdc_device(P, f, fr, alpha, A, psi=math.pi / 2):
    w, wr = 2 * math.pi * np.asarray(f, float), 2 * math.pi * fr
    G = alpha * wr
    D, S = w - wr, w + wr
    return P * A * w * ((D * math.sin(psi) + G * math.cos(psi)) / (G ** 2 + D ** 2)
                        + (S * math.sin(psi) - G * math.cos(psi)) / (G ** 2 + S ** 2))


def vdc_device_ode(P, f, fr, alpha, A, R0=50.0, psi=math.pi / 2, nsettle=None, nper=200):
    """integrate the device equations with I(t) = I cos(wt), average R(t) I(t)"""
    I = math.sqrt(2 * P / R0)
    w, wr = 2 * math.pi * f, 2 * math.pi * fr
    G = alpha * wr
    kap = 2 * R0 * A / alpha
    e = complex(math.cos(psi), math.sin(psi))
    T = 1 / f
    nsettle = nsettle or int(math.ceil(25 / G / T))

    def rhs(t, y):
        z = y[0] + 1j * y[1]
        cur = I * math.cos(w * t)
        dI = -I * w * math.sin(w * t)
        dz = (1j * wr - G) * z - 1j * (G / wr) * dI
        R = R0 + kap * (e * z).real
        return [dz.real, dz.imag, R * cur]

    kw = dict(method="DOP853", rtol=1e-11, atol=1e-16, max_step=T / 10)
    y = solve_ivp(rhs, (0, nsettle * T), [0, 0, 0], **kw).y[:, -1]
    y[2] = 0
    y = solve_ivp(rhs, (nsettle * T, (nsettle + nper) * T), y, **kw).y[:, -1]
    return y[2] / (nper * T)


def main():
    fr, alpha, A = 1e9, 0.01, 1e-6 / 1e-6   # A = 1 uV/uW = 1 V/W
    print("seed 000 Fig. 6b / Eq. 4: f_res = 1 GHz, alpha = 0.01, A = 1 uV/uW")
    x_max = alpha * (alpha + math.sqrt(1 + alpha ** 2))
    x_min = alpha * (alpha - math.sqrt(1 + alpha ** 2))
    print(f"  extrema of W: f = {fr*(1+x_max)/1e9:.7f} GHz -> {W(fr*(1+x_max), fr, alpha, A):.4f} uV/uW;"
          f"  f = {fr*(1+x_min)/1e9:.7f} GHz -> {W(fr*(1+x_min), fr, alpha, A):.4f} uV/uW")
    freqs = fr * (1 + alpha * np.array([-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3]))
    print(f"  {'f [GHz]':>9} " + " ".join(f"{'P='+str(p)+'uW':>11}" for p in (0.2, 0.4, 0.6, 0.8, 1.0)) + "   [uV]")
    for f in freqs:
        print(f"  {f/1e9:9.4f} " + " ".join(f"{p*W(f, fr, alpha, A):11.4f}" for p in (0.2, 0.4, 0.6, 0.8, 1.0)))
    print("\ndevice realisation (psi = 90 deg): exact V_dc = P[W(f) + W(-f)], P = 1 uW")
    print(f"  {'f [GHz]':>9} {'Eq.4 [uV]':>11} {'device [uV]':>12} {'ODE [uV]':>12} {'(dev-Eq4)/peak':>15} {'(ODE-dev)/peak':>15}")
    peak = W(fr * (1 + x_max), fr, alpha, A)
    P = 1e-6
    for f in freqs:
        v4 = P * W(f, fr, alpha, A)
        vd = float(vdc_device(P, f, fr, alpha, A))
        vo = vdc_device_ode(P, f, fr, alpha, A)
        print(f"  {f/1e9:9.4f} {v4*1e6:11.5f} {vd*1e6:12.5f} {vo*1e6:12.5f} {(vd-v4)/(P*peak):15.3e} {(vo-vd)/(P*peak):15.3e}")
    print("\n  mirror term W(-f_r) = %.6f uV/uW = %.3f %% of the peak (alpha/(1+alpha) ~ %.3f %%)"
          % (W(-fr, fr, alpha, A), 100 * W(-fr, fr, alpha, A) / peak, 100 * alpha / (1 + alpha)))
    print("\nsymmetric-Lorentzian setting psi = 0, P = 1 uW:")
    for f in freqs[[0, 4, 8]]:
        print(f"  f = {f/1e9:.4f} GHz: exact {vdc_device(P, f, fr, alpha, A, 0.0)*1e6:10.5f} uV, "
              f"ODE {vdc_device_ode(P, f, fr, alpha, A, psi=0.0)*1e6:10.5f} uV")
    # Ross normalisation: K_SD = tan(pi/4)/(8 sqrt 2)/I_th, I_th = 10 uA -> V per W (P in uW, V in V)
    KSD = math.tan(math.pi / 4) / (8 * math.sqrt(2)) / 10.0   # [V/uW] as used in the code
    print(f"\nRoss 2023 kernel: K_SD = {KSD:.6e} V/uW; peak 2 alpha f_r d/(..) = 1 at d = alpha f_r ->"
          f" {KSD*1e3:.4f} mV per uW.  Equivalent seed-000 A = 2 alpha K_SD = {2*alpha*KSD*1e6:.3f} uV/uW")


if __name__ == "__main__" and len(__import__("sys").argv) == 1:
    main()


def vdc_device_current(P, f, fr, alpha, KSD, psi=math.pi / 2):
    """drive = current option (devices.md Eq. 4.7): V_dc = P [W_R(f) + W_R(-f)] at psi = 90 deg"""
    w, wr = 2 * math.pi * np.asarray(f, float), 2 * math.pi * fr
    G = alpha * wr
    D, S = w - wr, w + wr
    return P * KSD * 2 * G * ((D * math.sin(psi) + G * math.cos(psi)) / (G ** 2 + D ** 2)
                              - (S * math.sin(psi) - G * math.cos(psi)) / (G ** 2 + S ** 2))


def vdc_device_current_ode(P, f, fr, alpha, KSD, R0=50.0, psi=math.pi / 2, Idc=0.0, nper=200):
    I = math.sqrt(2 * P / R0)
    w, wr = 2 * math.pi * f, 2 * math.pi * fr
    G = alpha * wr
    e = complex(math.cos(psi), math.sin(psi))
    T = 1 / f
    ns = int(math.ceil(25 / G / T))

    def rhs(t, y):
        z = y[0] + 1j * y[1]
        cur = Idc + I * math.cos(w * t)
        dz = (1j * wr - G) * z + G * cur
        R = R0 + 4 * R0 * KSD * (e * z).real
        return [dz.real, dz.imag, R * cur]
    kw = dict(method="DOP853", rtol=1e-11, atol=1e-16, max_step=T / 10)
    y = solve_ivp(rhs, (0, ns * T), [0, 0, 0], **kw).y[:, -1]
    y[2] = 0
    y = solve_ivp(rhs, (ns * T, (ns + nper) * T), y, **kw).y[:, -1]
    return y[2] / (nper * T) - R0 * Idc


if __name__ == "__main__" and len(__import__("sys").argv) > 1 and __import__("sys").argv[1] == "current":
    fr, alpha, KSD = 1e9, 0.01, 8.838835e3   # V/W  (8.84 mV/uW)
    P = 1e-6
    print("drive = current option (Ross kernel), P = 1 uW, f_res = 1 GHz, alpha = 0.01")
    for f in fr * (1 + alpha * np.array([-3, -1, 0, 1, 3])):
        wr_ = W_ross(f / 1e9, fr / 1e9, alpha, KSD) * P
        print(f"  f = {f/1e9:.3f} GHz: W_R P = {wr_*1e3:9.5f} mV, exact (4.7) = {vdc_device_current(P, f, fr, alpha, KSD)*1e3:9.5f} mV,"
              f" ODE = {vdc_device_current_ode(P, f, fr, alpha, KSD)*1e3:9.5f} mV")
    v0 = vdc_device_current_ode(P, fr * 1.01, fr, alpha, KSD, Idc=1e-6)
    print(f"  with I_dc = 1 uA: ODE {v0*1e3:.6f} mV (DC artefact -4 R0 K_SD alpha I_dc^2 = "
          f"{-4*50*KSD*alpha*1e-12*1e3:.3e} mV)")
