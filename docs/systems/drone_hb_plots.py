#!/usr/bin/env python3
"""Figures and tables of docs/systems/drone_network.md, "Circuit level (harmonic balance)", from
the result files of `tools/rf_network.py run --hb` (hb_results.h5) and the CSV tables of
`tools/variability.py`. matplotlib (in .ci/venv).

  drone_hb_plots.py confusion RESULTS.h5 -o confusion.png [--title T]
        confusion matrix of the circuit (and the algebra's, printed), the distribution of the
        output differences circuit - algebra and the samples that change class
  drone_hb_plots.py diffs A.h5 [B.h5+C.h5 ...] --labels a,b,... -o diffs.png
        histograms of (circuit - algebra) / max |algebra| per output, one per file
  drone_hb_plots.py variability MC.h5 ALG.csv -o variability.png [--title T] [--xlabel X]
        circuit-level test accuracy against sigma (mean and standard error over the draws,
        each draw's value as a dot) beside the algebraic model (ALG.csv of variability.py);
        sigma of the resonance frequencies, or of the neurons' power or frequency (run --hb
        --mc-mode)
"""
import argparse
import sys

import h5py
import numpy as np


def load(path):
    """A results file of `run --hb`; "a.h5+b.h5" joins the samples of several runs."""
    parts = []
    for p in path.split("+"):
        with h5py.File(p, "r") as f:
            r = {k: f[k][:] for k in f}
            r["attrs"] = dict(f.attrs)
        parts.append(r)
    r = parts[0]
    for q in parts[1:]:
        for k in ("rows", "label", "v2", "v2_algebra"):
            r[k] = np.concatenate([r[k], q[k]])
    return r


def classes_of(r):
    return np.array(r["attrs"]["classes"], dtype=int)


def confusion(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = load(args.results)
    cls = classes_of(r)
    lab, v2, va = r["label"], r["v2"], r["v2_algebra"]
    cc, ca = cls[np.argmax(v2, axis=1)], cls[np.argmax(va, axis=1)]
    k = len(cls)
    idx = {c: i for i, c in enumerate(cls)}
    mats = []
    for pred in (cc, ca):
        m = np.zeros((k, k), int)
        for t, p in zip(lab, pred):
            m[idx[t], idx[p]] += 1
        mats.append(m)
    big = np.max(np.abs(va), axis=1)
    d = (v2 - va) / big[:, None]
    srt = np.sort(va, axis=1)
    margin = (srt[:, -1] - srt[:, -2]) / big
    print(f"{len(lab)} samples; accuracy circuit {100 * np.mean(cc == lab):.2f} %, "
          f"algebra {100 * np.mean(ca == lab):.2f} %")
    print(f"(circuit - algebra)/max|algebra|: mean {d.mean():.2e}, sd {d.std():.2e}, "
          f"max |.| {np.abs(d).max():.2e}; smallest algebraic margin (top-2 gap) "
          f"{margin.min():.2e} of the largest output (row {r['rows'][np.argmin(margin)]})")
    ch = np.nonzero(cc != ca)[0]
    print(f"samples that change class: {len(ch)}")
    for i in ch:
        print(f"  row {r['rows'][i]} label {lab[i]}: circuit {cc[i]}, algebra {ca[i]}, "
              f"algebraic margin {margin[i]:.2e}, largest |diff| {np.abs(d[i]).max():.2e}")
    for name, m in (("circuit", mats[0]), ("algebra", mats[1])):
        print(f"confusion ({name}), rows true, columns predicted, classes {[int(c) for c in cls]}:")
        for row in m:
            print("  " + " ".join(f"{x:3d}" for x in row))
    fig, ax = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw=dict(width_ratios=[1, 1.1]))
    im = ax[0].imshow(mats[0], cmap="Blues")
    for i in range(k):
        for j in range(k):
            if mats[0][i, j]:
                ax[0].text(j, i, str(mats[0][i, j]), ha="center", va="center", fontsize=8,
                           color="white" if mats[0][i, j] > mats[0].max() / 2 else "black")
    ax[0].set_xticks(range(k), cls)
    ax[0].set_yticks(range(k), cls)
    ax[0].set_xlabel("predicted class (circuit, harmonic balance)")
    ax[0].set_ylabel("true class")
    ax[0].set_title(f"confusion matrix, {len(lab)} test samples")
    fig.colorbar(im, ax=ax[0], fraction=0.046)
    ax[1].hist(d.ravel(), bins=60, color="tab:blue")
    ax[1].set_xlabel("(circuit − algebra) / max |algebra|, every output")
    ax[1].set_ylabel("outputs")
    ax[1].set_title("output differences")
    fig.suptitle(args.title or "")
    fig.tight_layout()
    fig.savefig(args.o, dpi=110)


def diffs(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = args.labels.split(",")
    fig, ax = plt.subplots(figsize=(7, 4))
    for path, name in zip(args.results, labels):
        r = load(path)
        va = r["v2_algebra"]
        d = (r["v2"] - va) / np.max(np.abs(va), axis=1)[:, None]
        ax.hist(d.ravel(), bins=50, histtype="step", lw=1.5, density=True,
                label=f"{name} ({len(va)} samples × {va.shape[1]} outputs)")
        print(f"{name}: mean {d.mean():.2e}, sd {d.std():.2e}, max |.| {np.abs(d).max():.2e}")
    ax.set_xlabel("(circuit − algebra) / max |algebra| of the sample")
    ax.set_ylabel("probability density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.o, dpi=110)


def variability(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    r = load(args.mc)
    cls = classes_of(r)
    sig = r["sigma"]
    v2 = r["v2"]                                  # [sig, mc, sample, K]
    # a failed point (NaN) counts as misclassified, as in run --hb
    ok = ~np.isnan(v2).any(axis=3)
    pred = cls[np.argmax(np.nan_to_num(v2, nan=-np.inf), axis=3)]
    acc = 100 * np.mean((pred == r["label"][None, None, :]) & ok, axis=2)
    nd = acc.shape[1]
    lines = [ln for ln in open(args.alg) if not ln.startswith("#")]
    alg = np.genfromtxt(lines, delimiter=",", names=True)
    ndalg = args.alg_draws
    print("sigma [%] | circuit: mean ± sd (standard error), min-max | algebra: mean ± sd")
    for i, s in enumerate(sig):
        a = acc[i]
        j = int(np.argmin(np.abs(alg["sigma_pct"] - s)))
        print(f"{s:g} | {a.mean():.1f} ± {a.std(ddof=1):.1f} ({a.std(ddof=1) / np.sqrt(nd):.1f}), "
              f"{a.min():.1f}-{a.max():.1f} | {alg['mean'][j]:.1f} ± {alg['std'][j]:.1f}")
    fig, ax = plt.subplots(figsize=(7, 4.3))
    x = np.arange(len(sig))
    for i in range(len(sig)):
        ax.plot(np.full(nd, x[i] - 0.08) + np.linspace(-0.05, 0.05, nd), acc[i], ".",
                color="tab:blue", alpha=0.3, ms=4)
    ax.errorbar(x - 0.08, acc.mean(axis=1), yerr=acc.std(axis=1, ddof=1) / np.sqrt(nd),
                fmt="o-", color="tab:blue", capsize=4,
                label=f"circuit (staged HB), {nd} draws: mean ± standard error")
    ax.errorbar(x + 0.08, alg["mean"], yerr=alg["std"] / np.sqrt(ndalg), fmt="s--",
                color="tab:orange", capsize=4,
                label=f"algebraic model, {ndalg} draws: mean ± standard error")
    ax.set_xticks(x, [f"{s:g}" for s in sig])
    ax.set_xlabel(args.xlabel)
    ax.set_ylabel("test accuracy [%]")
    ax.set_title(args.title or "")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.o, dpi=110)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("confusion")
    c.add_argument("results")
    c.add_argument("-o", required=True)
    c.add_argument("--title")
    d = sub.add_parser("diffs")
    d.add_argument("results", nargs="+")
    d.add_argument("--labels", required=True)
    d.add_argument("-o", required=True)
    v = sub.add_parser("variability")
    v.add_argument("mc")
    v.add_argument("alg")
    v.add_argument("--alg-draws", type=int, default=200)
    v.add_argument("--xlabel", default="σ_f: spread of every resonance frequency [% of f_r]")
    v.add_argument("-o", required=True)
    v.add_argument("--title")
    args = ap.parse_args()
    {"confusion": confusion, "diffs": diffs, "variability": variability}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
