#!/usr/bin/env python3
"""Thermal equipartition oracle (docs/physics/oracles.md Sec. c).

Harmonic (small-angle) result, per transverse principal axis i with stiffness field H_i:
    <m_i^2> = k_B T / (mu0 Ms V H_i)
Exact Boltzmann average on the sphere, <m_i^2> = Int m_i^2 exp(-E V/kT) dOmega / Z, computed by
2-D quadrature (includes the anharmonic correction).  Both are compared with an ensemble of
stochastic-Heun (Stratonovich) trajectories of the explicit LLG with the Brown thermal field

    h_th ~ N(0, sigma^2) per component and step,  sigma^2 = 2 alpha k_B T / (gamma0 mu0 Ms V dt)
    (fields in A/m, gamma0 = gamma mu0; equivalently sigma_B^2 = 2 alpha k_B T/(gamma Ms V dt) in T^2)

entering H_eff in both the precession and the damping term of the explicit form.
"""
import argparse
import math

import numpy as np
from scipy import integrate

from constants import SI
from macrospin import Macrospin


def harmonic(ms, T, H1, H2):
    kT = ms.c.kb * T
    f = ms.c.mu0 * ms.Ms * ms.V
    return kT / (f * H1), kT / (f * H2)


def boltzmann_exact(ms, T, m0_axis=2):
    """<m_x^2>, <m_y^2>, <m_z^2> from the Boltzmann distribution (energy_density * V)."""
    kT = ms.c.kb * T
    V = ms.V
    E0 = ms.energy_density(np.eye(3)[m0_axis])

    def w(th, ph):
        m = np.array([math.sin(th) * math.cos(ph), math.sin(th) * math.sin(ph), math.cos(th)])
        return math.exp(-(ms.energy_density(m) - E0) * V / kT) * math.sin(th), m

    def integ(k):
        def f(th, ph):
            ww, m = w(th, ph)
            return ww * (m[k] ** 2 if k >= 0 else 1.0)
        # the weight is concentrated near theta = 0 and pi (two minima for uniaxial z)
        return integrate.dblquad(f, 0, 2 * math.pi, 0, math.pi, epsabs=0, epsrel=1e-9)[0]

    Z = integ(-1)
    return tuple(integ(k) / Z for k in range(3))


def heun_ensemble(ms, T, m0, nspin=2000, dt=2e-13, nwarm=20000, nrun=100000, every=10, seed=1):
    rng = np.random.default_rng(seed)
    sig = math.sqrt(2 * ms.alpha * ms.c.kb * T / (ms.c.gamma0 * ms.c.mu0 * ms.Ms * ms.V * dt))
    m = np.tile(np.asarray(m0, float), (nspin, 1))
    acc = np.zeros(3)
    nacc = 0
    for step in range(nwarm + nrun):
        h = rng.normal(0.0, sig, size=(nspin, 3))
        f1 = ms.rhs(m, 0.0, Hextra=h)
        mp = m + dt * f1
        f2 = ms.rhs(mp, 0.0, Hextra=h)
        m = m + 0.5 * dt * (f1 + f2)
        m /= np.linalg.norm(m, axis=1)[:, None]
        if step >= nwarm and step % every == 0:
            acc += np.mean(m * m, axis=0)
            nacc += 1
    return acc / nacc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--T", type=float, default=300.0)
    ap.add_argument("--nspin", type=int, default=2000)
    ap.add_argument("--nrun", type=int, default=100000)
    args = ap.parse_args()
    T = args.T
    # elliptic perpendicular free layer: different stiffness on x and y
    Ms, Ku = 1.0e6, 8.0e5
    V = math.pi * 25e-9 * 15e-9 * 1.5e-9
    N = (0.03, 0.06, 0.91)
    ms = Macrospin(Ms=Ms, alpha=0.05, Ku=Ku, kaxis=(0, 0, 1), N=N, V=V, const=SI)
    H0 = ms.HK - Ms * N[2]
    H1, H2 = H0 + Ms * N[0], H0 + Ms * N[1]
    hx, hy = harmonic(ms, T, H1, H2)
    ex = boltzmann_exact(ms, T)
    print(f"perpendicular elliptic layer, T = {T} K, V = {V:.4e} m^3, H1 = {H1:.5e}, H2 = {H2:.5e} A/m")
    print(f"  harmonic  <mx^2> = {hx:.6e}   <my^2> = {hy:.6e}")
    print(f"  Boltzmann <mx^2> = {ex[0]:.6e}   <my^2> = {ex[1]:.6e}   (anharmonic corr. "
          f"{ex[0]/hx-1:+.2e}, {ex[1]/hy-1:+.2e})")
    sim = heun_ensemble(ms, T, (0, 0, 1), nspin=args.nspin, nrun=args.nrun)
    print(f"  stoch. Heun <mx^2> = {sim[0]:.6e} ({sim[0]/ex[0]-1:+.2%} vs Boltzmann),"
          f"  <my^2> = {sim[1]:.6e} ({sim[1]/ex[1]-1:+.2%})")


if __name__ == "__main__":
    main()
