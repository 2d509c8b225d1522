#!/usr/bin/env python3
"""Demagnetizing factors of a uniformly magnetized elliptic cylinder (macrospin N tensor).

Semi-axes a (x), b (y), thickness t (z).  Fourier-space result (derivation in
docs/physics/oracles.md, Sec. g):

  N_zz = 1/(4 pi) Int_0^inf dq Int_0^2pi dphi  q (2 J1(q)/q)^2  X(kappa t)
  N_xx = 1/(4 pi) Int Int q (2 J1(q)/q)^2 [cos^2 phi/(a^2 s)] (1 - X)
  N_yy = 1/(4 pi) Int Int q (2 J1(q)/q)^2 [sin^2 phi/(b^2 s)] (1 - X)

  s(phi) = cos^2 phi/a^2 + sin^2 phi/b^2,  kappa = q sqrt(s),  X(x) = (1 - e^-x)/x.

Checks printed: trace = 1; circular cylinder with height = diameter (N_z = 0.3116,
Chen-Brug-Goldfarb magnetometric factor); thin-film limit t -> 0 gives N = (0, 0, 1).
"""
import math
import sys

import numpy as np
from scipy import integrate, special


def _q_integral(fun, fun_tail, nchunks=200):
    """Int_0^inf fun(q) dq: exact quadrature between Bessel half-periods up to Q = nchunks*pi,
    then the non-oscillatory tail with J1(q)^2 replaced by its average 1/(pi q)."""
    total = 0.0
    edges = np.concatenate([[0.0, 1.0], np.pi * np.arange(1, nchunks + 1)])
    for lo, hi in zip(edges[:-1], edges[1:]):
        total += integrate.quad(fun, lo, hi, epsabs=1e-15, epsrel=1e-12, limit=200)[0]
    total += integrate.quad(fun_tail, edges[-1], np.inf, epsabs=1e-15, epsrel=1e-10, limit=200)[0]
    return total


def demag_elliptic_cylinder(a, b, t):
    def integrand(q, phi, comp):
        s = math.cos(phi) ** 2 / a ** 2 + math.sin(phi) ** 2 / b ** 2
        x = q * math.sqrt(s) * t
        X = -math.expm1(-x) / x if x > 1e-12 else 1.0 - 0.5 * x
        jj = (2.0 * special.j1(q) / q) if q > 1e-12 else 1.0
        base = q * jj * jj / (4.0 * math.pi)
        if comp == "z":
            return base * X
        wgt = (math.cos(phi) ** 2 / (a ** 2 * s)) if comp == "x" else (math.sin(phi) ** 2 / (b ** 2 * s))
        return base * wgt * (1.0 - X)

    def tail(q, phi, comp):
        # integrand with J1(q)^2 -> 1/(pi q): base = 1/(pi^2 q^2)
        s = math.cos(phi) ** 2 / a ** 2 + math.sin(phi) ** 2 / b ** 2
        x = q * math.sqrt(s) * t
        X = -math.expm1(-x) / x
        base = 1.0 / (math.pi ** 2 * q * q)
        if comp == "z":
            return base * X
        wgt = (math.cos(phi) ** 2 / (a ** 2 * s)) if comp == "x" else (math.sin(phi) ** 2 / (b ** 2 * s))
        return base * wgt * (1.0 - X)

    out = []
    for comp in "xyz":
        def fphi(phi):
            return _q_integral(lambda q: integrand(q, phi, comp), lambda q: tail(q, phi, comp))
        val = 4.0 * integrate.quad(fphi, 0.0, math.pi / 2, epsabs=1e-12, epsrel=1e-10, limit=100)[0]
        out.append(val)
    return tuple(out)


if __name__ == "__main__":
    a, b, t = (float(x) for x in sys.argv[1:4]) if len(sys.argv) >= 4 else (75e-9, 30e-9, 1.63e-9)
    N = demag_elliptic_cylinder(a, b, t)
    print(f"elliptic cylinder a={a:g} b={b:g} t={t:g}: N = ({N[0]:.7f}, {N[1]:.7f}, {N[2]:.7f}), trace = {sum(N):.7f}")
    Nc = demag_elliptic_cylinder(1.0, 1.0, 2.0)
    print(f"check: circular cylinder h = 2R: N_z = {Nc[2]:.5f} (Chen-Brug-Goldfarb 1991: 0.3116), trace {sum(Nc):.6f}")
