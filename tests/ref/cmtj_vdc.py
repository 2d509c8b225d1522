#!/usr/bin/env python3
"""Rectified ST-FMR voltage of the [001] hybrid MTJ from cmtj 1.15, at given frequencies,
for the spinspice cross-check test (tests/devices_mtj.rs, stfmr_cross_check_with_cmtj).

Same simulation as cmtj_stfmr.py (RK4, dt = T/6400, settle 16/Gamma, average 6/Gamma;
LL-form torques, cmtj efficiency with Lambda = 1, i.e. eta/2 = P/2, P = 0.66,
field-like ratio beta = 0.1, no Oersted field, cmtj's constants).
Prints one line 'VDC <volts>' per frequency, in order.

usage: cmtj_vdc.py --freqs f1,f2,... [--irf 3e-7] [--beta 0.1]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cmtj_stfmr import check_constants, cmtj_vdc  # noqa: E402
from cards import mazza_hybrid  # noqa: E402
from constants import CMTJ  # noqa: E402
from macrospin import equilibrium  # noqa: E402
from stfmr_linear import resonance  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freqs", required=True)
    ap.add_argument("--irf", type=float, default=0.3e-6)
    ap.add_argument("--beta", type=float, default=0.1)
    args = ap.parse_args()
    check_constants()
    ms = mazza_hybrid(beta=args.beta, torque_form="ll", const=CMTJ, P=0.66)
    _, gam = resonance(ms, equilibrium(ms, (0, 0, 1)))
    for f in (float(x) for x in args.freqs.split(",")):
        v = cmtj_vdc(f, args.irf, args.beta, 0.66, (0, 0, 0), 16.0 / gam, 6.0 / gam)
        print(f"VDC {v:.9e}", flush=True)


if __name__ == "__main__":
    main()
