#!/usr/bin/env python3
"""Dynamical STNO neurons in a chain, with and without high-pass filters (seed 002 Eq. 5.3,
6.1, 6.2, Fig. 6.2; docs/physics/systems.md item 5).  Time unit: ns, rates in 1/ns ("GHz").

neuron   dx/dt = -gamma x + I(t) x (1 - x),  gamma = 0.15 /ns          (Eq. 5.3)
filter   dy/dt = -2 pi f_cut y + dx/dt,      f_cut = 0.05 /ns           (Eq. 6.2 = RC high-pass)
input    I_1(t) = b + A sin(2 pi t / T),     A = 1 /ns, T = 10 ns, b = 2 gamma (Sec. 6.9.1 choice)
configurations (Fig. 6.2 c, d, e):
  c  "plain":   I_{n+1} = x_n                       (direct chaining)
  d  "gain":    I_{n+1} = S x_n,          S = 4
  e  "hpf+gain": I_{n+1} = S y_n + b,     S = 4, b = 2 gamma
The thesis gives no numbers for Fig. 6.2; the amplitudes printed here are the reference for the
spinspice netlist built with the same choices (they are stated in systems.md).
Also printed: the small-signal gain of one neuron around x0 = 1/2 (I0 = 2 gamma):
  |dx/dI| = x0 (1 - x0) / sqrt(gamma^2 + w^2)   (= 0.387 for w = 2 pi/10)
"""
import math

import numpy as np
from scipy.integrate import solve_ivp

GAMMA, A, TPER, FCUT, S = 0.15, 1.0, 10.0, 0.05, 4.0
B = 2 * GAMMA
WC = 2 * math.pi * FCUT


def simulate(config, t_end=400.0, x0=0.5):
    w = 2 * math.pi / TPER

    def rhs(t, s):
        x1, x2, x3, y1, y2 = s
        I1 = B + A * math.sin(w * t)
        d1 = -GAMMA * x1 + I1 * x1 * (1 - x1)
        if config == "c":
            I2 = x1
        elif config == "d":
            I2 = S * x1
        else:
            I2 = S * y1 + B
        d2 = -GAMMA * x2 + I2 * x2 * (1 - x2)
        if config == "c":
            I3 = x2
        elif config == "d":
            I3 = S * x2
        else:
            I3 = S * y2 + B
        d3 = -GAMMA * x3 + I3 * x3 * (1 - x3)
        return [d1, d2, d3, -WC * y1 + d1, -WC * y2 + d2]

    tt = np.linspace(t_end - 5 * TPER, t_end, 5001)
    sol = solve_ivp(rhs, (0, t_end), [x0, x0, x0, 0.0, 0.0], method="DOP853", rtol=1e-11, atol=1e-13,
                    t_eval=tt, max_step=0.05)
    out = []
    for k in range(3):
        x = sol.y[k]
        out.append(((x.max() - x.min()) / 2, x.mean()))
    return out


def main():
    w = 2 * math.pi / TPER
    print(f"neuron small-signal gain at x0 = 0.5: {0.25/math.sqrt(GAMMA**2 + w**2):.4f};"
          f" HPF gain |iw/(iw+wc)| = {w/math.sqrt(w**2+WC**2):.4f}")
    for cfg, name in (("c", "plain chaining"), ("d", "gain S=4"), ("e", "high-pass + gain S=4 + bias 2 gamma")):
        res = simulate(cfg)
        print(f"config {cfg} ({name}): " + "; ".join(
            f"layer {k+1}: amplitude {a:.5f}, mean {m:.5f}" for k, (a, m) in enumerate(res)))


if __name__ == "__main__":
    main()
