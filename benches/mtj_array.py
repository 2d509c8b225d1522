#!/usr/bin/env python3
"""Benchmark: an array of N macrospin MTJs, each in a slightly different field, with a shared
RF drive, 20 ns -- spinspice (YMTJ, the LLGS inside the circuit) against the same physics
written as an ngspice behavioural macrospin (B-sources and 1 F capacitors), in one run.

Physics (both simulators): the free layer of seed 001 (docs/physics/parameters.md Sec. 1:
Ms = 9.5e5 A/m, Ku = 5.45e5 J/m^3 along z, alpha = 0.02, elliptic demag factors, 150x60x1.63 nm^3,
p = -x, R_P/R_AP = 640/1200 Ohm, angular law) with the standard Slonczewski prefactor
(eff=const, eta = 0.66), Gilbert-form torques with beta = 0.1, field H_z,k = k * 1e4/N A/m
(f_r from 1.627 to ~1.98 GHz), initial tilt 1e-3 rad (uic).  Junction k is fed from the shared
source node through R_k = 1 kOhm: Vrf = 0.3 V at 1.7 GHz (timing runs) or 0 (accuracy runs).
The explicit LLGS (devices.md Eq. 1.2) is written out component by component in the B-sources.

Matched accuracy: for each simulator the settings are taken from a ladder, loosest first, and the
first one whose ringdown precession frequency (Vrf = 0; 8 junctions spread over the array; zero
crossings of m_x over the first 10 ns) is within 1e-4 of the damped linear-mode frequency
omega_d (oracles.md Eq. A3) is used for the timed run with the RF drive.

Cost per junction per accepted step = CPU time of the run / (N * accepted steps).

usage: benches/mtj_array.py [N ...] [--spinspice PATH] [--keep DIR] [--no-ngspice-1000]
Build first: cargo build --release
"""
import math
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare_ngspice import read_raw, run_measured  # noqa: E402

MU0 = 1.25663706212e-6
GAMMA = 1.76085963023e11
HBAR = 1.054571817e-34
QE = 1.602176634e-19
MS, KU, ALPHA = 9.5e5, 5.45e5, 0.02
N_D = (0.013004, 0.047318, 0.939679)
AREA, TFL = 7.0686e-15, 1.63e-9
RP, RAP = 640.0, 1200.0
ETA, BETA = 0.66, 0.1
TILT = 1e-3
TSTOP = 20e-9
FDRIVE = 1.7e9
VRF = 0.3
RSER = 1e3
DH = 1e4          # field spread across the array [A/m]


def field(k, n):
    return DH * k / n


def oracle_f(hz):
    """damped linear-mode frequency (oracles.md Eq. A2-A3) at field hz along z"""
    g0 = GAMMA * MU0
    hk = 2 * KU / (MU0 * MS)
    h0 = hz + hk - N_D[2] * MS
    h1, h2 = h0 + N_D[0] * MS, h0 + N_D[1] * MS
    a2 = 1 + ALPHA ** 2
    wd = g0 * math.sqrt(4 * a2 * h1 * h2 - ALPHA ** 2 * (h1 + h2) ** 2) / (2 * a2)
    return wd / (2 * math.pi)


def probes(n):
    return sorted(set(int(round(i * (n - 1) / 7)) for i in range(8)))


def m0():
    return math.sin(TILT), 0.0, math.cos(TILT)


def spinspice_netlist(n, vrf, mreltol):
    mx, my, mz = m0()
    lines = [f"MTJ array N={n} (spinspice)",
             f".model mz mtj (ms={MS} alpha={ALPHA} ku={KU} kax=0 kay=0 kaz=1 nx={N_D[0]} ny={N_D[1]} "
             f"nz={N_D[2]} area={AREA} tfl={TFL} rp={RP} rap={RAP} px=-1 py=0 pz=0 eta={ETA} eff=const "
             f"beta={BETA} torque=gilbert mreltol={mreltol})",
             f"Vrf rf 0 sin(0 {vrf} {FDRIVE})"]
    for k in range(n):
        lines.append(f"R{k} rf j{k} {RSER}")
        lines.append(f"YMTJ m{k} j{k} 0 mz hz={field(k, n)} mx0={mx} my0={my} mz0={mz}")
    lines.append(".save " + " ".join(f"@m{k}[mx]" for k in probes(n)) + " " +
                 " ".join(f"v(j{k})" for k in probes(n)))
    lines.append(f".tran 0.1n {TSTOP} uic")
    lines.append(".end")
    return "\n".join(lines) + "\n"


def ngspice_netlist(n, vrf, setting):
    """The same circuit with the LLGS of each junction as three B-sources into 1 F capacitors:
    C dV(m_i)/dt = f_i(m, I), f from devices.md Eq. (1.2) with Gilbert-form torque coefficients
    A_d = a_J (1 - alpha beta), A_f = -a_J (beta + alpha), a_J = hbar (eta/2) I/(e mu0 Ms V)."""
    opts, tmax = setting
    g0 = GAMMA * MU0
    k = g0 / (1 + ALPHA ** 2)
    hk = 2 * KU / (MU0 * MS)
    a1 = HBAR * (ETA / 2) / (QE * MU0 * MS * AREA * TFL)
    cd, cf = 1 - ALPHA * BETA, -(BETA + ALPHA)
    mx0, my0, mz0 = m0()
    L = [f"MTJ array N={n} (ngspice behavioural macrospin)",
         f".param kk={k!r} al={ALPHA!r} hk={hk!r} nx={MS * N_D[0]!r} ny={MS * N_D[1]!r} "
         f"nz={MS * N_D[2]!r} ad1={cd * a1!r} af1={cf * a1!r} rp={RP!r} dr={RAP - RP!r}",
         # m x H, m (m.H) - H |m|^2 with H = (hx - nx mx, -ny my, hz + (hk - nz) mz)
         ".func hxf(x,hx) {hx - nx*x}",
         ".func hyf(y) {-ny*y}",
         ".func hzf(z,hz) {hz + (hk - nz)*z}",
         ".func mdh(x,y,z,hx,hz) {x*hxf(x,hx) + y*hyf(y) + z*hzf(z,hz)}",
         ".func mm(x,y,z) {x*x + y*y + z*z}",
         # p = -x: m x p = (0, -z, y); m x (m x p) = (mm - x^2, -x y, -x z)
         ".func fx(x,y,z,hx,hz,i) {-kk*((y*hzf(z,hz) - z*hyf(y)) + al*(x*mdh(x,y,z,hx,hz) - hxf(x,hx)*mm(x,y,z))"
         " + ad1*i*(mm(x,y,z) - x*x))}",
         ".func fy(x,y,z,hx,hz,i) {-kk*((z*hxf(x,hx) - x*hzf(z,hz)) + al*(y*mdh(x,y,z,hx,hz) - hyf(y)*mm(x,y,z))"
         " + ad1*i*(-x*y) + af1*i*(-z))}",
         ".func fz(x,y,z,hx,hz,i) {-kk*((x*hyf(y) - y*hxf(x,hx)) + al*(z*mdh(x,y,z,hx,hz) - hzf(z,hz)*mm(x,y,z))"
         " + ad1*i*(-x*z) + af1*i*y)}",
         ".func rj(x) {rp + dr*(1 + x)/2}",
         f"Vrf rf 0 sin(0 {vrf} {FDRIVE})"]
    for j in range(n):
        hz = field(j, n)
        x, y, z = f"v(mx{j})", f"v(my{j})", f"v(mz{j})"
        cur = f"(v(j{j})/rj({x}))"
        L += [f"R{j} rf j{j} {RSER}",
              f"Bj{j} j{j} 0 I={cur}",
              f"Bx{j} 0 mx{j} I=fx({x},{y},{z},0,{hz},{cur})",
              f"By{j} 0 my{j} I=fy({x},{y},{z},0,{hz},{cur})",
              f"Bz{j} 0 mz{j} I=fz({x},{y},{z},0,{hz},{cur})",
              f"Cx{j} mx{j} 0 1 IC={mx0!r}",
              f"Cy{j} my{j} 0 1 IC={my0!r}",
              f"Cz{j} mz{j} 0 1 IC={mz0!r}",
              f"Rgx{j} mx{j} 0 1e15", f"Rgy{j} my{j} 0 1e15", f"Rgz{j} mz{j} 0 1e15"]
    L.append(".save " + " ".join(f"v(mx{k})" for k in probes(n)) + " " +
             " ".join(f"v(j{k})" for k in probes(n)))
    L.append(f".options {opts} acct")
    L.append(f".tran 0.1n {TSTOP} 0 {tmax} uic" if tmax else f".tran 0.1n {TSTOP} uic")
    L.append(".end")
    return "\n".join(L) + "\n"


def freq_error(t, y, f0, t1=10e-9):
    """relative error of the zero-crossing frequency of y over [0, t1] (linear interpolation
    between the simulator's own points is enough at the step sizes that meet 1e-4)"""
    z = []
    for i in range(1, len(t)):
        if t[i] > t1:
            break
        if (y[i - 1] > 0) != (y[i] > 0):
            # cubic through 4 points when available
            if 1 <= i - 1 and i + 1 < len(t):
                ts, ys = t[i - 2:i + 2], y[i - 2:i + 2]
                a, b = t[i - 1], t[i]
                fa = lag(ts, ys, a)
                for _ in range(60):
                    mid = 0.5 * (a + b)
                    fm = lag(ts, ys, mid)
                    if (fm > 0) == (fa > 0):
                        a, fa = mid, fm
                    else:
                        b = mid
                z.append(0.5 * (a + b))
            else:
                z.append(t[i - 1] - y[i - 1] * (t[i] - t[i - 1]) / (y[i] - y[i - 1]))
    nz = len(z)
    xs = list(range(nz))
    mx = sum(xs) / nz
    mz = sum(z) / nz
    half = sum((a - mx) * (b - mz) for a, b in zip(xs, z)) / sum((a - mx) ** 2 for a in xs)
    return (1 / (2 * half)) / f0 - 1


def lag(ts, ys, x):
    s = 0.0
    for j in range(len(ts)):
        w = 1.0
        for i in range(len(ts)):
            if i != j:
                w *= (x - ts[i]) / (ts[j] - ts[i])
        s += w * ys[j]
    return s


def stat(pat, s, conv=float):
    m = re.search(pat, s)
    return conv(m.group(1)) if m else None


def run_sp(spin, d, n, vrf, tol):
    fn = f"sp_{'rf' if vrf else 'ring'}_{n}.cir"
    open(os.path.join(d, fn), "w").write(spinspice_netlist(n, vrf, tol))
    w, c, r, out, err, code = run_measured([spin, "run", fn, "-o", fn + ".raw", "--quiet", "--stats"], d)
    if code:
        raise SystemExit(f"spinspice failed:\n{err[-3000:]}")
    plot = [p for p in read_raw(os.path.join(d, fn + ".raw")) if p[0].startswith("Transient")][0]
    steps = stat(r"accepted steps\s*=\s*(\d+)", err + out, int)
    return dict(wall=w, cpu=c, rss=r, steps=steps, plot=plot, stats=(err + out).strip())


def run_ng(d, n, vrf, opts):
    fn = f"ng_{'rf' if vrf else 'ring'}_{n}.cir"
    open(os.path.join(d, fn), "w").write(ngspice_netlist(n, vrf, opts))
    w, c, r, out, err, code = run_measured(["ngspice", "-b", "-r", fn + ".raw", fn], d)
    if code:
        raise SystemExit(f"ngspice failed:\n{(out + err)[-3000:]}")
    plot = [p for p in read_raw(os.path.join(d, fn + ".raw")) if p[0].startswith("Transient")][0]
    steps = stat(r"Accepted timepoints\s*=\s*(\d+)", out + err, int)
    return dict(wall=w, cpu=c, rss=r, steps=steps, plot=plot)


def accuracy(plot, n, var):
    t = plot[2][0]
    worst = 0.0
    for k in probes(n):
        y = plot[2][plot[1].index(var.format(k))]
        e = freq_error(t, y, oracle_f(field(k, n)))
        worst = max(worst, abs(e))
    return worst


# Settings, loosest first; the first that meets 1e-4 is used (steps grow by ~1.2x per rung).
SP_LADDER = ["1e-5", "3e-6", "2e-6", "1.5e-6", "1e-6", "7e-7", "5e-7", "2e-7"]
# ngspice: the tolerance family (tight reltol/vntol/chgtol) and the time-step family (default
# tolerances, tmax); both are calibrated and the cheaper one that meets 1e-4 is used.
NG_TOL = [("reltol=1e-3", None), ("reltol=1e-4 vntol=1e-9 chgtol=1e-18", None),
          ("reltol=1e-5 vntol=1e-10 chgtol=1e-18", None), ("reltol=1e-6 vntol=1e-11 chgtol=1e-18", None),
          ("reltol=1e-6 vntol=1e-11 chgtol=1e-18 trtol=3", None),
          ("reltol=1e-6 vntol=1e-12 chgtol=1e-20 trtol=1", None)]
NG_TMAX = [("reltol=1e-3", t) for t in ("4p", "3.5p", "3p", "2.5p", "2p", "1.5p")]


def calibrate(name, ladder, f):
    log = []
    for s in ladder:
        r = f(s)
        log.append((s, r["acc"], r["steps"], r["cpu"]))
        print(f"  {name} [{s}]: max freq error {r['acc']:.2e}, {r['steps']} steps, CPU {r['cpu']:.2f} s",
              flush=True)
        if r["acc"] < 1e-4:
            return s, log, r["cpu"]
    raise SystemExit(f"{name}: no setting reaches 1e-4")


def main():
    args = sys.argv[1:]
    sizes, spin, keep, ng1000 = [], os.path.join(HERE, "..", "target", "release", "spinspice"), None, True
    i = 0
    while i < len(args):
        if args[i] == "--spinspice":
            spin, i = args[i + 1], i + 2
        elif args[i] == "--keep":
            keep, i = args[i + 1], i + 2
        elif args[i] == "--no-ngspice-1000":
            ng1000, i = False, i + 1
        else:
            sizes.append(int(args[i]))
            i += 1
    sizes = sizes or [100, 1000]
    spin = os.path.abspath(spin)
    ngv = subprocess.run(["ngspice", "--version"], capture_output=True, text=True).stdout
    ngv = next((l.strip("* ").strip() for l in ngv.splitlines() if "ngspice-" in l), "ngspice")
    print(f"spinspice: {spin}\nngspice: {ngv}\n")
    d = keep or tempfile.mkdtemp(prefix="mtjbench-")
    os.makedirs(d, exist_ok=True)

    # --- calibration on the N = 100 ringdown (accuracy is per junction)
    nc = 100
    print(f"calibration (N={nc}, ringdown, Vrf = 0):")

    def sp_acc(tol):
        r = run_sp(spin, d, nc, 0.0, tol)
        r["acc"] = accuracy(r["plot"], nc, "@m{}[mx]")
        return r

    def ng_acc(opts):
        r = run_ng(d, nc, 0.0, opts)
        r["acc"] = accuracy(r["plot"], nc, "v(mx{})")
        return r

    sp_tol, sp_log, _ = calibrate("spinspice mreltol", SP_LADDER, sp_acc)
    ng_a, ng_log_a, cpu_a = calibrate("ngspice (tolerances)", NG_TOL, ng_acc)
    ng_b, ng_log_b, cpu_b = calibrate("ngspice (tmax)", NG_TMAX, ng_acc)
    ng_opt = ng_a if cpu_a < cpu_b else ng_b
    ng_log = ng_log_a + ng_log_b
    print(f"matched settings: spinspice mreltol={sp_tol}; ngspice {ng_opt[0]}"
          f"{' tmax=' + ng_opt[1] if ng_opt[1] else ''}\n")

    rows = []
    for n in sizes:
        sp = run_sp(spin, d, n, VRF, sp_tol)
        spa = run_sp(spin, d, n, 0.0, sp_tol)
        sp_accn = accuracy(spa["plot"], n, "@m{}[mx]")
        ng = None
        ng_accn = None
        if n < 1000 or ng1000:
            ng = run_ng(d, n, VRF, ng_opt)
            nga = run_ng(d, n, 0.0, ng_opt)
            ng_accn = accuracy(nga["plot"], n, "v(mx{})")
        # the two driven runs agree: junction voltage at 20 ns of the probed junctions
        agree = None
        if ng:
            agree = 0.0
            for k in probes(n):
                a = sp["plot"][2][sp["plot"][1].index(f"v(j{k})")]
                b = ng["plot"][2][ng["plot"][1].index(f"v(j{k})")]
                ta, tb = sp["plot"][2][0], ng["plot"][2][0]
                for tq in (5e-9, 10e-9, 15e-9, 19.9e-9):
                    va = interp_at(ta, a, tq)
                    vb = interp_at(tb, b, tq)
                    agree = max(agree, abs(va - vb) / VRF)
        rows.append(dict(n=n, sp=sp, ng=ng, sp_acc=sp_accn, ng_acc=ng_accn, agree=agree))
        msg = f"N={n}: spinspice {sp['wall']:.2f} s wall / {sp['cpu']:.2f} s CPU, {sp['steps']} steps"
        if ng:
            msg += f"; ngspice {ng['wall']:.2f} s wall / {ng['cpu']:.2f} s CPU, {ng['steps']} steps; " \
                   f"ratio (CPU) {ng['cpu'] / sp['cpu']:.1f}x"
        print(msg, flush=True)

    print("\n| N | spinspice CPU [s] | ngspice CPU [s] | ratio | wall sp / ng [s] | accepted steps sp / ng "
          "| µs per junction per step (sp / ng) | ringdown freq. error sp / ng | peak RSS sp / ng [MiB] "
          "| driven v(j) max diff / Vrf |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sp, ng, n = r["sp"], r["ng"], r["n"]
        cps = sp["cpu"] / (n * sp["steps"]) * 1e6
        if ng:
            cpn = ng["cpu"] / (n * ng["steps"]) * 1e6
            print(f"| {n} | {sp['cpu']:.2f} | {ng['cpu']:.2f} | {ng['cpu'] / sp['cpu']:.1f}× "
                  f"| {sp['wall']:.2f} / {ng['wall']:.2f} | {sp['steps']} / {ng['steps']} | {cps:.3f} / {cpn:.2f} "
                  f"| {r['sp_acc']:.1e} / {r['ng_acc']:.1e} | {sp['rss']:.0f} / {ng['rss']:.0f} | {r['agree']:.1e} |")
        else:
            print(f"| {n} | {sp['cpu']:.2f} | — | — | {sp['wall']:.2f} / — | {sp['steps']} / — | {cps:.3f} / — "
                  f"| {r['sp_acc']:.1e} / — | {sp['rss']:.0f} / — | — |")
    print("\ncalibration ladder (N=100 ringdown): setting, max frequency error, steps, CPU [s]")
    for s, a, st, c in sp_log:
        print(f"- spinspice mreltol={s}: {a:.2e}, {st}, {c:.2f}")
    for s, a, st, c in ng_log:
        print(f"- ngspice {s[0]}{' tmax=' + s[1] if s[1] else ''}: {a:.2e}, {st}, {c:.2f}")
    print("\nspinspice statistics (driven runs):")
    for r in rows:
        print(f"- N={r['n']}:\n" + "\n".join("    " + l for l in r["sp"]["stats"].splitlines()))


def interp_at(t, y, tq):
    lo, hi = 0, len(t) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if t[mid] <= tq:
            lo = mid
        else:
            hi = mid
    return y[lo] + (y[hi] - y[lo]) * (tq - t[lo]) / (t[hi] - t[lo])


if __name__ == "__main__":
    main()
