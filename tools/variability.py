#!/usr/bin/env python3
"""Test accuracy of a trained RF network (tools/rf_network.py weights file) in its algebraic
model when its devices are not identical: the algebraic side of the variability study of
docs/systems/drone_network.md, to be put beside the circuit-level Monte Carlo runs.

  variability.py WEIGHTS [--mode fres|neuron-freq|power|seed-freq] [--sigmas 0,0.05,0.1,...]
                 [--draws 20] [--seed 1] [--classes 0,1] [-o var.h5] [--csv var.csv]

Modes (sigma in % of the nominal value; z ~ N(0, 1), independent per device unless stated):
  fres        every resonator's resonance frequency, both layers: f_r (1 + sigma z)
              (what a circuit-level Monte Carlo with fres={agauss(f, sigma*f, 1)} on every YSD
              line draws: one draw per instance)
  neuron-freq every neuron's emission frequency: f_n (1 + sigma z)
  power       every neuron's output power (the [004-code] --power-var-percentage, networks.py
              LayerOscillators.add_nonidealities): amp (1 + sigma z), clamped at 0
  seed-freq   the [004-code] --freq-var-percentage: the *initial grid* of each layer's resonance
              frequencies f0 (1 + sigma z) (one z per position k in the chain, shared by every
              chain of the layer, since the grid is one vector there) plus the trained offsets,
              and the neuron frequencies f_n (1 + sigma z); the layer-1 tones are the external
              inputs and are not varied
Draw d uses the same z for every sigma (common random numbers, as `.step mc` sample d does
when sigma is another swept parameter), so the curves are smooth in sigma.

Output: a table on stdout (and --csv): sigma, mean, std, min, max of the test accuracy [%];
with -o an HDF5 file laid out as a spinspice sweep (axes sigma [%] x draw, measure `accuracy`
[%]) that `spinspice plot measure var.h5 accuracy -x sigma --curves draw` draws.

  variability.py combine OUT.h5 A.csv B.csv ...
        the tables of several modes (same sigmas) as one sweep file, axes sigma x mode (the
        files in the order given), measures mean, lo = mean - std, hi = mean + std, min, max:
        `spinspice plot measure OUT.h5 mean -x sigma --curves mode`
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rf_network as rfn  # noqa: E402
import train_rf_network as trn  # noqa: E402

MODES = ("fres", "neuron-freq", "power", "seed-freq")


def accuracy(w, x, y, fres1, fres2, f_hid, amp):
    """Test accuracy [%] of the algebraic forward pass (train_rf_network.Spin) with perturbed
    devices."""
    wp = dict(w, fres1=fres1, fres2=fres2, f_hid=f_hid)
    v2 = trn.weights_params(wp).forward(x, amp=amp)
    return 100.0 * np.mean(np.argmax(v2, axis=1) == y)


def draws(w, mode, n, seed):
    """The standard normal draws of each of n draws (independent of sigma)."""
    rng = np.random.default_rng(seed)
    m, k, nn = w["hidden"], w["outputs"], w["inputs"]
    out = []
    for _ in range(n):
        if mode == "fres":
            out.append((rng.standard_normal((m, nn)), rng.standard_normal((k, m))))
        elif mode in ("neuron-freq", "power"):
            out.append(rng.standard_normal(m))
        else:
            out.append((rng.standard_normal(nn), rng.standard_normal(m), rng.standard_normal(m)))
    return out


def perturbed(w, mode, z, s):
    """(fres1, fres2, f_hid, amp) for relative spread s and draws z."""
    fres1, fres2, f_hid, amp = w["fres1"], w["fres2"], w["f_hid"], w["amp"]
    if mode == "fres":
        fres1 = fres1 * (1 + s * z[0])
        fres2 = fres2 * (1 + s * z[1])
    elif mode == "neuron-freq":
        f_hid = f_hid * (1 + s * z)
    elif mode == "power":
        amp = w["amp"] * np.clip(1 + s * z, 0, None)
    else:
        # [004-code]: res_freq = initial_res_freq (1 + X eps) + weight, initial grid shared by
        # all chains of a layer; layer 2's input (the neuron) frequencies (1 + X eps)
        g1, g2 = w["f_in"], w["f_hid"]
        fres1 = fres1 + (g1 * s * z[0])[None, :]
        fres2 = fres2 + (g2 * s * z[1])[None, :]
        f_hid = f_hid * (1 + s * z[2])
    return fres1, fres2, f_hid, amp


def write_h5(path, sigmas, acc, mode, weights):
    import h5py
    with h5py.File(path, "w") as f:
        f.attrs["title"] = f"test accuracy vs device spread ({mode}), {os.path.basename(weights)}"
        s = f.create_group("sweep")
        s.attrs["axes"] = np.array(["sigma", "draw"], dtype=object)
        s.attrs["shape"] = np.array(acc.shape, dtype=np.int64)
        s.attrs["measures"] = np.array(["accuracy"], dtype=object)
        s.attrs["measure_units"] = np.array(["%"], dtype=object)
        ax = s.create_group("axes")
        d = ax.create_dataset("sigma", data=np.asarray(sigmas, dtype=float))
        d.attrs["dim"], d.attrs["unit"] = np.int32(0), np.bytes_(b"%")
        d = ax.create_dataset("draw", data=np.arange(acc.shape[1], dtype=float))
        d.attrs["dim"], d.attrs["unit"] = np.int32(1), np.bytes_(b"")
        d = s.create_group("measures").create_dataset("accuracy", data=acc)
        d.attrs["unit"] = np.bytes_(b"%")
        s.create_dataset("status", data=np.zeros(acc.shape, dtype=np.int32))
        s.create_dataset("point", data=np.arange(acc.size, dtype=np.int64).reshape(acc.shape, order="F"))


def combine(out, csvs):
    import h5py
    tabs = [np.loadtxt(c, delimiter=",", comments="#", skiprows=2, ndmin=2) for c in csvs]
    sig = tabs[0][:, 0]
    if any(t.shape != tabs[0].shape or np.any(t[:, 0] != sig) for t in tabs):
        sys.exit("the tables have different sigmas")
    st = np.stack(tabs, axis=1)                       # sigma x mode x (s, mean, std, min, max)
    meas = {"mean": st[:, :, 1], "lo": st[:, :, 1] - st[:, :, 2], "hi": st[:, :, 1] + st[:, :, 2],
            "min": st[:, :, 3], "max": st[:, :, 4]}
    with h5py.File(out, "w") as f:
        f.attrs["title"] = "test accuracy vs device spread: " + ", ".join(
            f"mode {i} = {os.path.basename(c)}" for i, c in enumerate(csvs))
        s = f.create_group("sweep")
        s.attrs["axes"] = np.array(["sigma", "mode"], dtype=object)
        s.attrs["shape"] = np.array(st.shape[:2], dtype=np.int64)
        s.attrs["measures"] = np.array(list(meas), dtype=object)
        s.attrs["measure_units"] = np.array(["%"] * len(meas), dtype=object)
        ax = s.create_group("axes")
        d = ax.create_dataset("sigma", data=sig)
        d.attrs["dim"], d.attrs["unit"] = np.int32(0), np.bytes_(b"%")
        d = ax.create_dataset("mode", data=np.arange(len(csvs), dtype=float))
        d.attrs["dim"], d.attrs["unit"] = np.int32(1), np.bytes_(b"")
        g = s.create_group("measures")
        for k, v in meas.items():
            g.create_dataset(k, data=v).attrs["unit"] = np.bytes_(b"%")
        s.create_dataset("status", data=np.zeros(st.shape[:2], dtype=np.int32))
        s.create_dataset("point", data=np.arange(st.shape[0] * st.shape[1], dtype=np.int64)
                         .reshape(st.shape[:2], order="F"))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "combine":
        return combine(sys.argv[2], sys.argv[3:])
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights")
    ap.add_argument("--mode", choices=MODES, default="fres")
    ap.add_argument("--sigmas", default="0,0.05,0.1,0.2,0.5,1", help="spreads in %% (comma list)")
    ap.add_argument("--draws", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--classes", help="as in training (K < 10 outputs)")
    ap.add_argument("--data", default=trn.DATA)
    ap.add_argument("-o", help="HDF5 output (spinspice sweep layout)")
    ap.add_argument("--csv", help="table output")
    args = ap.parse_args()
    w = rfn.read_weights(args.weights)
    classes = trn.parse_classes(args.classes, w["outputs"])
    _, _, xte, yte = trn.load(args.data, w["inputs"], classes)
    sigmas = [float(s) for s in args.sigmas.split(",")]
    zs = draws(w, args.mode, args.draws, args.seed)
    acc = np.array([[accuracy(w, xte, yte, *perturbed(w, args.mode, z, s / 100)) for z in zs]
                    for s in sigmas])
    lines = [f"# {args.weights}: test accuracy [%] over {args.draws} draws (seed {args.seed}), "
             f"mode {args.mode}, {len(yte)} test samples",
             "sigma_pct,mean,std,min,max"]
    for s, a in zip(sigmas, acc):
        lines.append(f"{s:g},{a.mean():.3f},{a.std(ddof=1) if len(a) > 1 else 0:.3f},"
                     f"{a.min():.3f},{a.max():.3f}")
    print("\n".join(lines))
    if args.csv:
        with open(args.csv, "w") as fh:
            fh.write("\n".join(lines) + "\n")
    if args.o:
        write_h5(args.o, sigmas, acc, args.mode, args.weights)


if __name__ == "__main__":
    main()
