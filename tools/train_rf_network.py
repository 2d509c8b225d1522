#!/usr/bin/env python3
"""Training of the seed-004 RF spintronic network (and of the standard MLP it is compared with)
in its algebraic model, on the drone RF fingerprints. Not run in CI: a documented tool whose
output (the weights files in tools/weights/) is shipped. Write-up: docs/systems/drone_network.md.

  train_rf_network.py spin -N 256 -M 128 -K 10 [--epochs 100] [--seed 0] -o w.txt
  train_rf_network.py mlp  -N 256 -M 128 -K 10 [--epochs 100] [--seed 0] [-o mlp.h5]
  train_rf_network.py eval weights.txt            test (and train) accuracy of a weights file
  train_rf_network.py gradcheck                   hand gradients against finite differences

The model is the forward pass of tools/rf_network.py (the [004-code] `spinMLP` of
neurophysics-cnrsthales/rf_spintronic_nn, src/networks.py, with the kernel the device realises,
G_dev(f) = G(f) + G(-f)):
  V1 = P W1(fres1)^T + bias1 + b1,  I = clamp(gm V1, Ith, Iclamp),  p = (xi-1)/(xi+Q),
  Pn = amp p I^2 Rosc,  V2 = Pn W2(fres2)^T + b2,  logits = V2 in mV,
and the training is the [004-code] procedure (procedures.py model_train_eval with
config_spinMLP.yaml / config_MLP.yaml):
  - trainable: the resonance-frequency offsets of every resonator (fres = initial grid + w, w in
    GHz, initialised N(0, 1e-3/sqrt(chain length)) GHz) and one voltage bias per chain (V,
    N(0, 1e-2/sqrt(chains)));
  - fixed: bias1 = 11.0846 mV, gm = 3.38837 uA/mV, the neuron and resonator constants;
  - cross-entropy on the output voltages in mV, Adam (beta 0.9/0.999, eps 1e-8) with
    lr 6.6093e-6 (spin) / 0.035712 (MLP), batches of 256 shuffled each epoch, 100 epochs;
  - MLP: nn.Linear layers (PyTorch's default uniform init), ReLU, same loss and optimiser.
numpy only: the gradients are written out below (backward()) and checked by `gradcheck`.

With N < 256 inputs the N powers are the means of groups of 256/N bins (tools/rf_network.py
inputs()); with K < 10 outputs, --classes selects the classes kept (relabelled 0..K-1).
"""
import argparse
import hashlib
import math
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import rf_network as rfn  # noqa: E402

DATA = os.path.join(REPO, "..", "shared", "data", "drone_rf_fingerprints.h5")
DATA_REL = "../shared/data/drone_rf_fingerprints.h5"   # as written in provenance lines

# [004-code] config_spinMLP.yaml / config_MLP.yaml
LR_SPIN = 6.6093213492233285e-06
LR_MLP = 0.03571156133891213
BATCH = 256
W_SCALING = 1e-3      # resonators_params.weight_scaling [GHz]
B_SCALING = 1e-2      # resonators_params.bias_scaling [V]
BIAS1 = 0.011084586710145186
GM = 3.388370758630916e-3


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------
def load(path, n, classes):
    """(X_train, y_train, X_test, y_test): powers in uW (N inputs: means of groups of bins) and
    labels 0..K-1 over the kept classes."""
    import h5py
    with h5py.File(path, "r") as h:
        xtr, ytr = h["X_train"][:], h["Y_train"][:].astype(int)
        xte, yte = h["X_test"][:], h["Y_test"][:].astype(int)
    if xtr.shape[1] % n:
        sys.exit(f"{xtr.shape[1]} bins are not a multiple of {n} inputs")
    out = []
    for x, y in ((xtr, ytr), (xte, yte)):
        keep = np.isin(y, classes)
        x = x[keep].reshape(keep.sum(), n, -1).mean(axis=2)
        y = np.searchsorted(classes, y[keep])
        out += [x, y]
    return out


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()[:16]


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


# ----------------------------------------------------------------------------------------------
# spintronic network: forward and hand-written backward
# ----------------------------------------------------------------------------------------------
def kernel_and_slope(f, fr, alpha, ksd, mirror=True, slope=True):
    """G_dev(f; fr) [V/W] and dG_dev/dfr [V/W/Hz] (broadcasting). With u = f - fr, w = alpha fr:
    G = 2wu/(w^2+u^2) ksd, dG/dfr = alpha dG/dw - dG/du, dG/dw = 2u(u^2-w^2)/(w^2+u^2)^2,
    dG/du = 2w(w^2-u^2)/(w^2+u^2)^2; the mirror term is the same with u = -f - fr
    (mirror=False: the one-sided kernel G of the [004-code]; slope=False: d is None)."""
    w = alpha * fr
    w2 = w * w
    g = np.zeros(np.broadcast(f, fr).shape)
    d = np.zeros_like(g)
    for ff in ((f, -f) if mirror else (f,)):
        u = ff - fr
        u2 = u * u
        den = w2 + u2
        g += 2 * w * u / den
        if slope:
            den2 = den * den
            d += alpha * 2 * u * (u2 - w2) / den2 - 2 * w * (w2 - u2) / den2
    return g * ksd, (d * ksd if slope else None)


class Spin:
    """Parameters: w1 (M,N), w2 (K,M) frequency offsets [GHz]; b1 (M,), b2 (K,) biases [V]."""

    def __init__(self, w, params, mirror=True):
        self.w = w
        self.p = params
        self.mirror = mirror

    def fres(self):
        w = self.w
        return (w["f_in"][None, :] + 1e9 * self.p["w1"],
                w["f_hid"][None, :] + 1e9 * self.p["w2"])

    def layer(self, f, fres, sign, slope):
        """W[j, i] = sum_k s_k G_dev(f_i; fres[j, k]) and (slope) the slope tensor for the
        backward."""
        g, d = kernel_and_slope(f[None, :, None], fres[:, None, :], self.w["alpha"],
                                self.w["ksd"], self.mirror, slope)
        return np.sum(g * sign[None, None, :], axis=2), (d * sign[None, None, :] if slope else None)

    def forward(self, x_uw, keep=False, amp=None):
        """Output voltages (and with `keep` what backward() needs); `amp` overrides the neuron
        power factor (a vector: one per neuron)."""
        w = self.w
        f1, f2 = self.fres()
        w1, d1 = self.layer(w["f_in"], f1, w["sign1"], keep)
        w2, d2 = self.layer(w["f_hid"], f2, w["sign2"], keep)
        x = x_uw * 1e-6
        v1 = x @ w1.T + w["bias1"] + self.p["b1"]
        ilin = w["gm"] * v1
        i = np.clip(ilin, w["ith"], w["iclamp"])
        xi = i / w["ith"]
        pn = (xi - 1) / (xi + w["q"])
        a = w["amp"] if amp is None else amp
        pout = a * pn * i ** 2 * w["rosc"]
        v2 = pout @ w2.T + self.p["b2"]
        if not keep:
            return v2
        return v2, dict(x=x, w1=w1, d1=d1, w2=w2, d2=d2, ilin=ilin, i=i, xi=xi, pn=pn,
                        pout=pout)

    def backward(self, c, dv2):
        """Gradients of a loss with dL/dV2 = dv2 (B,K), in the parameters' units."""
        w = self.w
        g = {"b2": dv2.sum(axis=0)}
        dw2 = dv2.T @ c["pout"]                                   # (K, M)
        g["w2"] = 1e9 * np.einsum("qm,qmk->qk", dw2, c["d2"])
        dpout = dv2 @ c["w2"]                                     # (B, M)
        dpn_di = (w["q"] + 1) / (c["xi"] + w["q"]) ** 2 / w["ith"]
        di = dpout * w["amp"] * w["rosc"] * (dpn_di * c["i"] ** 2 + 2 * c["pn"] * c["i"])
        # torch.clamp passes the gradient only strictly inside the bounds
        di *= (c["ilin"] > w["ith"]) & (c["ilin"] < w["iclamp"])
        dv1 = di * w["gm"]
        g["b1"] = dv1.sum(axis=0)
        dw1 = dv1.T @ c["x"]                                      # (M, N)
        g["w1"] = 1e9 * np.einsum("ji,jik->jk", dw1, c["d1"])
        return g


def logits_spin(v2):
    return v2 * 1e3            # [004-code]: output voltages in mV are the scores


def cross_entropy(logits, y):
    """Mean cross-entropy and its gradient with respect to the logits."""
    z = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1))
    loss = np.mean(lse - z[np.arange(len(y)), y])
    sm = np.exp(z - lse[:, None])
    sm[np.arange(len(y)), y] -= 1
    return loss, sm / len(y)


class Adam:
    """torch.optim.Adam (no weight decay, no amsgrad)."""

    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        c1 = 1 - self.b1 ** self.t
        c2 = 1 - self.b2 ** self.t
        for k in params:
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * grads[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * grads[k] ** 2
            params[k] -= self.lr * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + self.eps)


def spin_init(n, m, k, rng):
    """The [004-code] grids (tools/rf_network.py example(), neuron grid rounded to multiples of
    1/window2 for the circuit) and the [004-code] initial parameters."""
    w = rfn.example(n, m, k, seed=0, spread=0.0)
    w["bias1"], w["gm"] = BIAS1, GM
    params = {"w1": rng.normal(0, W_SCALING / math.sqrt(n), (m, n)),
              "w2": rng.normal(0, W_SCALING / math.sqrt(m), (k, m)),
              "b1": rng.normal(0, B_SCALING / math.sqrt(m), m),
              "b2": rng.normal(0, B_SCALING / math.sqrt(k), k)}
    return w, params


def accuracy(scores, y):
    return 100.0 * np.mean(np.argmax(scores, axis=1) == y)


def train_loop(model_fn, params, data, epochs, lr, rng, log):
    """Minibatch Adam; model_fn(x, y) -> (loss, grads). Returns per-epoch (loss, train acc,
    test acc) via log(epoch, ...)."""
    xtr, ytr, xte, yte = data
    opt = Adam(params, lr)
    for ep in range(epochs):
        perm = rng.permutation(len(ytr))
        tot = 0.0
        for s in range(0, len(ytr), BATCH):
            idx = perm[s:s + BATCH]
            loss, grads = model_fn(xtr[idx], ytr[idx])
            opt.step(params, grads)
            tot += loss
        log(ep + 1, tot / math.ceil(len(ytr) / BATCH))


def train_spin(args):
    rng = np.random.default_rng(args.seed)
    classes = parse_classes(args.classes, args.K)
    data = load(args.data, args.N, classes)
    xtr, ytr, xte, yte = data
    w, params = spin_init(args.N, args.M, args.K, rng)
    net = Spin(w, params, mirror=args.kernel == "device")

    def step(x, y):
        v2, c = net.forward(x, keep=True)
        loss, dl = cross_entropy(logits_spin(v2), y)
        return loss, net.backward(c, 1e3 * dl)

    t0 = time.perf_counter()
    hist = []

    def log(ep, loss):
        a_tr = accuracy(net.forward(xtr), ytr)
        a_te = accuracy(net.forward(xte), yte)
        hist.append((ep, loss, a_tr, a_te))
        if ep % args.print_every == 0 or ep == args.epochs:
            print(f"epoch {ep:4d}  loss {loss:.4f}  train {a_tr:6.2f} %  test {a_te:6.2f} %  "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)

    log(0, float("nan"))
    train_loop(step, params, data, args.epochs, args.lr or LR_SPIN, rng, log)
    _, c = net.forward(xte, keep=True)
    i = c["i"]
    frac_clamped = (np.mean(c["ilin"] <= w["ith"]), np.mean(c["ilin"] >= w["iclamp"]))
    f1, f2 = net.fres()
    dev_note = ""
    if not net.mirror:
        a_dev = accuracy(Spin(w, params).forward(xte), yte)
        dev_note = (f"\ntrained with the ONE-SIDED kernel G of the [004-code]; with the device kernel "
                    f"G_dev (what the circuit computes) the test accuracy is {a_dev:.2f} %")
        print(dev_note.strip())
    w_out = dict(w)
    w_out["fres1"], w_out["fres2"] = f1, f2
    w_out["b1"], w_out["b2"] = params["b1"], params["b2"]
    ep, loss, a_tr, a_te = hist[-1]
    cmd = "tools/train_rf_network.py " + " ".join(
        a if a != args.data else DATA_REL for a in sys.argv[1:])
    comment = f"""TRAINED weights {args.N}-{args.M}-{args.K} (algebraic model of tools/rf_network.py)
command: python3 {cmd}
data: {DATA_REL} (sha256 {file_digest(args.data)}…), classes {','.join(map(str, classes))}
seed {args.seed} (numpy default_rng), epochs {args.epochs}, Adam lr {args.lr or LR_SPIN:g}, batch {BATCH}
code: spinspice {git_commit()}, numpy {np.__version__}; wall time {time.perf_counter() - t0:.0f} s
result: train accuracy {a_tr:.2f} %, test accuracy {a_te:.2f} % (loss {loss:.4f})
test set: {100 * frac_clamped[0]:.1f} % of hidden currents at I_th, {100 * frac_clamped[1]:.1f} % at the clamp
Trainable: fres1, fres2 (initial grids + offsets), b1 (per layer-1 chain), b2 (per output) [V].{dev_note}"""
    rfn.write_weights(args.o, w_out, comment)
    print(f"wrote {args.o}: train {a_tr:.2f} %, test {a_te:.2f} %")
    if args.history:
        np.savetxt(args.history, np.array(hist), header="epoch loss train_acc test_acc",
                   fmt="%.6g")


# ----------------------------------------------------------------------------------------------
# standard MLP
# ----------------------------------------------------------------------------------------------
def mlp_init(sizes, rng):
    """nn.Linear default init: weight and bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    p = {}
    for l, (a, b) in enumerate(zip(sizes, sizes[1:])):
        s = 1 / math.sqrt(a)
        p[f"W{l}"] = rng.uniform(-s, s, (b, a))
        p[f"c{l}"] = rng.uniform(-s, s, b)
    return p


def mlp_forward(p, x, keep=False):
    h = x @ p["W0"].T + p["c0"]
    a = np.maximum(h, 0)
    out = a @ p["W1"].T + p["c1"]
    return (out, (x, h, a)) if keep else out


def mlp_backward(p, cache, dout):
    x, h, a = cache
    g = {"W1": dout.T @ a, "c1": dout.sum(axis=0)}
    dh = (dout @ p["W1"]) * (h > 0)
    g["W0"] = dh.T @ x
    g["c0"] = dh.sum(axis=0)
    return g


def train_mlp(args):
    rng = np.random.default_rng(args.seed)
    classes = parse_classes(args.classes, args.K)
    data = load(args.data, args.N, classes)
    xtr, ytr, xte, yte = data
    params = mlp_init((args.N, args.M, args.K), rng)

    def step(x, y):
        out, c = mlp_forward(params, x, keep=True)
        loss, dl = cross_entropy(out, y)
        return loss, mlp_backward(params, c, dl)

    hist = []

    def log(ep, loss):
        a_tr = accuracy(mlp_forward(params, xtr), ytr)
        a_te = accuracy(mlp_forward(params, xte), yte)
        hist.append((ep, loss, a_tr, a_te))
        if ep % args.print_every == 0 or ep == args.epochs:
            print(f"epoch {ep:4d}  loss {loss:.4f}  train {a_tr:6.2f} %  test {a_te:6.2f} %",
                  flush=True)

    log(0, float("nan"))
    train_loop(step, params, data, args.epochs, args.lr or LR_MLP, rng, log)
    ep, loss, a_tr, a_te = hist[-1]
    print(f"MLP {args.N}-{args.M}-{args.K}: train {a_tr:.2f} %, test {a_te:.2f} %")
    if args.o:
        import h5py
        with h5py.File(args.o, "w") as h:
            for k, v in params.items():
                h[k] = v
            h.attrs["command"] = "python3 tools/train_rf_network.py " + " ".join(sys.argv[1:])
            h.attrs["seed"], h.attrs["epochs"] = args.seed, args.epochs
            h.attrs["train_accuracy"], h.attrs["test_accuracy"] = a_tr, a_te
    if args.history:
        np.savetxt(args.history, np.array(hist), header="epoch loss train_acc test_acc",
                   fmt="%.6g")


# ----------------------------------------------------------------------------------------------
# evaluation, gradient check
# ----------------------------------------------------------------------------------------------
def weights_params(w):
    """A Spin model evaluating a weights file as it is (fres absolute, biases)."""
    m, k = w["hidden"], w["outputs"]
    params = {"w1": (w["fres1"] - w["f_in"][None, :]) / 1e9,
              "w2": (w["fres2"] - w["f_hid"][None, :]) / 1e9,
              "b1": w.get("b1", np.zeros(m)), "b2": w.get("b2", np.zeros(k))}
    return Spin(w, params)


def evaluate(args):
    w = rfn.read_weights(args.weights)
    classes = parse_classes(args.classes, w["outputs"])
    xtr, ytr, xte, yte = load(args.data, w["inputs"], classes)
    net = weights_params(w)
    net.mirror = args.kernel == "device"
    print(f"{args.weights} ({args.kernel} kernel): train {accuracy(net.forward(xtr), ytr):.2f} %, "
          f"test {accuracy(net.forward(xte), yte):.2f} % ({len(yte)} test samples)")


def gradcheck(args):
    rng = np.random.default_rng(3)
    n, m, k = 16, 8, 3
    w, params = spin_init(n, m, k, rng)
    w["bias1"] = 0.0                      # keep the hidden currents inside the clamp
    params["b1"] = rng.uniform(0.004, 0.008, m)
    params["w1"] = rng.normal(0, 2e-4, (m, n))
    params["w2"] = rng.normal(0, 2e-4, (k, m))
    net = Spin(w, params)
    x = rng.uniform(0, 1, (5, n))
    y = rng.integers(0, k, 5)

    def loss_of():
        return cross_entropy(logits_spin(net.forward(x)), y)[0]

    v2, c = net.forward(x, keep=True)
    inside = np.mean((c["ilin"] > w["ith"]) & (c["ilin"] < w["iclamp"]))
    _, dl = cross_entropy(logits_spin(v2), y)
    g = net.backward(c, 1e3 * dl)
    worst = 0.0
    for key, h in (("w1", 1e-8), ("w2", 1e-8), ("b1", 1e-7), ("b2", 1e-7)):
        num = np.zeros_like(params[key])
        for idx in np.ndindex(params[key].shape):
            old = params[key][idx]
            params[key][idx] = old + h
            lp = loss_of()
            params[key][idx] = old - h
            lm = loss_of()
            params[key][idx] = old
            num[idx] = (lp - lm) / (2 * h)
        err = np.max(np.abs(num - g[key])) / np.max(np.abs(num))
        worst = max(worst, err)
        print(f"{key}: max |analytic - numeric| / max |numeric| = {err:.2e}")
    pm = mlp_init((n, m, k), rng)
    out, c = mlp_forward(pm, x, keep=True)
    _, dl = cross_entropy(out, y)
    g = mlp_backward(pm, c, dl)
    for key in pm:
        num = np.zeros_like(pm[key])
        for idx in np.ndindex(pm[key].shape):
            old = pm[key][idx]
            pm[key][idx] = old + 1e-6
            lp = cross_entropy(mlp_forward(pm, x), y)[0]
            pm[key][idx] = old - 1e-6
            lm = cross_entropy(mlp_forward(pm, x), y)[0]
            pm[key][idx] = old
            num[idx] = (lp - lm) / 2e-6
        err = np.max(np.abs(num - g[key])) / np.max(np.abs(num))
        worst = max(worst, err)
        print(f"MLP {key}: {err:.2e}")
    print(f"hidden currents inside the clamp: {100 * inside:.0f} %")
    if worst > 1e-5:
        sys.exit(f"gradient check FAILED ({worst:.2e})")
    print("gradient check passed")


def parse_classes(text, k):
    classes = list(range(10)) if text is None else [int(c) for c in text.split(",")]
    if len(classes) != k:
        sys.exit(f"{k} outputs need {k} classes (--classes), got {len(classes)}")
    return np.array(sorted(classes))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("spin", "mlp"):
        s = sub.add_parser(name)
        s.add_argument("-N", type=int, default=256)
        s.add_argument("-M", type=int, default=128)
        s.add_argument("-K", type=int, default=10)
        s.add_argument("--classes", help="comma-separated classes kept (K of them)")
        s.add_argument("--epochs", type=int, default=100)
        s.add_argument("--seed", type=int, default=0)
        s.add_argument("--lr", type=float, help="Adam learning rate (default: the [004-code] one)")
        s.add_argument("--data", default=DATA)
        s.add_argument("--print-every", type=int, default=10)
        s.add_argument("--history", help="write epoch, loss, train and test accuracy here")
        if name == "spin":
            s.add_argument("--kernel", choices=("device", "one-sided"), default="device",
                           help="G_dev = G(f) + G(-f), the device's (default), or the [004-code] G")
        s.add_argument("-o", required=(name == "spin"))
    e = sub.add_parser("eval")
    e.add_argument("weights")
    e.add_argument("--kernel", choices=("device", "one-sided"), default="device")
    e.add_argument("--classes")
    e.add_argument("--data", default=DATA)
    sub.add_parser("gradcheck")
    args = ap.parse_args()
    {"spin": train_spin, "mlp": train_mlp, "eval": evaluate, "gradcheck": gradcheck}[args.cmd](args)


if __name__ == "__main__":
    main()
