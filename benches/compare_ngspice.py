#!/usr/bin/env python3
"""Benchmark spinspice against ngspice on the RF detector chain, in one run.

For each N: generate the netlist (detector_chain.py), run both simulators on
the same file (ngspice with `.options acct` appended for its statistics),
measure wall time, CPU time and peak memory of each child process (wait4),
read both rawfiles and compare the rectified voltage (mean over the last
10 ns) of the saved detectors. Prints a markdown table for BENCHMARKS.md.

usage: benches/compare_ngspice.py [N ...] [--spinspice PATH] [--keep DIR]
Each simulator runs 3 times at N <= 1000 (once above) and the run with the
shortest wall time is reported: the machine is shared.

Build first: cargo build --release
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import detector_chain  # noqa: E402


def read_raw(path):
    """Parse a binary SPICE rawfile; returns list of (plotname, vars, columns)."""
    data = open(path, "rb").read()
    pos = 0
    plots = []
    while pos < len(data):
        name, nvars, npts, complex_, names = "", 0, 0, False, []
        while True:
            end = data.index(b"\n", pos)
            line = data[pos:end].decode("latin-1").strip()
            pos = end + 1
            if line.startswith("Plotname:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Flags:"):
                complex_ = "complex" in line
            elif line.startswith("No. Variables:"):
                nvars = int(line.split(":", 1)[1])
            elif line.startswith("No. Points:"):
                npts = int(line.split(":", 1)[1])
            elif line == "Variables:":
                for _ in range(nvars):
                    end = data.index(b"\n", pos)
                    names.append(data[pos:end].decode().split()[1].lower())
                    pos = end + 1
            elif line == "Binary:":
                break
        per = 2 if complex_ else 1
        vals = struct.unpack_from("<%dd" % (npts * nvars * per), data, pos)
        pos += 8 * npts * nvars * per
        cols = [[vals[(p * nvars + v) * per] for p in range(npts)] for v in range(nvars)]
        plots.append((name, names, cols))
        # ngspice with `.options interp` may write more points than announced
        if not data.startswith(b"Title:", pos):
            break
    return plots


def mean_over(t, y, t0, t1):
    """Time average of y over [t0, t1] (trapezoidal, on the simulator's own points)."""
    acc = 0.0
    for k in range(1, len(t)):
        a, b = max(t[k - 1], t0), min(t[k], t1)
        if b <= a:
            continue
        # linear interpolation of the segment
        def at(x):
            return y[k - 1] + (y[k] - y[k - 1]) * (x - t[k - 1]) / (t[k] - t[k - 1])
        acc += 0.5 * (at(a) + at(b)) * (b - a)
    return acc / (t1 - t0)


def run_measured(cmd, cwd):
    """Like run() but with per-child CPU and peak RSS via os.wait4."""
    t0 = time.perf_counter()
    out_f = tempfile.TemporaryFile()
    err_f = tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        os.dup2(out_f.fileno(), 1)
        os.dup2(err_f.fileno(), 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    out_f.seek(0)
    err_f.seek(0)
    cpu = ru.ru_utime + ru.ru_stime
    rss = ru.ru_maxrss / 1024.0
    code = os.waitstatus_to_exitcode(status)
    return wall, cpu, rss, out_f.read().decode(errors="replace"), err_f.read().decode(errors="replace"), code


def best_of(reps, cmd, cwd):
    """run_measured `reps` times (interleaving is the caller's); the run with
    the shortest wall time (the one least disturbed by other processes)"""
    runs = [run_measured(cmd, cwd) for _ in range(reps)]
    return min(runs, key=lambda r: r[0])


def main():
    args = sys.argv[1:]
    sizes, spin, keep = [], os.path.join(HERE, "..", "target", "release", "spinspice"), None
    i = 0
    while i < len(args):
        if args[i] == "--spinspice":
            spin = args[i + 1]
            i += 2
        elif args[i] == "--keep":
            keep = args[i + 1]
            i += 2
        else:
            sizes.append(int(args[i]))
            i += 1
    sizes = sizes or [10, 100, 1000, 10000]
    spin = os.path.abspath(spin)
    ngv = subprocess.run(["ngspice", "--version"], capture_output=True, text=True).stdout
    ngv = next((l.strip("* ").strip() for l in ngv.splitlines() if "ngspice-" in l), "ngspice")
    print(f"spinspice: {spin}\nngspice: {ngv}\n")
    rows = []
    for n in sizes:
        d = keep and os.path.join(keep, f"n{n}") or tempfile.mkdtemp(prefix=f"bench{n}-")
        os.makedirs(d, exist_ok=True)
        text = detector_chain.netlist(n)
        open(os.path.join(d, "chain.cir"), "w").write(text)
        ng_text = text.replace(".options reltol=1e-3", ".options reltol=1e-3 acct")
        open(os.path.join(d, "chain_ng.cir"), "w").write(ng_text)
        # timed run without --stats (its per-phase timers cost a little);
        # a second run with --stats gives the counts and the time split
        reps = 3 if n <= 1000 else 1
        sw, sc, sr, sout, serr, scode = best_of(reps, [spin, "run", "chain.cir", "-o", "sp.raw", "--quiet"], d)
        if scode != 0:
            print(serr)
            raise SystemExit(f"spinspice failed at N={n}")
        _, _, _, sout, serr, _ = run_measured([spin, "run", "chain.cir", "-o", "sp_stats.raw", "--quiet", "--stats"], d)
        nw, nc, nr, nout, nerr, ncode = best_of(reps, ["ngspice", "-b", "-r", "ng.raw", "chain_ng.cir"], d)
        if ncode != 0:
            print(nerr[-2000:])
            raise SystemExit(f"ngspice failed at N={n}")
        # statistics
        def grab(pat, s, conv=float):
            m = re.search(pat, s)
            return conv(m.group(1)) if m else None
        ng_pts = grab(r"Accepted timepoints\s*=\s*(\d+)", nout, int)
        ng_it = grab(r"Transient iterations\s*=\s*(\d+)", nout, int)
        ng_load = grab(r"Transient load time\s*=\s*([\d.]+)", nout)
        ng_fact = grab(r"Transient factor time\s*=\s*([\d.]+)", nout)
        ng_solve = grab(r"Transient solve time\s*=\s*([\d.]+)", nout)
        sp_pts = grab(r"accepted steps\s*=\s*(\d+)", serr + sout, int)
        sp_it = grab(r"newton iterations\s*=\s*(\d+)", serr + sout, int)
        sp_fact = grab(r"factorizations\s*=\s*(\d+)", serr + sout, int)
        # rectified voltages
        sp = [p for p in read_raw(os.path.join(d, "sp.raw")) if p[0].startswith("Transient")][0]
        ng = [p for p in read_raw(os.path.join(d, "ng.raw")) if p[0].startswith("Transient")][0]
        rect = []
        for k in detector_chain.probes(n):
            v = f"v(d{k})"
            a = mean_over(sp[2][0], sp[2][sp[1].index(v)], 40e-9, 50e-9)
            b = mean_over(ng[2][0], ng[2][ng[1].index(v)], 40e-9, 50e-9)
            rect.append((k, a, b))
        worst = max(abs(a - b) / max(abs(b), 1e-12) for _, a, b in rect)
        rows.append(dict(n=n, sw=sw, sc=sc, sr=sr, nw=nw, nc=nc, nr=nr, sp_pts=sp_pts, ng_pts=ng_pts,
                         sp_it=sp_it, ng_it=ng_it, sp_fact=sp_fact, ng_load=ng_load, ng_fact=ng_fact,
                         ng_solve=ng_solve, rect=rect, worst=worst, stats=serr.strip()))
        print(f"N={n}: spinspice {sw:.2f} s, ngspice {nw:.2f} s, ratio {nw / sw:.1f}x (CPU {nc / sc:.1f}x), "
              f"rectified worst rel diff {worst:.2e}", flush=True)

    print("\n| N | spinspice wall [s] | ngspice wall [s] | speed-up (wall) | spinspice CPU [s] | ngspice CPU [s] | speed-up (CPU) "
          "| peak RSS spinspice / ngspice [MiB] | time points (sp / ng) | Newton iterations (sp / ng) "
          "| LU factorizations sp | rectified V, worst rel. diff |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['n']} | {r['sw']:.3f} | {r['nw']:.3f} | {r['nw'] / r['sw']:.1f}× | {r['sc']:.3f} | {r['nc']:.3f} | {r['nc'] / r['sc']:.1f}× "
              f"| {r['sr']:.1f} / {r['nr']:.1f} | {r['sp_pts']} / {r['ng_pts']} | {r['sp_it']} / {r['ng_it']} "
              f"| {r['sp_fact']} | {r['worst']:.1e} |")
    print("\nRectified voltage (mean over 40–50 ns) of the saved detectors:\n")
    print("| N | detector | spinspice [mV] | ngspice [mV] | rel. diff |")
    print("|---|---|---|---|---|")
    for r in rows:
        for k, a, b in r["rect"]:
            print(f"| {r['n']} | d{k} | {a * 1e3:.4f} | {b * 1e3:.4f} | {abs(a - b) / max(abs(b), 1e-12):.1e} |")
    print("\nngspice time split (load / factor / solve, s):")
    for r in rows:
        print(f"- N={r['n']}: {r['ng_load']} / {r['ng_fact']} / {r['ng_solve']}")
    print("\nspinspice statistics:")
    for r in rows:
        print(f"- N={r['n']}:\n" + "\n".join("    " + l for l in r["stats"].splitlines()))


if __name__ == "__main__":
    main()
