#!/usr/bin/env python3
"""Accuracy and cost of the macrospin tolerance options (issue 11 §3; BENCHMARKS.md,
docs/spin_devices.md).

For each setting, the measurement test `accuracy_cost_table` (tests/devices_mtj.rs) runs the
ST-FMR rectified voltage of the [001] geometry through a bias tee at 7 frequencies over
+-4 half-widths (damping-like and field-like torque, 14 transients of 56 ns) against linear
response, and the two ringdowns of oracles.md Sec. a against the damped-mode frequency; it
reports the worst errors, the accepted steps and the CPU time. In the same run, cmtj 1.15 computes
the 5-point ST-FMR sweep of the cmtj cross-check (RK4 at T/6400, tests/ref/cmtj_vdc.py) for a
cost reference.

usage: benches/spin_accuracy.py [--no-cmtj] [SETTING ...]
  (SETTING: text for the device line, e.g. "mreltol=1e-6", or ".options reltol=1e-4";
   "" is the default)
"""
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = ["", "mreltol=1e-5", "mreltol=3e-6", "mreltol=1e-6", "mreltol=3e-7", "mreltol=1e-7",
           "mreltol=3e-8", "mabstol=1e-10", "mabstol=1e-18", ".options reltol=1e-4",
           ".options method=gear"]


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    args = sys.argv[1:]
    cmtj = "--no-cmtj" not in args
    settings = [a for a in args if a != "--no-cmtj"] or DEFAULT
    env = dict(os.environ, SPINSPICE_ACC=";".join(settings))
    subprocess.run(["cargo", "build", "--release", "--tests", "-q"], cwd=ROOT, check=True)
    out = subprocess.run(["cargo", "test", "--release", "-q", "--test", "devices_mtj",
                          "accuracy_cost_table", "--", "--ignored", "--nocapture"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    for line in out.stderr.splitlines():
        if line.startswith("|"):
            print(line)
    if out.returncode != 0:
        print(out.stderr[-2000:])
        sys.exit(1)
    if cmtj:
        py = os.environ.get("SPINSPICE_PYTHON", "python3")
        fr, hw = 1.626860e9 * (220880.0 / (1.76085963023e11 * 1.25663706212e-6)), 2.167846e8 / 6.283185307
        freqs = ",".join(f"{fr + k * hw:.6e}" for k in (-3, -1, 0, 1, 3))
        c0, t0 = child_cpu(), time.time()
        subprocess.run([py, os.path.join(ROOT, "tests/ref/cmtj_vdc.py"), "--freqs", freqs],
                       check=True, capture_output=True)
        print(f"\ncmtj 1.15, 5-point ST-FMR sweep (RK4, dt = T/6400, settle 16/Gamma + 6/Gamma): "
              f"CPU {child_cpu() - c0:.2f} s, wall {time.time() - t0:.2f} s")


if __name__ == "__main__":
    main()
