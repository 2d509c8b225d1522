#!/usr/bin/env python3
"""Steady state of the [001] hybrid free layer under a DC current, computed by cmtj 1.15 in its own
conventions (for tests/spin_params.rs, the conventions table of docs/spin_devices.md).

cmtj's inputs, as a cmtj user writes them: Ms as mu0*Ms in tesla (cmtj's mu0 = 12.566e-7),
anisotropy K [J/m^3], STT layer (createSTTLayer: torques in Landau-Lifshitz form, efficiency
P*L^2/(L^2+1+(L^2-1) m.p), here L = 1, i.e. P/2), field-like ratio beta, current DENSITY
j = I/area, reference layer p. The layer starts at +z and runs with the constant current until
the magnetization is at rest (RK4, 0.5 ps steps, 200 ns: > 30 relaxation times; a fixed point
of the ODE is a fixed point of RK4, so the step does not bias the state).

usage: cmtj_conventions.py I1 [I2 ...]   (junction currents [A], spinspice/cmtj sign)
prints: 'M <I> <mx> <my> <mz>' per current
"""
import math
import sys

import numpy as np
from cmtj import CVector, Junction, Layer, constantDriver

MS_T = 1.19377            # mu0*Ms [T] (cmtj input)
KU = 5.45e5               # [J/m^3], axis z
N = (0.013004, 0.047318, 0.939679)
AREA, THICK = 7.0686e-15, 1.63e-9
ALPHA, P, BETA = 0.02, 0.66, 0.1


def steady(i):
    demag = [CVector(N[0], 0, 0), CVector(0, N[1], 0), CVector(0, 0, N[2])]
    lay = Layer.createSTTLayer("free", CVector(0, 0, 1), CVector(0, 0, 1), MS_T, THICK, AREA,
                               demag, ALPHA, 1.0, BETA, P)
    lay.setReferenceLayer(CVector(-1, 0, 0))
    j = Junction([lay], 640.0, 1200.0)
    j.setLayerAnisotropyDriver("free", constantDriver(KU))
    j.setLayerCurrentDriver("free", constantDriver(i / AREA))
    j.runSimulation(200e-9, 5e-13, 1e-9)
    log = j.getLog()
    m = np.array([log["free_mx"][-1], log["free_my"][-1], log["free_mz"][-1]])
    # at rest: the last two logged points agree
    prev = np.array([log["free_mx"][-2], log["free_my"][-2], log["free_mz"][-2]])
    assert np.max(np.abs(m - prev)) < 1e-9, (i, m, prev)
    return m / np.linalg.norm(m)


def main():
    for a in sys.argv[1:]:
        i = float(a)
        m = steady(i)
        print("M", repr(i), *(repr(float(v)) for v in m), flush=True)


if __name__ == "__main__":
    main()
