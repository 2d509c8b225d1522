#!/usr/bin/env python3
"""Compatibility corpus: run spinspice and ngspice on third-party netlists and
compare their waveforms.

    tools/compat.py [--spinspice PATH] [--ngspice PATH] [--sample FILE]
                    [--jobs N] [--list] [CORPUS_DIR]

CORPUS_DIR (default tests/compat/corpus) holds the netlists; MANIFEST.tsv
beside them names each file's origin and licence (tests/compat/SOURCES.md).
Each netlist is run by both simulators in a scratch directory
(`ngspice -b -r ref.raw`, `spinspice run -o out.raw`); the rawfiles are read
and compared plot by plot (the k-th operating point, DC, AC or transient plot
of one against the k-th of the other), vector by vector over the names both
wrote (`v(node)`, `i(source)`), at ngspice's output points:

- operating point: |s − n| ≤ 2e-3·|n| + atol;
- DC and transient: spinspice interpolated (linearly) at ngspice's sweep
  points; a point passes when |s − n| ≤ 2 %·peak + atol, or when ngspice
  interpolated at the two spinspice points around it agrees with them as
  closely (coarse outputs of a smooth wave, where only the interpolation
  differs), or when n lies within the range spinspice takes over ±0.2 % of
  the sweep span around it (an edge both place within that time);
- AC: |s − n| ≤ 1e-2·|n| + 1e-3·peak + atol, complex, at the same frequencies;

with atol = 1e-6 V or 1e-9 A plus 1e-4 of the largest peak of that kind in the
plot. Every point of every common vector must pass.

A netlist counts as *supported* when ngspice runs it and writes at least one
plot with a vector; spinspice then either matches, differs (numbers: a wrong
result unless spinspice warned, or a difference explained in KNOWN.tsv beside
the corpus, "known"), or refuses (an error message). The last line is
`match X / supported Y`. Exit status 0 unless --require-all is given and a
sampled file does not match.
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KINDS = {
    "operating point": "op",
    "dc transfer characteristic": "dc",
    "ac analysis": "ac",
    "transient analysis": "tran",
}


def read_raw(path):
    """Plots of an ngspice rawfile (binary or ASCII): list of dicts
    {kind, names, types, data (points × vars, complex or real)}."""
    with open(path, "rb") as f:
        buf = f.read()
    plots, pos = [], 0
    while pos < len(buf):
        hdr, names, types, nvar, npts, flags = {}, [], [], 0, 0, ""
        while pos < len(buf):
            end = buf.index(b"\n", pos)
            line = buf[pos:end].decode("latin-1")
            pos = end + 1
            low = line.lower()
            if low.startswith("plotname:"):
                hdr["plot"] = line.split(":", 1)[1].strip().lower()
            elif low.startswith("flags:"):
                flags = low.split(":", 1)[1]
            elif low.startswith("no. variables:"):
                nvar = int(line.split(":", 1)[1])
            elif low.startswith("no. points:"):
                npts = int(line.split(":", 1)[1])
            elif low.startswith("variables:"):
                rest = line.split(":", 1)[1].split()
                first = [rest] if rest else []
                lines = first + []
                while len(lines) < nvar:
                    end = buf.index(b"\n", pos)
                    lines.append(buf[pos:end].decode("latin-1").split())
                    pos = end + 1
                for parts in lines:
                    names.append(parts[1].lower())
                    types.append(parts[2].lower() if len(parts) > 2 else "")
            elif low.startswith("binary:") or low.startswith("values:"):
                cplx = "complex" in flags
                if low.startswith("binary:"):
                    width = nvar * (2 if cplx else 1)
                    nbytes = 8 * width * npts
                    arr = np.frombuffer(buf[pos : pos + nbytes], dtype="<f8")
                    npts = len(arr) // width if width else 0
                    arr = arr[: npts * width].reshape(npts, width)
                    pos += nbytes
                    data = arr[:, 0::2] + 1j * arr[:, 1::2] if cplx else arr
                else:
                    data, pos = read_ascii_values(buf, pos, nvar, npts, cplx)
                plots.append(
                    {
                        "kind": KINDS.get(hdr.get("plot", ""), hdr.get("plot", "")),
                        "names": names,
                        "types": types,
                        "data": data,
                    }
                )
                break
        else:
            break
    return plots


def read_ascii_values(buf, pos, nvar, npts, cplx):
    rows = []
    text = buf[pos:].decode("latin-1").split("\n")
    i = 0
    for _ in range(npts):
        row = []
        while len(row) < nvar and i < len(text):
            toks = text[i].split()
            i += 1
            if not toks:
                continue
            tok = toks[-1]
            if cplx:
                re_, im = tok.split(",")
                row.append(complex(float(re_), float(im)))
            else:
                row.append(float(tok))
        rows.append(row)
    consumed = len("\n".join(text[:i])) + 1
    return np.array(rows), pos + consumed


def norm_name(n):
    n = n.lower()
    m = re.fullmatch(r"(.+)#branch", n)
    if m:
        return f"i({m.group(1)})"
    if not ("(" in n) and n not in ("time", "frequency"):
        return f"v({n})"
    return n


def compare_plot(s, n):
    """None when the plots agree, else a short reason."""
    sn = {norm_name(k): i for i, k in enumerate(s["names"])}
    nn = {norm_name(k): i for i, k in enumerate(n["names"])}
    kind = n["kind"]
    sweep = kind in ("dc", "tran", "ac")
    skip = {norm_name(n["names"][0])} if sweep else set()
    common = sorted(k for k in nn if k in sn and k not in skip and "#" not in k)
    if not common:
        return "no common output vector"
    nd, sd = n["data"], s["data"]
    if len(nd) == 0 or len(sd) == 0:
        return "empty plot"
    peak = {"v": 0.0, "i": 0.0}
    for k in common:
        peak[k[0] if k[0] in "vi" else "v"] = max(
            peak[k[0] if k[0] in "vi" else "v"], float(np.max(np.abs(nd[:, nn[k]])))
        )
    worst = None
    for k in common:
        typ = "i" if k.startswith("i(") else "v"
        atol = (1e-9 if typ == "i" else 1e-6) + 1e-4 * peak[typ]
        ref = nd[:, nn[k]]
        got_raw = sd[:, sn[k]]
        if kind == "op":
            got = got_raw[: len(ref)]
            ok = np.abs(got - ref) <= 2e-3 * np.abs(ref) + atol
            if len(got) < len(ref):
                return f"{k}: fewer points"
        elif kind == "ac":
            fr, fs = np.real(nd[:, 0]), np.real(sd[:, 0])
            if len(fr) == len(fs) and np.allclose(fr, fs, rtol=1e-6):
                got = got_raw
            else:
                got = np.interp(np.log(fr), np.log(fs), np.real(got_raw)) + 1j * np.interp(
                    np.log(fr), np.log(fs), np.imag(got_raw)
                )
            ok = np.abs(got - ref) <= 1e-2 * np.abs(ref) + 1e-3 * np.max(np.abs(ref)) + atol
        else:
            xr, xs = np.real(nd[:, 0]), np.real(sd[:, 0])
            ref = np.real(ref)
            gs = np.real(got_raw)
            if len(xr) == len(xs) and np.allclose(xr, xs, rtol=1e-9, atol=1e-15):
                got = gs
                win_ok = np.zeros(len(ref), bool)
            else:
                if np.any(np.diff(xs) < 0) or np.any(np.diff(xr) < 0):
                    return f"{k}: non-monotonic sweep with different points"
                got = np.interp(xr, xs, gs)
                span = (xr[-1] - xr[0]) or 1.0
                pk = float(np.max(np.abs(ref)))
                # a cubic through spinspice's points where the linear one
                # is off (a smooth wave sampled coarsely: 10 points a period
                # put the chord 5 % below the crest)
                cub = cubic(xs, gs, xr)
                if cub is not None:
                    better = np.abs(cub - ref) < np.abs(got - ref)
                    got = np.where(better, cub, got)
                # the other way round: ngspice interpolated at spinspice's
                # points; an ngspice point also passes when the spinspice
                # points around it agree so (coarse outputs of a smooth
                # wave: the interpolation error, not the solution, differs)
                back = np.interp(xs, xr, ref)
                cb = cubic(xr, ref, xs)
                if cb is not None:
                    back = np.where(np.abs(cb - gs) < np.abs(back - gs), cb, back)
                back_ok = np.abs(back - gs) <= 2e-2 * pk + atol
                nb = np.clip(np.searchsorted(xs, xr), 1, len(xs) - 1)
                win_ok = back_ok[nb - 1] & back_ok[nb]
                bad = np.nonzero(np.abs(got - ref) > 2e-2 * pk + atol)[0]
                # the window test only where the direct one fails (an edge
                # placed slightly differently); many such points = a mismatch
                bad = bad[~win_ok[bad]]
                if 0 < len(bad) <= max(50, len(ref) // 20):
                    lo = np.searchsorted(xs, xr[bad] - 2e-3 * span)
                    hi = np.searchsorted(xs, xr[bad] + 2e-3 * span, side="right")
                    for j, a, b in zip(bad, lo, hi):
                        seg = gs[max(a - 1, 0) : min(b + 1, len(gs))]
                        tol = atol + 2e-2 * pk
                        if len(seg) and seg.min() - tol <= ref[j] <= seg.max() + tol:
                            win_ok[j] = True
            pk = float(np.max(np.abs(ref)))
            ok = (np.abs(got - ref) <= 2e-2 * pk + atol) | win_ok
            if kind == "tran" and abs(xs[-1] - xr[-1]) > 1e-6 * abs(xr[-1]) + 1e-15:
                return f"ends at {xs[-1]:.4g} instead of {xr[-1]:.4g}"
        if not np.all(ok):
            j = int(np.argmin(ok))
            x = np.real(nd[j, 0]) if sweep else 0
            worst = f"{k} at {x:.4g}: {complex(got[j]) if kind=='ac' else float(np.real(got[j])):.6g} vs {complex(ref[j]) if kind=='ac' else float(np.real(ref[j])):.6g}"
            return worst
    return None


def cubic(x, y, at):
    """Cubic spline through (x, y) evaluated at `at` (None without scipy or
    with fewer than 4 distinct points; repeated abscissae keep the last)."""
    try:
        from scipy.interpolate import CubicSpline
    except ImportError:
        return None
    xr = x[::-1]
    u, idx = np.unique(xr, return_index=True)
    if len(u) < 4:
        return None
    return CubicSpline(u, y[::-1][idx])(at)


def strip_control(text):
    out, skip = [], False
    for line in text.splitlines():
        low = line.strip().lower()
        if low.startswith(".control"):
            skip = True
        elif low.startswith(".endc"):
            skip = False
            continue
        if not skip:
            out.append(line)
    return "\n".join(out) + "\n"


def run_one(path, spin, ng, timeout):
    name = os.path.relpath(path, CORPUS)
    work = tempfile.mkdtemp(prefix="compat_")
    try:
        base = os.path.basename(path)
        shutil.copy(path, os.path.join(work, base))
        with open(path, encoding="latin-1") as f:
            text = f.read()
        # ngspice: the netlist's own analyses (a .control block would run
        # instead of them and write no rawfile; batch mode ignores it anyway).
        ngfile = os.path.join(work, "ng_" + base)
        with open(ngfile, "w", encoding="latin-1") as f:
            f.write(strip_control(text))
        ref_path = os.path.join(work, "ref.raw")
        key = hashlib.sha1(text.encode("latin-1", "replace")).hexdigest()
        cached = os.path.join(CACHE, key + ".raw") if CACHE else None
        if cached and os.path.exists(cached):
            shutil.copy(cached, ref_path)
            rc = 0
        elif cached and os.path.exists(cached + ".none"):
            return name, "unsupported", "ngspice gives no result (cached)"
        else:
            try:
                rc = subprocess.run(
                    [ng, "-b", "-r", "ref.raw", "ng_" + base],
                    cwd=work, capture_output=True, timeout=timeout,
                ).returncode
            except subprocess.TimeoutExpired:
                return name, "unsupported", "ngspice timed out"
        ref = read_raw(ref_path) if os.path.exists(ref_path) else []
        ref = [p for p in ref if p["kind"] in ("op", "dc", "ac", "tran")]
        # a plot with no vector besides its sweep (a netlist without
        # elements) has nothing to compare
        empty = any(len(p["names"]) <= (0 if p["kind"] == "op" else 1) for p in ref)
        if rc != 0 or not ref or empty or any(len(p["data"]) == 0 for p in ref):
            if cached:
                open(cached + ".none", "w").close()
            return name, "unsupported", "ngspice gives no result"
        if cached and not os.path.exists(cached):
            shutil.copy(ref_path, cached)
        try:
            s = subprocess.run(
                [spin, "run", base, "-o", "out.raw", "--quiet", "--jobs", "1"],
                cwd=work, capture_output=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return name, "refused", "spinspice timed out"
        err = s.stderr.decode("utf-8", "replace")
        warned = "warning" in err.lower()
        out_path = os.path.join(work, "out.raw")
        got = read_raw(out_path) if os.path.exists(out_path) else []
        if s.returncode != 0:
            first = next((l for l in err.splitlines() if "error" in l.lower()), err.strip()[:200])
            return name, "refused", first.strip()[:200]
        for kind in ("op", "dc", "ac", "tran"):
            rk = [p for p in ref if p["kind"] == kind]
            gk = [p for p in got if p["kind"] == kind]
            if len(gk) < len(rk):
                return name, "differ" + ("+warned" if warned else ""), f"{kind}: {len(gk)} plots, ngspice {len(rk)}"
            for a, b in zip(gk, rk):
                why = compare_plot(a, b)
                if why:
                    return name, "differ" + ("+warned" if warned else ""), f"{kind}: {why}"
        return name, "match", ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    global CORPUS, CACHE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "tests", "compat", "corpus"))
    ap.add_argument("--spinspice", default=os.path.join(ROOT, "target", "release", "spinspice"))
    ap.add_argument("--ngspice", default="ngspice")
    ap.add_argument("--sample", help="file listing the netlists to run (one path a line)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--list", action="store_true", help="print one line per netlist")
    ap.add_argument(
        "--cache",
        default=os.path.join(ROOT, "target", "compat-ngspice"),
        help="directory keeping ngspice's rawfiles by netlist hash ('' = none)",
    )
    ap.add_argument("--require-all", action="store_true", help="exit 1 unless every supported netlist matches")
    a = ap.parse_args()
    CORPUS = os.path.abspath(a.corpus)
    CACHE = a.cache
    if CACHE:
        os.makedirs(CACHE, exist_ok=True)
    if a.sample:
        with open(a.sample) as f:
            files = [os.path.join(CORPUS, l.split()[0]) for l in f if l.strip() and not l.startswith("#")]
    else:
        files = sorted(
            os.path.join(d, f)
            for d, _, fs in os.walk(CORPUS)
            for f in fs
            if f.lower().endswith((".cir", ".sp", ".net", ".spi", ".ckt"))
        )
    known = {}
    kpath = os.path.join(os.path.dirname(CORPUS), "KNOWN.tsv")
    if os.path.exists(kpath):
        with open(kpath) as f:
            for line in list(f)[1:]:
                if "\t" in line:
                    k, why = line.rstrip("\n").split("\t", 1)
                    known[k] = why
    counts = {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(run_one, p, a.spinspice, a.ngspice, a.timeout) for p in files]
        for fu in cf.as_completed(futs):
            name, status, why = fu.result()
            if status.startswith("differ") and name in known:
                status, why = "known", f"{why}  [{known[name]}]"
            counts[status] = counts.get(status, 0) + 1
            if a.list or status not in ("match", "unsupported"):
                print(f"{status:14} {name}  {why}", flush=True)
    supported = sum(v for k, v in counts.items() if k != "unsupported")
    match = counts.get("match", 0)
    silent = counts.get("differ", 0)
    print(
        "summary: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        + f"; silent wrong results {silent}"
    )
    print(f"match {match} / supported {supported}")
    if a.require_all and match != supported:
        sys.exit(1)


CORPUS = ""
CACHE = ""
if __name__ == "__main__":
    main()
