#!/usr/bin/env python3
"""Generate the RF detector-chain benchmark netlist (issue 2, section 5).

Three series SIN sources (1, 2.4, 5 GHz) drive, through 50 ohm, an N-section
RLC ladder (series 1 nH + 0.5 ohm, shunt 0.4 pF: Z0 = 50 ohm, cutoff ~16 GHz)
terminated in 50 ohm. Every section node is tapped by a Schottky detector
(diode + 10 pF || 10 kohm to ground). 50 ns transient, tmax 10 ps, reltol 1e-3.

The same file runs unmodified in spinspice and ngspice.

usage: detector_chain.py N [out.cir] [--probes K]
"""
import sys


def probes(n, k=4):
    """Indices of the detectors whose output is saved and compared."""
    if n <= k:
        return list(range(1, n + 1))
    return sorted({1, n // 3, 2 * n // 3, n})


def netlist(n):
    p = probes(n)
    lines = [
        f"RF detector chain, N = {n} sections",
        "* three tones in series, 50 ohm source",
        "V1 s1 0 SIN(0 0.3 1g)",
        "V2 s2 s1 SIN(0 0.3 2.4g)",
        "V3 s3 s2 SIN(0 0.3 5g)",
        "Rs s3 n0 50",
        ".model dsch D(IS=5e-6 N=1.05 RS=10 CJO=0.1p VJ=0.35 M=0.5 EG=0.69 XTI=2)",
    ]
    for k in range(1, n + 1):
        lines += [
            f"L{k} n{k-1} m{k} 1n",
            f"R{k} m{k} n{k} 0.5",
            f"C{k} n{k} 0 0.4p",
            f"D{k} n{k} d{k} dsch",
            f"Cd{k} d{k} 0 10p",
            f"Rd{k} d{k} 0 10k",
        ]
    lines += [
        f"Rterm n{n} 0 50",
        ".options reltol=1e-3",
        ".save " + " ".join(f"v(d{k})" for k in p),
        ".tran 10p 50n 0 10p",
        ".end",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    n = int(sys.argv[1])
    text = netlist(n)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
