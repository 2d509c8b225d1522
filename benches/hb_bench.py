#!/usr/bin/env python3
"""Harmonic balance against the transient, in one run (issue 13).

For each system, the same circuit is run twice with the release binary: as
bundled (a transient settling to the steady state, its DCMEAN/TONE measures)
and as its `_hb` netlist (the steady state solved directly, `.meas hb`).
The table gives wall and CPU time (os.wait4 of the child), the peak memory,
the speed-up (transient CPU / HB CPU), and the largest difference of the
measure over the points, relative to its peak over the points.

  1. rf_network_xor: one point (p1 = 0.85, p2 = 0.15) and the 11 x 11 map;
  2. spin_diode_measurement: the 505-point (P, f) map;
  3. mtj_stfmr: the 41-point ST-FMR frequency sweep (transient: the bundled
     netlist at each frequency, its window 60-100 ns);
  4. cost per Newton iteration against harmonics and unknowns (a chain of N
     behavioural resonators on one tone with H harmonics);
  5. the drone network's first layer, reduced: a 256-tone input (harmonics of
     392.16 kHz) into 16 chains of 256 resonators (time and memory).

usage: benches/hb_bench.py [--spinspice PATH] [--quick] [--jobs N]
  --quick: the transient maps on a subset of points (given in the table)
Build first: cargo build --release. Needs h5py (SPINSPICE_PYTHON's venv).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NL = os.path.join(ROOT, "netlists")


def spinspice_path(argv):
    if "--spinspice" in argv:
        return argv[argv.index("--spinspice") + 1]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "spinspice")


def timed(cmd, repeat=1):
    """(wall s, CPU s, peak RSS MiB, stdout + stderr) of `cmd`: CPU and peak
    memory from os.wait4 of the child (user + system); with `repeat` > 1 the
    run is repeated and the mean wall and CPU are returned (short runs: the
    per-run figure below the clock's tick)."""
    walls, cpus, rss = [], [], 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=NL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = p.stdout.read()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        walls.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{out}")
        cpus.append(ru.ru_utime + ru.ru_stime)
        rss = max(rss, ru.ru_maxrss / 1024.0)
    return sum(walls) / repeat, sum(cpus) / repeat, rss, out


def stat(text, key):
    """An integer of a `--stats` line."""
    m = re.search(re.escape(key) + r" = (\d+)", text)
    return int(m.group(1)) if m else -1


def chain(n, tones):
    """N resonators in series (R0 = 50/N each) behind a 50-ohm source of the
    given tones (Hz), through a DC block; fres spread over ±5 % of 1 GHz."""
    net = [f"chain of {n} resonators", ".include ../models/leroux.model"]
    for j, f in enumerate(tones):
        net.append(f"V{j} s{j} s{j + 1} SIN(0 {0.5 / len(tones) ** 0.5} {f})")
    net += [f"Vg s{len(tones)} 0 0", "Rs s0 a 50", "Cb a c0 1n"]
    for k in range(n):
        fr = 0.95 + 0.1 * ((k * 0.618034) % 1.0)
        net.append(f"YSD r{k} c{k} c{k + 1} leroux_res fres={fr:.6f}g r0={50 / n:.6g}")
    net += [f"Rt c{n} 0 1m", ".save v(c0)"]
    return net


def run_text(exe, lines, extra):
    path = os.path.join(NL, ".hb_bench.cir")
    with open(path, "w") as fh:
        fh.write("\n".join(lines + [".end"]) + "\n")
    try:
        return timed([exe, "run", ".hb_bench.cir", "--stats"] + extra)
    finally:
        os.remove(path)


def sweep_measure(path, name):
    with h5py.File(path, "r") as f:
        return np.asarray(f["sweep/measures/" + name][...], dtype=float)


def row(label, tr, hb, diff):
    (tw, tc, tm), (hw, hc, hm) = tr, hb
    print(f"| {label} | {tw:.2f} / {tc:.2f} / {tm:.0f} | {hw:.3f} / {hc:.3f} / {hm:.0f} | "
          f"{tc / max(hc, 1e-9):.0f}x | {diff} |", flush=True)


def main():
    argv = sys.argv[1:]
    exe = spinspice_path(argv)
    quick = "--quick" in argv
    jobs = argv[argv.index("--jobs") + 1] if "--jobs" in argv else "2"
    tmp = tempfile.mkdtemp(prefix="hb_bench_")
    o = lambda n: os.path.join(tmp, n)
    print("| system | transient wall / CPU [s] / RSS [MiB] | HB wall / CPU [s] / RSS [MiB] | "
          "CPU speed-up | max diff / peak |")
    print("|---|---|---|---|---|")

    # 1. XOR: one point
    xt = lambda extra: [exe, "run", "rf_network_xor.cir", "--quiet", "--step", "p1 list 0.85",
                        "--step", "p2 list 0.15", "--jobs", "1"] + extra
    tw, tc, tm, _ = timed(xt(["-o", o("xt1.h5")]))
    hw, hc, hm, _ = timed([exe, "run", "rf_network_xor_hb.cir", "--quiet", "--step", "p1 list 0.85",
                           "--step", "p2 list 0.15", "--jobs", "1", "-o", o("xh1.h5")], repeat=20)
    a, b = sweep_measure(o("xt1.h5"), "vout"), sweep_measure(o("xh1.h5"), "vout")
    row("XOR, one point (p1 = 0.85, p2 = 0.15)", (tw, tc, tm), (hw, hc, hm),
        f"vout {abs(a - b).max() / abs(a).max():.1e}")

    # 1b. XOR: the 11 x 11 map
    hb = timed([exe, "run", "rf_network_xor_hb.cir", "--quiet", "--jobs", jobs, "-o", o("xhm.h5")])
    if quick:
        sub = ["--step", "p1 list 0 0.5 1", "--step", "p2 list 0 0.5 1"]
        tr = timed([exe, "run", "rf_network_xor.cir", "--quiet", "--jobs", jobs, "-o", o("xtm.h5")] + sub)
        vt = sweep_measure(o("xtm.h5"), "vout")
        vh = sweep_measure(o("xhm.h5"), "vout")[::5, ::5]
        label = "XOR map (transient: 3 x 3 of the 11 x 11 points; HB: all 121)"
    else:
        tr = timed([exe, "run", "rf_network_xor.cir", "--quiet", "--jobs", jobs, "-o", o("xtm.h5")])
        vt, vh = sweep_measure(o("xtm.h5"), "vout"), sweep_measure(o("xhm.h5"), "vout")
        label = "XOR map, 11 x 11"
    row(label, tr[:3], hb[:3], f"vout {abs(vt - vh).max() / abs(vh).max():.1e}")

    # 2. spin-diode map
    hb = timed([exe, "run", "spin_diode_measurement_hb.cir", "--quiet", "--jobs", jobs, "-o", o("sdh.h5")])
    sub = ["--step", "f list 0.95g 0.99g 1.0g 1.01g 1.05g"] if quick else []
    tr = timed([exe, "run", "spin_diode_measurement.cir", "--quiet", "--jobs", jobs, "-o", o("sdt.h5")] + sub)
    vt, vh = sweep_measure(o("sdt.h5"), "vdc"), sweep_measure(o("sdh.h5"), "vdc")
    if quick:
        fh = np.round(np.arange(0.95e9, 1.05e9 + 1, 1e6) / 1e6)
        idx = [int(np.where(fh == round(f / 1e6))[0][0]) for f in (0.95e9, 0.99e9, 1.0e9, 1.01e9, 1.05e9)]
        vh = vh[:, idx]
    row("spin-diode map, 5 x 101" + (" (transient: 5 x 5)" if quick else ""), tr[:3], hb[:3],
        f"vdc {abs(vt - vh).max() / abs(vh).max():.1e}")

    # 3. ST-FMR sweep: 41 frequencies
    freqs = [1.4e9 + 10e6 * k for k in range(41)]
    hb = timed([exe, "run", "mtj_stfmr_hb.cir", "--quiet", "--jobs", jobs, "-o", o("sth.h5")], repeat=10)
    stf = open(os.path.join(NL, "mtj_stfmr.cir")).read().replace("sin(0 0.3u 1.627g)", "sin(0 0.3u {f})")
    stf = stf.replace(".tran", ".param f=1.627g\n.tran")
    with open(os.path.join(NL, ".stfmr_bench.cir"), "w") as fh:
        fh.write(stf)
    try:
        tr = timed([exe, "run", ".stfmr_bench.cir", "--quiet", "--jobs", jobs, "-o", o("stt.h5"),
                    "--step", "f lin 1.4g 1.8g 41"])
        trm = timed([exe, "run", ".stfmr_bench.cir", "--quiet", "--jobs", jobs, "--save", "measures",
                     "-o", o("stm.h5"), "--step", "f lin 1.4g 1.8g 41"])
    finally:
        os.remove(os.path.join(NL, ".stfmr_bench.cir"))
    hbm = timed([exe, "run", "mtj_stfmr_hb.cir", "--quiet", "--jobs", jobs, "--save", "measures",
                 "-o", o("shm.h5")], repeat=10)
    # the transient's own error: the same sweep settled longer, at a tenth of
    # its tolerances, averaged over whole periods
    tight = stf.replace(".tran 0.1n 100n", ".options reltol=1e-4\n.tran 0.1n 200n")
    tight = tight.replace("avg v(dc) from=60n to=100n", "DCMEAN v(dc) FREQ={f} SETTLE=150n")
    with open(os.path.join(NL, ".stfmr_tight.cir"), "w") as fh:
        fh.write(tight)
    try:
        timed([exe, "run", ".stfmr_tight.cir", "--quiet", "--jobs", jobs, "-o", o("stt2.h5"),
               "--step", "f lin 1.4g 1.8g 41"])
    finally:
        os.remove(os.path.join(NL, ".stfmr_tight.cir"))
    vt, vh = sweep_measure(o("stt.h5"), "vdc"), sweep_measure(o("sth.h5"), "vdc")
    v2 = sweep_measure(o("stt2.h5"), "vdc")
    pk = abs(vh).max()
    row("ST-FMR sweep, 41 frequencies", tr[:3], hb[:3],
        f"vdc {abs(vt - vh).max() / pk:.1e} (transient settled, reltol 1e-4: {abs(v2 - vh).max() / pk:.1e}; "
        f"the bundled transient's own error {abs(vt - v2).max() / pk:.1e})")
    row("ST-FMR sweep, 41 frequencies, measures only (--save measures)", trm[:3], hbm[:3], "(same values)")

    # 4. cost per Newton iteration: chain of N resonators, one tone, H harmonics
    print("\n| resonators N | unknowns | harmonics H | time samples | HB wall [ms] | Newton iterations | "
          "Krylov iterations | ms per Newton iteration |")
    print("|---|---|---|---|---|---|---|---|")
    for n in (16, 64, 256, 1024):
        for h in (4, 16, 64):
            lines = chain(n, [1e9]) + [".hb 1g", f".options hbint numfreq={h}"]
            w, c, m, out = run_text(exe, lines, [])
            it = max(stat(out, "newton iterations"), 1)
            unk = re.search(r"unknowns = (\d+)", out).group(1)
            smp = re.search(r"time samples = (\d+)", out).group(1)
            print(f"| {n} | {unk} | {h} | {smp} | {w * 1e3:.0f} | {it} | "
                  f"{stat(out, 'krylov iterations')} | {w * 1e3 / it:.1f} |", flush=True)

    # 5. the drone network's first layer, reduced: 256 tones on a 392.16 kHz
    #    grid (harmonics 51 ... 306) into 16 chains of 256 resonators
    print("\n| drone layer 1 (reduced) | wall [s] | CPU [s] | peak RSS [MiB] | harmonics | samples | "
          "unknowns | Newton | Krylov |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = 392.16e3
    for chains in ([1, 4, 16] if not quick else [1, 4]):
        net = ["drone layer 1", ".include ../models/leroux.model"]
        for j in range(256):
            net.append(f"V{j} s{j} s{j + 1} SIN(0 {0.5 / 16} {base * (51 + j)})")
        net += ["Vg s256 0 0", "Rs s0 x 1"]
        for c in range(chains):
            net.append(f"Cb{c} x t{c}_0 1u")
            for k in range(256):
                fr = base * (51 + (k * 97 + c * 31) % 256) * (1 + 0.002 * ((k % 7) - 3))
                net.append(f"YSD r{c}_{k} t{c}_{k} t{c}_{k + 1} leroux_res fres={fr:.6g} r0=0.2 alpha=0.01")
            net += [f"Lc{c} t{c}_0 d{c} 10m", f"Cd{c} d{c} 0 1u", f"Rd{c} d{c} 0 1meg",
                    f"Rt{c} t{c}_256 0 1m"]
        net += [".save " + " ".join(f"v(d{c})" for c in range(chains)), f".hb {base}",
                ".options hbint numfreq=306"]
        w, c, m, out = run_text(exe, net, [])
        harm = re.search(r"harmonics .with DC. = (\d+)", out).group(1)
        smp = re.search(r"time samples = (\d+)", out).group(1)
        unk = re.search(r"unknowns = (\d+)", out).group(1)
        print(f"| {chains} chains x 256 | {w:.2f} | {c:.2f} | {m:.0f} | {harm} | {smp} | {unk} | "
              f"{stat(out, 'newton iterations')} | {stat(out, 'krylov iterations')} |", flush=True)
    shutil_rm(tmp)


def shutil_rm(d):
    import shutil
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
