"""Model cards used by the reference scripts (values and citations: docs/physics/parameters.md)."""
import math

from constants import SI, CMTJ
from macrospin import Macrospin

# Demagnetizing factors of the 150 x 60 x 1.63 nm^3 elliptic cylinder (seed 001 Sec. II),
# computed by demag.py (Fourier-space integral, checked against the circular-cylinder
# magnetometric value 0.3116 for height = diameter); trace 1 + 1e-6.
MAZZA_N = (0.013004, 0.047318, 0.939679)
MAZZA_A, MAZZA_B, MAZZA_T = 75e-9, 30e-9, 1.63e-9         # semi-axes and thickness [m]
MAZZA_AREA = math.pi * MAZZA_A * MAZZA_B                   # 7.0686e-15 m^2
MAZZA_V = MAZZA_AREA * MAZZA_T                             # 1.1522e-23 m^3


def mazza_hybrid(beta=0.1, torque_form="ll", const=SI, stt_kind="const", P=0.66, k_oe=(0, 0, 0),
                 N=MAZZA_N, Hext=(0, 0, 0)):
    """Seed 001 hybrid MTJ: perpendicular CoFeB free layer, in-plane polarizer along -x.

    Ms = 9.5e5 A/m, Ku = 5.45e5 J/m^3 (axis z), alpha = 0.02, eta_T = 0.66, q = 0.1,
    R_P = 640 Ohm, R_AP = 1200 Ohm, 150 x 60 nm^2 ellipse, t_FL = 1.63 nm.
    stt_kind="const" with P=0.66 gives aJ = hbar*0.66*I/(2 e mu0 Ms V) (standard prefactor).
    """
    return Macrospin(Ms=9.5e5, alpha=0.02, Ku=5.45e5, kaxis=(0, 0, 1), N=N, Hext=Hext,
                     k_oe=k_oe, p=(-1, 0, 0), V=MAZZA_V, stt_kind=stt_kind, P=P, eta=0.66,
                     beta=beta, torque_form=torque_form, RP=640.0, RAP=1200.0, const=const)


def inplane_mtj(beta=0.0, torque_form="gilbert", const=SI, theta_H_deg=30.0, H=40e3):
    """Generic in-plane MTJ test case (chosen, not from a seed): elliptic free layer
    with easy axis x, polarizer +x, field H in-plane at theta_H from x.  Used to test the
    general (numerical-Jacobian) linear-response oracle away from the closed-form geometry."""
    th = math.radians(theta_H_deg)
    return Macrospin(Ms=1.0e6, alpha=0.01, Ku=2.0e4, kaxis=(1, 0, 0), N=(0.02, 0.05, 0.93),
                     Hext=(H * math.cos(th), H * math.sin(th), 0.0), p=(1, 0, 0),
                     V=math.pi * 60e-9 * 30e-9 * 2e-9, stt_kind="const", P=0.6, beta=beta,
                     torque_form=torque_form, RP=500.0, RAP=1000.0, const=const)
