#!/usr/bin/env python3
"""Generator for the multilayer RF spintronic network of seed 004 (Ross et al., Nat.
Nanotechnol. 18, 1273 (2023); code neurophysics-cnrsthales/rf_spintronic_nn, src/networks.py):
N input tones -> M chains of N resonators -> M V->I stages + STNO neurons -> K chains of M
resonators. The paper's drone classifier is 256-128-10. Physics and the algebraic model:
docs/physics/systems.md item 7; write-up and measured numbers: docs/systems/rf_network.md.

  rf_network.py example  -N 256 -M 128 -K 10 [--seed S] -o weights.txt
  rf_network.py netlist  weights.txt [--data H5 --sample n | --powers p1,p2,..] -o net.cir
  rf_network.py algebra  weights.txt [--data H5 --sample n | --powers ...]
  rf_network.py netlist  ... --stage layer1 --chains a:b | --stage layer2 --v1 MEASURES
  rf_network.py netlist  weights.txt --table [--rows A:B] -o net.cir
        one netlist for many test samples: the input powers are the .params p0..p255, set row
        by row from X_test of the data file (.data test file=… dataset=X_test param=p
        rows=A:B; .step data=test): a sweep whose axis `test` is the sample number
  rf_network.py run      weights.txt [--data H5 --sample n | --powers ...] [--tstop T]
                         [--spinspice PATH] [--keep DIR] [--stages P [--jobs J]]
        writes the netlist, runs spinspice, compares the 10 (K) output chain voltages with the
        algebraic forward pass and prints the wall time and the per-output relative errors.
        With --stages P the same circuit runs layer by layer: P layer-1 netlists (groups of
        chains, J at a time in parallel) up to t2, then the layer-2 netlist with their held
        chain voltages as DC sources (exact: see netlist(); the drone network runs this way).
  rf_network.py run      weights.txt --hb [--sample n | --samples r1,.. | --table [--rows A:B]]
                         [--classes c1,..] [--group G] [--jobs J] [--mc N --sigmas .. --seed S]
                         [--keep DIR] [--out results.h5]
        the steady state by a staged harmonic balance (hb_layer1, hb_neuron, hb_layer2): the
        same circuit, every sample a point of a .data sweep; prints each sample's class beside
        the algebra's and both accuracies (docs/systems/drone_network.md §5)

Weights file (text, one record per line, '#' starts a comment; frequencies in Hz):
  format rfnet 1
  inputs N / hidden M / outputs K
  alpha A            resonator damping (config resonators_params.damping)
  ksd K              V/W, the seed 004-code K_SD (8838.8347 = 8.84 mV/uW)
  r0 R               ohm, resonator resistance (P = 1/2 r0 |I|^2)
  bias1 V            V, layer-1 voltage bias (config add_voltage_bias)
  gm G               A/V, V->I factor (config voltage_to_current_factors)
  ith I / q Q / iclamp I / rosc R     STNO neuron (config Ith_osc, Q, Iclamp, R_osc)
  amp A              neuron output power factor (LayerOscillators amp_factor 1.25)
  gammag G           1/s, STNO damping rate (chosen; sets the neuron settling time)
  window1 T / window2 T    s, common period of the input tones / of the neuron tones
  f_in  f_1 ... f_N        input tone frequencies
  f_hid f_1 ... f_M        neuron frequencies
  sign1 s_1 ... s_N        orientation of resonator k in every layer-1 chain (+1/-1)
  sign2 s_1 ... s_M        orientation of resonator k in every layer-2 chain
  fres1 f_1 ... f_N        M lines: resonance frequencies of layer-1 chain j
  fres2 f_1 ... f_M        K lines: resonance frequencies of layer-2 chain m
  b1 b_1 ... b_M           optional: V, trained bias of each layer-1 chain (added to bias1)
  b2 b_1 ... b_K           optional: V, trained bias of each output (added to its voltage)
Inputs: powers in uW (1.0 = 1 uW absorbed by every layer-1 resonator), as the data set.

Algebraic model ([004-code], with the kernel the device realises, systems.md item 7):
  G(f; fr)   = 2 alpha fr (f - fr)/((alpha fr)^2 + (f - fr)^2) K_SD,   G_dev = G(f) + G(-f)
  V1_j       = sum_i P_i sum_k s_k G_dev(f_i; fres1_jk) + bias1 + b1_j
  I_j        = clamp(gm V1_j, ith, iclamp),   p_j = (xi - 1)/(xi + Q),  xi = I_j/ith
  Pn_j       = amp p_j I_j^2 rosc
  V2_m       = sum_j Pn_j sum_k s_k G_dev(f_hid_j; fres2_mk) + b2_m
"""
import argparse
import math
import os
import subprocess
import sys
import time

import numpy as np

# ../shared/data beside the repository (the brief's layout)
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "..", "shared",
                    "data", "drone_rf_fingerprints.h5")

KEYS1 = ("alpha", "ksd", "r0", "bias1", "gm", "ith", "q", "iclamp", "rosc", "amp", "gammag",
         "window1", "window2")


# ----------------------------------------------------------------------------------------------
# weights file
# ----------------------------------------------------------------------------------------------
def read_weights(path):
    w = {"fres1": [], "fres2": []}
    with open(path) as fh:
        for ln, line in enumerate(fh, 1):
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            key, vals = line[0], line[1:]
            try:
                if key == "format":
                    if vals != ["rfnet", "1"]:
                        raise ValueError(f"unknown format {' '.join(vals)}")
                elif key in ("inputs", "hidden", "outputs"):
                    w[key] = int(vals[0])
                elif key in KEYS1:
                    w[key] = float(vals[0])
                elif key in ("f_in", "f_hid", "sign1", "sign2", "b1", "b2"):
                    w[key] = np.array([float(v) for v in vals])
                elif key in ("fres1", "fres2"):
                    w[key].append([float(v) for v in vals])
                else:
                    raise ValueError(f"unknown key '{key}'")
            except (ValueError, IndexError) as e:
                sys.exit(f"{path}:{ln}: {e}")
    n, m, k = w.get("inputs"), w.get("hidden"), w.get("outputs")
    for key in ("inputs", "hidden", "outputs", "f_in", "f_hid", "sign1", "sign2") + KEYS1:
        if key not in w:
            sys.exit(f"{path}: missing '{key}'")
    w["fres1"], w["fres2"] = np.array(w["fres1"]), np.array(w["fres2"])
    w.setdefault("b1", np.zeros(m))
    w.setdefault("b2", np.zeros(k))
    shapes = {"f_in": (n,), "f_hid": (m,), "sign1": (n,), "sign2": (m,), "fres1": (m, n),
              "fres2": (k, m), "b1": (m,), "b2": (k,)}
    for key, shp in shapes.items():
        if w[key].shape != shp:
            sys.exit(f"{path}: '{key}' has shape {w[key].shape}, expected {shp}")
    return w


def write_weights(path, w, comment):
    with open(path, "w") as fh:
        for line in comment.strip().splitlines():
            fh.write(f"# {line}\n")
        fh.write("format rfnet 1\n")
        fh.write(f"inputs {w['inputs']}\nhidden {w['hidden']}\noutputs {w['outputs']}\n")
        for key in KEYS1:
            fh.write(f"{key} {w[key]!r}\n")
        for key in ("f_in", "f_hid", "sign1", "sign2"):
            fh.write(key + " " + " ".join(f"{v:.10g}" for v in w[key]) + "\n")
        for key in ("fres1", "fres2"):
            for row in w[key]:
                fh.write(key + " " + " ".join(f"{v:.10g}" for v in row) + "\n")
        for key in ("b1", "b2"):
            if key in w:
                fh.write(key + " " + " ".join(f"{v!r}" for v in map(float, w[key])) + "\n")


def example(n, m, k, seed, spread):
    """The [004-code] initial grids (layer 1: linear 20-120 MHz; neurons and layer 2: the
    geometric grid of freq_distributions.py), the neuron grid rounded to multiples of
    1/window2, plus seeded random offsets of +-spread line widths (NOT trained weights)."""
    fmin, fmax = 20e6, 120e6
    f_in = np.linspace(fmin, fmax, n)
    window1 = (n - 1) / (fmax - fmin)                      # 1/tone spacing
    coef = (fmax / fmin) ** (1 / (m - 1))
    mu = (coef - 1) / (coef + 1)
    f_geo = fmin * ((1 + mu) / (1 - mu)) ** np.arange(m)
    # common grid for the neuron tones: half the smallest geometric spacing, so no two neurons
    # share a frequency; the layer-2 DC average then needs window2 = 1/grid
    grid = (f_geo[1] - f_geo[0]) / 2
    grid = fmin / math.ceil(fmin / grid)                   # fmin on the grid
    f_hid = np.round(f_geo / grid) * grid
    assert len(set(f_hid)) == m
    rng = np.random.default_rng(seed)
    alpha = 0.01
    fres1 = f_in[None, :] * (1 + alpha * spread * rng.uniform(-1, 1, (m, n)))
    fres2 = f_hid[None, :] * (1 + alpha * spread * rng.uniform(-1, 1, (k, m)))
    return dict(inputs=n, hidden=m, outputs=k, alpha=alpha, ksd=8838.8347, r0=50.0,
                bias1=0.011084586710145186, gm=3.388370758630916e-3, ith=10e-6, q=2.0,
                iclamp=40e-6, rosc=1000.0, amp=1.25, gammag=2 * math.pi * 5e6,
                window1=window1, window2=1 / grid, f_in=f_in, f_hid=f_hid,
                sign1=np.array([(-1.0) ** (i + 1) for i in range(n)]),
                sign2=np.array([(-1.0) ** (i + 1) for i in range(m)]), fres1=fres1, fres2=fres2)


# ----------------------------------------------------------------------------------------------
# algebraic forward pass
# ----------------------------------------------------------------------------------------------
def kernel(f, fr, alpha, ksd):
    """G_dev(f; fr) = G(f) + G(-f) [V/W], f (inputs) x fr (..., inputs)"""
    g = 2 * alpha * fr * (f - fr) / ((alpha * fr) ** 2 + (f - fr) ** 2)
    g += 2 * alpha * fr * (-f - fr) / ((alpha * fr) ** 2 + (f + fr) ** 2)
    return g * ksd


def forward(w, p_uw):
    p = np.asarray(p_uw) * 1e-6
    # W1[j, i] = sum_k s_k G_dev(f_i; fres1[j, k]): every tone on every resonator of chain j
    w1 = np.sum(kernel(w["f_in"][None, :, None], w["fres1"][:, None, :], w["alpha"], w["ksd"])
                * w["sign1"][None, None, :], axis=2)
    v1 = w1 @ p + w["bias1"] + w.get("b1", 0.0)
    i = np.clip(w["gm"] * v1, w["ith"], w["iclamp"])
    xi = i / w["ith"]
    pn = (xi - 1) / (xi + w["q"])
    pout = w["amp"] * pn * i ** 2 * w["rosc"]
    w2 = np.sum(kernel(w["f_hid"][None, :, None], w["fres2"][:, None, :], w["alpha"], w["ksd"])
                * w["sign2"][None, None, :], axis=2)
    v2 = w2 @ pout + w.get("b2", 0.0)
    return dict(v1=v1, i=i, p=pn, pout=pout, v2=v2)


# ----------------------------------------------------------------------------------------------
# netlist
# ----------------------------------------------------------------------------------------------
def timing(w, settle_tc=5.0):
    """Schedule (systems.md item 7, simulation-length floor): layer 1 settles in
    settle_tc/(alpha w_min), its DC is the average over window1; neurons then switch on and
    layer 2 settles (settle_tc/(alpha w_min) + neuron growth); its DC is the average over
    window2. The default 5 time constants leave e^-5 of the start-up in the layer-2 average:
    0.1 % of the outputs of the trained 16-8-2 (docs/systems/drone_network.md §5); 10 leave
    3e-5."""
    fmin = float(min(w["f_in"].min(), w["f_hid"].min()))
    settle = settle_tc / (w["alpha"] * 2 * math.pi * fmin)
    w1 = w["window1"]
    t1 = float(settle)
    t2 = t1 + w1
    grow = math.log(0.25 / 1e-6) / (2 * w["gammag"] * 1.0)   # from the 1e-6 seed to p0 at xi = 2
    t3 = t2 + settle + grow
    w2 = float(w["window2"])
    return t1, w1, t2, t3, t3 + w2


def chain(a, name, node, fres, signs, spread=False):
    """A series chain of `rres` resonators from node `<node>_0` to ground, resonator k named
    YSD<name>_k with resonance fres[k] and orientation signs[k]; with `spread` each resonance
    frequency is a Monte Carlo draw agauss(f, sig/100 f, 1) (one per instance, .param sig)."""
    n = len(fres)
    for i in range(n):
        lo = "0" if i == n - 1 else f"{node}_{i + 1}"
        f = float(fres[i])
        fr = f"{{agauss({f!r}, sig/100*{f!r}, 1)}}" if spread else repr(f)
        a(f"YSD {name}_{i} {node}_{i} {lo} rres fres={fr} orient={int(signs[i])}")


G1 = 1e-3                    # splitter transconductance [S] per layer-1 chain
RHP, FHP = 100e3, 1e6        # high-pass (DC block) of each neuron output: R [ohm], corner [Hz]


def models(a, w, res=True, stno=True):
    if res:
        a(f".model rres SPINDIODE (alpha={w['alpha']!r} ksd={w['ksd']!r} drive=2 r0={w['r0']!r} "
          "psi=90)")
    if stno:
        a(f".model rstno STNO (level=1 ith={w['ith']!r} q={w['q']!r} iclamp=1 r0={w['rosc']!r} "
          f"drosc={w['rosc']!r} gammag={w['gammag']!r} nshift=0)")


def neuron(a, w, j, vh, gate):
    """Neuron j: the V->I stage reading the chain voltage `vh` (an expression) once `gate`
    is 1, the STNO o<j> and the high-pass into node hp<j>."""
    # the [004-code] clamp [I_th, I_clamp]; before t2 the stage idles at I_th, where the STNO
    # power neither grows nor decays exponentially (dp/dt = -2 Gamma_G (Q+1) p^2): its seed
    # survives the layer-1 phase instead of decaying to 0 (which would never restart)
    a("* V->I stage with offset and clamp, STNO neuron, high-pass (DC block)")
    bias = float(w["bias1"] + w["b1"][j]) if "b1" in w else w["bias1"]
    a(f"Bn{j} 0 n{j} I={{{w['ith']!r}+{gate}*(limit({w['gm']!r}*({vh}+{bias!r}), "
      f"{w['ith']!r}, {w['iclamp']!r})-{w['ith']!r})}}")
    a(f"YSTNO o{j} n{j} 0 rstno f0={float(w['f_hid'][j])!r}")
    a(f"Cp{j} n{j} hp{j} {1 / (2 * math.pi * RHP * FHP)!r}")
    a(f"Rp{j} hp{j} 0 {RHP!r}")


def layer2_chain(a, w, q, spread=False, gain=None):
    """Output chain q: the RF amplifiers reading every v(hp<j>), the ideal combiner into the
    chain of resonators u<q>, and the DC port e<q> = v(top) - R2 I (bridge) + b2_q."""
    r0, m = w["r0"], w["hidden"]
    # layer-2 drive: chain current g2 EMF_j with P = 1/2 r0 (g2 EMF)^2 = amp p I^2 rosc for
    # EMF = I rosc sqrt(p) (STNO with drosc = rosc): g2 = sqrt(2 amp/(r0 rosc))
    g2 = math.sqrt(2 * w["amp"] / (r0 * w["rosc"]))
    a(f"* layer-2 chain {q}: RF amplifiers (gain calibrated at each neuron frequency for the")
    a("* high-pass and the 100k/(1k+100k) divider) and an ideal combiner")
    terms = []
    for j in range(m):
        gj = float(g2 * (w["rosc"] + RHP) / RHP * math.sqrt(1 + (FHP / w["f_hid"][j]) ** 2))
        terms.append(f"{gj!r}{gain[j] if gain else ''}*v(hp{j})")
    a(f"Bo{q} 0 dm{q} I={{" + "+".join(terms) + "}")
    a(f"Vm{q} dm{q} d{q}_0 0")
    chain(a, f"u{q}", f"d{q}", w["fres2"][q], w["sign2"], spread=spread)
    b = float(w["b2"][q]) if "b2" in w else 0.0
    b2 = f"{'+' if b > 0 else '-'}{abs(b)!r}" if b != 0 else ""
    a(f"Bv{q} e{q} 0 V={{v(d{q}_0)-{m * r0!r}*i(vm{q}){b2}}}")
    a(f"Re{q} e{q} 0 1meg")


def input_sources(a, w, p_uw, table, g1):
    """The input tones: a stack of sine EMFs from node `in` to ground, tone i with the
    amplitude that makes every layer-1 resonator absorb P_i (uW) when the splitter (g1 per
    chain) drives it; with `table` the powers are the .params p0..p255 of a `.data` table over
    X_test (N < 256: input i is the mean of its group of bins, as inputs() computes it)."""
    n, r0 = w["inputs"], w["r0"]
    prev = "0"
    if table:
        a(".param " + " ".join(f"p{b}=0" for b in range(256)))
        a(f".data test file=\"{table[0]}\" dataset=X_test param=p rows={table[1]}")
        a(".step data=test")
    for i in range(n):
        node = "in" if i == n - 1 else f"x{i}"
        if table:
            g = 256 // n
            mean = "(" + "+".join(f"p{b}" for b in range(g * i, g * (i + 1))) + f")/{g}"
            amp = f"{{sqrt(2*max({mean},0)*1e-6/{r0!r})/{g1!r}}}"
        else:
            amp = repr(math.sqrt(2 * float(p_uw[i]) * 1e-6 / r0) / g1)
        a(f"Vt{i} {node} {prev} SIN(0 {amp} {float(w['f_in'][i])!r})")
        prev = node


def netlist(w, p_uw, title, tstop=None, stage="all", chains=None, v1=None, spp=800, table=None,
            mc=None, settle_tc=5.0):
    """The network as one netlist (stage "all"), or one stage of it:
    - stage "layer1": the inputs and the layer-1 chains `chains` (an iterable of j) with their
      gated integrators, up to just after t2; measures v1_j;
    - stage "layer2": the neurons and layer 2 with the held chain voltages `v1` (the v1_j
      measures of the layer-1 stage) as DC sources in place of the integrators.
    The staged network is the same circuit: each integrator holds its value from the end of
    window1 on, and the V->I stages read it only after t2 (before t2 they idle at I_th whatever
    v(h_j) is); layer 1 is driven by an ideal (active) splitter, so its chains do not see each
    other or layer 2. Splitting therefore changes no equation, it only drops the layer-1
    resonators from [t2, tend] and the layer-2 parts from [0, t2]. Checked in
    tests/systems_net.rs (staged == whole on a 16-8-2 network).
    With `table` = (data file path as written in the netlist, "A:B") the input powers are the
    .params p0..p255 of a `.data` table over X_test rows A:B (`.step data=test`); with N < 256
    inputs, input i is the mean of its group of bins, as inputs() computes it.
    With `mc` = (samples, sigmas in %, seed) every resonance frequency is a Monte Carlo draw
    agauss(f_r, sig/100 f_r, 1) (docs/systems/drone_network.md §3): `.step mc samples`,
    `.step param sig list …`, `.options seed=`."""
    n, m, k = w["inputs"], w["hidden"], w["outputs"]
    r0 = w["r0"]
    t1, w1, t2, t3, tend = timing(w, settle_tc)
    fmax = float(max(w["f_in"].max(), w["f_hid"].max()))
    # 1/(spp f_max), spp = 800 by default: the resonator's step budget (docs/stno_spindiode.md,
    # Accuracy: 340 steps per period give 0.3-0.7 % of the peak of each resonator, 1250 give
    # 0.1 %); the chain voltages are sums of contributions of both signs, so 1 % of the sum
    # needs ~0.1 % each. The error is the trapezoidal frequency warp, (w h)^2/12: ~ 1/spp^2.
    tstep = 1 / (spp * fmax)
    g1, r1 = G1, n * r0                        # splitter transconductance, chain resistance
    do1 = stage in ("all", "layer1")
    do2 = stage in ("all", "layer2")
    chains = list(range(m)) if chains is None else list(chains)
    L = []
    a = L.append
    a(f"{title}")
    a("* Generated by tools/rf_network.py (seed 004, Ross et al. 2023, [004-code]")
    a("* neurophysics-cnrsthales/rf_spintronic_nn src/networks.py; docs/physics/systems.md item 7;")
    a("* docs/systems/rf_network.md). Schedule: layer 1 settles until t1, its chain DC voltages are")
    a("* integrated over [t1, t2] (whole periods of every input tone) and held; then the V->I")
    a("* stages switch on the neurons, layer 2 settles until t3 and its DC is averaged over")
    a("* [t3, tend] (whole periods of every neuron tone).")
    a(f"* {n} inputs, {m} hidden neurons, {k} outputs; t1 = {t1:.4g} s, t2 = {t2:.4g} s, "
      f"t3 = {t3:.4g} s, tend = {tend:.4g} s")
    if stage == "layer1":
        a(f"* STAGE layer1: chains {chains[0]}..{chains[-1]} only, up to t2 (see netlist() in the "
          "generator)")
    elif stage == "layer2":
        a("* STAGE layer2: the held layer-1 chain voltages enter as DC sources (see netlist() in "
          "the generator)")
    models(a, w, res=True, stno=do2)
    if do1:
        a("* --- inputs: a stack of sine EMFs (one per tone) and an ideal active splitter: every")
        a("* chain is driven by the same current g1 v(in) (the [004-code] assumption)")
        input_sources(a, w, p_uw, table, g1)
        a(f"Vg1 g1 0 PULSE(0 1 {t1!r} 1n 1n {w1 - 1e-9!r} 1)")
    if do2:
        a(f"Vg2 g2 0 PULSE(0 1 {t2!r} 1n 1n 1 2)")
    for j in (chains if do1 else range(m)):
        if do1:
            a(f"* layer-1 chain {j}")
            a(f"G1c{j} 0 c{j}_0 in 0 {g1!r}")
            chain(a, f"s{j}", f"c{j}", w["fres1"][j], w["sign1"], spread=mc is not None)
            # DC port: rectified voltage v(top) - R1 I (bridge), integrated over [t1, t2] and held
            a(f"Bh{j} 0 h{j} I={{v(g1)*(v(c{j}_0)-{r1 * g1!r}*v(in))/{w1!r}}}")
            a(f"Ch{j} h{j} 0 1")
            a(f"Rh{j} h{j} 0 1e15")
        else:
            a(f"* held layer-1 chain voltage {j} (layer-1 stage measure v1_{j})")
            a(f"Vh{j} h{j} 0 DC {float(v1[j])!r}")
        if do2:
            neuron(a, w, j, f"v(h{j})", "v(g2)")
    for q in (range(k) if do2 else ()):
        layer2_chain(a, w, q, spread=mc is not None)
    mc_lines(a, mc)
    a(".options reltol=1e-3")
    if stage == "layer1":
        a(f".save v(h{chains[0]})")
        a(f".tran {tstep!r} {tstop or t2 + 2e-9!r}")
    else:
        a(".save v(h0) v(e0) @o0[p]")
        a(f".tran {tstep!r} {tstop or tend!r}")
    for j in (chains if do1 else ()):
        a(f".meas tran v1_{j} find v(h{j}) at={t2 + 1e-9!r}")
    for j in (range(m) if do2 else ()):
        a(f".meas tran p_{j} avg @o{j}[p] from={t3!r} to={tend!r}")
    for q in (range(k) if do2 else ()):
        a(f".meas tran v2_{q} DCMEAN v(e{q}) FROM={t3!r} TO={tend!r}")
    a(".end")
    return "\n".join(L) + "\n"


# ----------------------------------------------------------------------------------------------
# harmonic balance, staged (docs/systems/drone_network.md, "Circuit level (harmonic balance)")
# ----------------------------------------------------------------------------------------------
def hb_grid(freqs, window, what):
    """(base, numfreq): the tones as harmonics 1..numfreq of one base frequency. The base is
    1/window divided by the smallest d = 1..64 that makes every f/base an integer (to 1e-9
    relative, the weights file's 10 digits); 64-32-10 needs d = 5 (its window1 is 1/spacing,
    and 20 MHz is not a multiple of the spacing 100/63 MHz)."""
    f = np.asarray(freqs, float)
    for d in range(1, 65):
        base = 1.0 / (window * d)
        h = f / base
        if np.all(np.abs(h - np.round(h)) <= 1e-9 * h):
            return base, int(round(h.max()))
    sys.exit(f"the {what} tones are not harmonics of 1/window/d for any d <= 64")


def hb_layer1(w, title, chains, table, mc=None, reltol=1e-6):
    """Stage (a): the inputs and the layer-1 chains `chains`, one `.hb` (the input tones as
    harmonics of one base), one point per test sample (`table` as in netlist()). Measures the
    chain voltage v1_j = DC of v(c_j_0) - R1 g1 v(in): what the transient's integrator averages
    over window1 (the DC line of the bridge term is 0 here: the sources have no DC)."""
    n = w["inputs"]
    r1 = n * w["r0"]
    base, nf = hb_grid(w["f_in"], w["window1"], "input")
    L = []
    a = L.append
    a(f"{title}: layer 1 (harmonic balance), chains {chains[0]}..{chains[-1]}")
    a("* Generated by tools/rf_network.py (run --hb): the inputs, the ideal active splitter and")
    a("* these layer-1 chains; the same elements as the transient netlist without the gated")
    a("* integrators (the chain DC is measured directly). See docs/systems/drone_network.md.")
    models(a, w, res=True, stno=False)
    input_sources(a, w, None, table, G1)
    for j in chains:
        a(f"G1c{j} 0 c{j}_0 in 0 {G1!r}")
        chain(a, f"s{j}", f"c{j}", w["fres1"][j], w["sign1"], spread=mc is not None)
    mc_lines(a, mc)
    a(f".options reltol={reltol!r}")
    a(".save v(in) " + " ".join(f"v(c{j}_0)" for j in chains))
    a(f".hb {base!r}")
    # oversample=1: S >= 2 numfreq + 1 time samples, enough for the 0 Hz line of a product of
    # two harmonics <= numfreq (h1 + h2 = S cannot happen); the chain DC is such a product
    # (the resonators are bilinear in their current, imposed by the splitter), so it is exact,
    # and what aliases (the sum products onto the other lines of the chain voltages) feeds
    # nothing back
    a(f".options hbint numfreq={nf} oversample=1")
    a(".meas hb vin DCMEAN v(in)")
    for j in chains:
        a(f".meas hb dc_{j} DCMEAN v(c{j}_0)")
        a(f".meas hb v1_{j} PARAM='dc_{j}-{r1 * G1!r}*vin'")
    a(".end")
    return "\n".join(L) + "\n"


def hb_neuron(w, title, table_file, reltol=1e-6, j=None, mc=None):
    """Stage (b): one neuron, one point per row of a text table (columns j, vh, bias, f0; and
    sig with `mc`): the V->I stage at the held chain voltage vh (its gate on), the STNO as a
    free-running oscillator (`.hb osc=`: its frequency an unknown with a phase condition) and
    the high-pass. Measures p, the tone amplitude and frequency at hp (what layer 2 reads).
    With `mc` = (draws, seed) this is neuron `j`'s netlist (its STNO named o<j>, so that its
    draws are its own) and its natural frequency a Monte Carlo draw
    f0 = agauss(f0, sig/100 f0, 1) for each of the `.step mc` samples (the neuron-frequency
    spread)."""
    name = "o0" if j is None else f"o{j}"
    L = []
    a = L.append
    a(f"{title}: one neuron (harmonic balance, free-running STNO), a row per (sample, neuron)")
    a("* Generated by tools/rf_network.py (run --hb). The V->I stage reads the chain voltage held")
    a("* by the layer-1 stage (the .param vh of the row); see docs/systems/drone_network.md.")
    models(a, w, res=False, stno=True)
    a(".param j=0 vh=0 bias=0 f0=1e8 sig=0")
    a(f".data neur file=\"{table_file}\"")
    a(".step data=neur")
    if mc is not None:
        a(f".options seed={int(mc[1])}")
        a(f".step mc {int(mc[0])}")
    a(f"Bn0 0 n0 I={{{w['ith']!r}+(limit({w['gm']!r}*(vh+bias), {w['ith']!r}, "
      f"{w['iclamp']!r})-{w['ith']!r})}}")
    f0 = "{f0}" if mc is None else "{agauss(f0, sig/100*f0, 1)}"
    a(f"YSTNO {name} n0 0 rstno f0={f0}")
    a(f"Cp0 n0 hp0 {1 / (2 * math.pi * RHP * FHP)!r}")
    a(f"Rp0 hp0 0 {RHP!r}")
    a(f".options reltol={reltol!r}")
    a(f".save v(hp0) @{name}[p]")
    a(f".hb osc={name}")
    a(".options hbint numfreq=3")
    a(f".meas hb p DCMEAN @{name}[p]")
    a(".meas hb amp TONEAMP v(hp0)")
    a(".meas hb freq TONEFREQ v(hp0)")
    a(".end")
    return "\n".join(L) + "\n"


def hb_layer2(w, title, table_file, mc=None, reltol=1e-6, mode="fres"):
    """Stage (c): layer 2, one point per row of a text table (columns a0..a{M-1}, and sig with
    `mc`; fr0..fr{M-1} in mode "neuron-freq"): each neuron output v(hp_j) as the tone the
    neuron stage found (amplitude a_j at f_hid_j, or at the drawn frequency fr_j: the
    amplifiers sense v(hp_j) without loading it, so this is exact), the RF amplifiers,
    combiners and output chains, one `.hb`. Monte Carlo modes: "fres" draws every output
    resonator's frequency; "power" every neuron's output power, a factor
    pf_j = max(agauss(1, sig/100, 1), 0) on the power its amplifier delivers (the seed code's
    --power-var-percentage); "neuron-freq" takes the drawn neuron frequencies of the table,
    each its own tone (incommensurate: numfreq=1 with intmodmax=1 keeps the tones, enough
    for the 0 Hz line of the bilinear chains). Measures v2_q."""
    m, k = w["hidden"], w["outputs"]
    base, nf = hb_grid(w["f_hid"], w["window2"], "neuron")
    L = []
    a = L.append
    a(f"{title}: layer 2 (harmonic balance)")
    a("* Generated by tools/rf_network.py (run --hb): the neuron tones found by the neuron stage")
    a("* drive the amplifiers and output chains; see docs/systems/drone_network.md.")
    models(a, w, res=True, stno=False)
    a(".param " + " ".join(f"a{j}=0" for j in range(m)))
    freq = [repr(float(f)) for f in w["f_hid"]]
    if mode == "neuron-freq":
        a(".param " + " ".join(f"fr{j}={freq[j]}" for j in range(m)))
        freq = [f"{{fr{j}}}" for j in range(m)]
    gain = [""] * m
    if mode == "power":
        a(".param sig=0")
        for j in range(m):
            a(f".param pf{j}={{max(agauss(1, sig/100, 1), 0)}}")
        gain = [f"*sqrt(pf{j})" for j in range(m)]
    a(f".data amps file=\"{table_file}\"")
    a(".step data=amps")
    for j in range(m):
        a(f"Vhp{j} hp{j} 0 SIN(0 {{a{j}}} {freq[j]})")
    for q in range(k):
        layer2_chain(a, w, q, spread=mc is not None and mode == "fres", gain=gain)
    if mc is not None:
        mc_lines(a, mc, sigmas=False, sig=mode != "power")
    a(f".options reltol={reltol!r}")
    a(".save " + " ".join(f"v(e{q})" for q in range(k)))
    if mode == "neuron-freq":
        a(".hb " + " ".join(freq))
        a(".options hbint numfreq=1 intmodmax=1 oversample=1")
    else:
        a(f".hb {base!r}")
        # oversample=1: exact for the 0 Hz lines measured here (see hb_layer1)
        a(f".options hbint numfreq={nf} oversample=1")
    for q in range(k):
        a(f".meas hb v2_{q} DCMEAN v(e{q})")
    if mode == "power":
        for j in range(m):
            a(f".meas hb pf{j} PARAM='pf{j}'")
    a(".end")
    return "\n".join(L) + "\n"


def mc_lines(a, mc, sigmas=True, sig=True):
    """Monte Carlo of the resonance frequencies: mc = (samples, sigmas in %, seed); `sig`:
    declare the .param sig (not when the netlist has it already)."""
    if mc is None:
        return
    if sig:
        a(".param sig=0")
    a(f".options seed={int(mc[2])}")
    a(f".step mc {int(mc[0])}")
    if sigmas:
        a(".step param sig list " + " ".join(f"{float(x)!r}" for x in mc[1]))


def spin(args, d, name, text, extra=()):
    """Write netlist `name`.cir in d and run it (measures only, --jobs); returns the wall
    time, the CPU time and the peak memory of the child, and the path of its HDF5 file."""
    cir, out = os.path.join(d, name + ".cir"), os.path.join(d, name + ".h5")
    with open(cir, "w") as fh:
        fh.write(text)
    cmd = [args.spinspice, "run", cir, "-o", out, "--save", "none", "-q", "--stats",
           "--jobs", str(args.jobs), *extra]
    t0 = time.perf_counter()
    with open(os.path.join(d, name + ".out"), "w") as log:
        pr = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(pr.pid, 0)
        pr.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if pr.returncode not in (0, 3):                # 3: some points failed (sweep_measures)
        tail = open(log.name).read()[-3000:]
        sys.exit(f"{tail}\n{cir}: spinspice exit {pr.returncode} (a failed point: exit 3); "
                 f"log {log.name}")
    return dict(wall=wall, cpu=ru.ru_utime + ru.ru_stime, rss=ru.ru_maxrss / 1024.0, h5=out)


def sweep_measures(path, names):
    """The measures `names` of a sweep file as arrays over its points (point order: the
    first axis fastest; NaN at a failed point) and the points' status (True: ok)."""
    import h5py
    with h5py.File(path, "r") as f:
        # stored with the axes as dimensions, [axis0, axis1, ...]: transposed, then the first
        # axis runs fastest
        ok = np.transpose(f["sweep/status"][:]).reshape(-1) == 0
        if not ok.all():
            print(f"{path}: {np.count_nonzero(~ok)} points failed (their errors: "
                  f"/steps/error)", file=sys.stderr)
        meas = {k: np.transpose(f[f"sweep/measures/{k}"][:]).reshape(-1) for k in names}
        return {k: np.where(ok, v, np.nan) for k, v in meas.items()}, ok


def hb_plan(args, w):
    """What a `run --hb` covers: the test rows, the Monte Carlo axes and the points (test
    fastest, then mc, then sig), and the per-point status `ok`."""
    import h5py
    import tempfile
    from types import SimpleNamespace
    d = args.keep or tempfile.mkdtemp(prefix="rfnet-hb-")
    os.makedirs(d, exist_ok=True)
    with h5py.File(args.data, "r") as h:
        xall = h["X_test"][:]
        yall = h["Y_test"][:].astype(int)
    k = w["outputs"]
    classes = list(range(k)) if args.classes is None else [int(c) for c in args.classes.split(",")]
    if args.samples:
        rows = [int(r) for r in args.samples.split(",")]
    elif args.table:
        a_, b_ = args.rows.split(":")
        rows = [r for r in range(int(a_), int(b_)) if yall[r] in classes]
    else:
        rows = [args.sample]
    mc = (args.mc, [float(x) for x in args.sigmas.split(",")], args.seed) if args.mc else None
    nmc, sig = (mc[0], mc[1]) if mc else (1, [0.0])
    npt = len(rows) * nmc * len(sig)
    return SimpleNamespace(d=d, rows=rows, s=len(rows), label=yall[rows], classes=classes,
                           x=xall[rows], mc=mc, nmc=nmc, sig=sig, npt=npt,
                           mode=args.mc_mode if mc else "fres", ok=np.ones(npt, bool), stats={})


def total_stats(st):
    return dict(wall=sum(x["wall"] for x in st), cpu=sum(x["cpu"] for x in st),
                rss=max(x["rss"] for x in st))


def hb_stage1(args, w, title, pl):
    """Layer 1 in groups of chains, every point of the plan a point of one sweep per group:
    the chain voltages v1 [points x M]."""
    n, m = w["inputs"], w["hidden"]
    table = (os.path.relpath(os.path.abspath(args.data), pl.d),
             f"{min(pl.rows)}:{max(pl.rows) + 1}")
    step = ["--step", "test list " + " ".join(map(str, pl.rows))]
    g = args.group or max(1, 1024 // n)
    # only the resonance-frequency spread varies layer 1; otherwise its points are the test
    # samples, the same for every draw and spread (points: the sample runs fastest)
    mc = pl.mc if pl.mode == "fres" else None
    rep = 1 if mc else pl.npt // pl.s
    t0 = time.perf_counter()
    v1 = np.zeros((pl.npt, m))
    st = []
    groups = [range(a, min(a + g, m)) for a in range(0, m, g)]
    # fewer sweep points than --jobs: the groups run side by side (one worker each) instead
    npts = pl.npt // rep
    side = max(1, args.jobs // npts) if npts < args.jobs else 1
    sub = argparse.Namespace(**dict(vars(args), jobs=max(1, args.jobs // side)))

    def run(i):
        return spin(sub, pl.d, f"layer1_{i}", hb_layer1(w, title, groups[i], table, mc), step)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=side) as ex:
        runs = ex.map(run, range(len(groups)))
        for ch, r in zip(groups, runs):
            meas, good = sweep_measures(r["h5"], [f"v1_{j}" for j in ch])
            pl.ok &= np.tile(good, rep)
            for j in ch:
                v1[:, j] = np.tile(meas[f"v1_{j}"], rep)
            st.append(r)
            print(f"layer 1, chains {ch[0]}..{ch[-1]}: {r['wall']:.1f} s wall, "
                  f"{r['cpu']:.1f} s CPU, peak {r['rss']:.0f} MiB", flush=True)
    pl.stats["layer1"] = total_stats(st)
    if side > 1:
        # side by side: the wall time is the stage's, not the sum of the groups'
        pl.stats["layer1"]["wall"] = time.perf_counter() - t0
    return v1


def hb_stage_neurons(args, w, title, pl, v1):
    """The neurons: a row per distinct (neuron, drive current). A neuron sees only its DC
    current I = clamp(gm (vh + bias)), so points whose currents are equal (clamped at I_th or
    I_clamp, or the sigma = 0 points of every draw) share one steady state. Returns p, the
    tone amplitude at the high-pass output and its frequency [points x M]. With the
    neuron-frequency spread, each neuron has its own netlist (hb_neuron with mc): a row per
    distinct (drive current, sigma), the draws on its `.step mc` axis."""
    m = w["hidden"]
    bias = w["bias1"] + w["b1"]
    cur = np.clip(w["gm"] * (v1 + bias[None, :]), w["ith"], w["iclamp"])
    if pl.mode == "neuron-freq":
        return neurons_drawn(args, w, title, pl, v1, cur, bias)
    flat = np.nonzero(np.repeat(pl.ok, m))[0]     # (point, neuron) of the points still ok
    _, first, inverse = np.unique(np.stack([flat % m, cur.flat[flat]], axis=1), axis=0,
                                  return_index=True, return_inverse=True)
    with open(os.path.join(pl.d, "neurons.csv"), "w") as fh:
        fh.write("j vh bias f0\n")
        for i in flat[first]:
            j = i % m
            fh.write(f"{j} {float(v1.flat[i])!r} {float(bias[j])!r} {float(w['f_hid'][j])!r}\n")
    r = spin(args, pl.d, "neurons", hb_neuron(w, title, "neurons.csv"))
    nm, _ = sweep_measures(r["h5"], ["p", "amp", "freq"])
    pl.stats["neurons"] = r
    pn, amp, freq = (np.full((pl.npt, m), np.nan) for _ in range(3))
    for arr, x in ((pn, "p"), (amp, "amp"), (freq, "freq")):
        arr.flat[flat] = nm[x][inverse.ravel()]
    pl.ok &= ~np.isnan(amp).any(axis=1)
    on = amp > 0
    dfreq = np.max(np.abs(freq - w["f_hid"][None, :])[on], initial=0.0)
    print(f"neurons: {len(first)} distinct of {pl.npt * m} free-running STNOs "
          f"{r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU; largest |f - f_hid| {dfreq:.2e} Hz",
          flush=True)
    return pn, amp, freq


def neurons_drawn(args, w, title, pl, v1, cur, bias):
    """hb_stage_neurons with every neuron's natural frequency a Monte Carlo draw: neuron j's
    netlist has a row per distinct (current, sigma) over the points and the draws 1..N on its
    mc axis (row fastest); point (sigma, draw d, sample) reads row r at d."""
    m = w["hidden"]
    sigs = np.array(pl.sig)[np.arange(pl.npt) // (pl.s * pl.nmc)]
    draw = (np.arange(pl.npt) // pl.s) % pl.nmc
    pn, amp, freq = (np.full((pl.npt, m), np.nan) for _ in range(3))
    st = []
    for j in range(m):
        pts = np.nonzero(pl.ok)[0]
        _, first, inverse = np.unique(np.stack([cur[pts, j], sigs[pts]], axis=1), axis=0,
                                      return_index=True, return_inverse=True)
        name = f"neuron{j}"
        with open(os.path.join(pl.d, name + ".csv"), "w") as fh:
            fh.write("j vh bias f0 sig\n")
            for i in pts[first]:
                fh.write(f"{j} {float(v1[i, j])!r} {float(bias[j])!r} "
                         f"{float(w['f_hid'][j])!r} {float(sigs[i])!r}\n")
        r = spin(args, pl.d, name, hb_neuron(w, title, name + ".csv", j=j,
                                             mc=(pl.nmc, pl.mc[2])))
        nm, _ = sweep_measures(r["h5"], ["p", "amp", "freq"])
        idx = inverse.ravel() + len(first) * draw[pts]
        for arr, x in ((pn, "p"), (amp, "amp"), (freq, "freq")):
            arr[pts, j] = nm[x][idx]
        st.append(r)
    pl.stats["neurons"] = total_stats(st)
    pl.ok &= ~np.isnan(amp).any(axis=1)
    print(f"neurons: {m} netlists with drawn frequencies, "
          f"{pl.stats['neurons']['wall']:.1f} s wall, {pl.stats['neurons']['cpu']:.1f} s CPU",
          flush=True)
    return pn, amp, freq


def hb_stage2(args, w, title, pl, amp, freq):
    """Layer 2: a row per point (with mc: one run per draw, its rows over test x sig, so
    draw k is the same chip in both layers); the outputs v2 [points x K]."""
    m, k, s, nmc = w["hidden"], w["outputs"], pl.s, pl.nmc
    v2 = np.zeros((pl.npt, k))
    pl.pf = np.ones((pl.npt, m))         # the drawn power factors (mode "power")
    st = []
    for dr in range(nmc):
        name = "layer2" if pl.mc is None else f"layer2_mc{dr + 1}"
        pts = [pt for pt in range(pl.npt) if (pt // s) % nmc == dr]
        with open(os.path.join(pl.d, name + ".csv"), "w") as fh:
            drawn = pl.mode == "neuron-freq"
            fh.write(("sig " if pl.mc else "") + " ".join(f"a{j}" for j in range(m))
                     + "".join(f" fr{j}" for j in range(m) if drawn) + "\n")
            for pt in pts:
                lead = f"{float(pl.sig[pt // (s * nmc)])!r} " if pl.mc else ""
                # (a neuron at rest: a tone of zero amplitude at its nominal frequency)
                fr = np.where(amp[pt] > 0, freq[pt], w["f_hid"])
                fh.write(lead + " ".join(f"{float(x)!r}" for x in np.nan_to_num(amp[pt]))
                         + "".join(f" {float(x)!r}" for x in fr if drawn) + "\n")
        extra = ["--step", f"mc list {dr + 1}"] if pl.mc else []
        r = spin(args, pl.d, name, hb_layer2(w, title, name + ".csv", pl.mc, mode=pl.mode), extra)
        power = [f"pf{j}" for j in range(m)] if pl.mode == "power" else []
        meas, good = sweep_measures(r["h5"], [f"v2_{q}" for q in range(k)] + power)
        pl.ok[pts] &= good
        for q in range(k):
            v2[pts, q] = meas[f"v2_{q}"]
        for j, x in enumerate(power):
            pl.pf[pts, j] = meas[x]
        st.append(r)
    v2[~pl.ok] = np.nan
    pl.stats["layer2"] = total_stats(st)
    return v2


def hb_write(args, w, pl, res, va):
    """The results file (HDF5) and the CSV beside it."""
    import h5py
    out = args.out or os.path.join(pl.d, "hb_results.h5")
    s, nmc, sig = pl.s, pl.nmc, pl.sig
    with h5py.File(out, "w") as f:
        f["rows"], f["label"], f["v2_algebra"] = np.array(pl.rows), pl.label, va
        shape = (len(sig), nmc, s) if pl.mc else (s,)
        for key, arr in res.items():
            f[key] = arr.reshape(*shape, -1)
        f["status"] = np.where(pl.ok, 0, 1).reshape(shape)    # 0: every stage converged
        if pl.mc:
            f["sigma"] = np.array(sig)
        f.attrs["weights"] = os.path.abspath(args.weights)
        f.attrs["classes"] = np.array(pl.classes)
        for key, x in pl.stats.items():
            for kk in ("wall", "cpu", "rss"):
                f.attrs[f"{key}_{kk}"] = x[kk]
        f.attrs["total_wall"] = pl.total
    with open(os.path.splitext(out)[0] + ".csv", "w") as fh:
        head = ["row", "label"] + (["sig", "mc"] if pl.mc else [])
        head += [f"v2_{q}" for q in range(w["outputs"])]
        m = w["hidden"]
        # the drawn neuron frequencies (the tone at hp; NaN at rest) and power factors
        extra = [x for x in ("freq", "pf") if x in res and pl.mode != "fres"]
        head += [f"v1_{j}" for j in range(m)] + [f"p_{j}" for j in range(m)]
        head += [f"{x}_{j}" for x in extra for j in range(m)]
        fh.write(",".join(head) + "\n")
        for pt in range(pl.npt):
            lead = [str(pl.rows[pt % s]), str(pl.label[pt % s])]
            if pl.mc:
                lead += [repr(float(sig[pt // (s * nmc)])), str((pt // s) % nmc + 1)]
            cols = [res["v2"][pt], res["v1"][pt], res["p"][pt]] + [res[x][pt] for x in extra]
            vals = [repr(float(x)) for c in cols for x in c]
            fh.write(",".join(lead + vals) + "\n")
    return out


def run_hb(args, w, title):
    """The staged harmonic balance of the network over test samples (hb_layer1, hb_neuron,
    hb_layer2): layer 1 in groups of chains, every sample (and Monte Carlo draw and spread) a
    point of one sweep per group; then the neurons; then layer 2. Prints per-stage times and
    the comparison with the algebraic forward pass; writes every array to --out (HDF5; default
    DIR/hb_results.h5) and a CSV beside it (a line per point: row, label, [sig, mc,] v2_q,
    v1_j, p_j)."""
    pl = hb_plan(args, w)
    t0 = time.perf_counter()
    v1 = hb_stage1(args, w, title, pl)
    pn, amp, freq = hb_stage_neurons(args, w, title, pl, v1)
    v2 = hb_stage2(args, w, title, pl, amp, freq)
    pl.total = time.perf_counter() - t0
    for key in ("layer1", "neurons", "layer2"):
        x = pl.stats[key]
        print(f"{key:8s} {x['wall']:8.2f} s wall {x['cpu']:8.2f} s CPU  peak {x['rss']:7.0f} MiB"
              f"  ({x['wall'] / pl.npt:.3f} s wall per point)")
    print(f"total    {pl.total:8.2f} s wall for {pl.npt} points ({pl.total / pl.npt:.3f} s per "
          f"point, --jobs {args.jobs}); files in {pl.d}")
    n = w["inputs"]
    va = np.array([forward(w, x.reshape(n, -1).mean(axis=1))["v2"] for x in pl.x])
    res = dict(v2=v2, v1=v1, p=pn, amp=amp, freq=freq)
    if pl.mode == "power":
        res["pf"] = pl.pf
    out = hb_write(args, w, pl, res, va)
    if pl.mc:
        mc_accuracy(pl, v2, w["outputs"])
    else:
        compare_hb(v2, va, pl.label, pl.rows, pl.classes)
    print(f"results in {out}")


def mc_accuracy(pl, v2, k):
    """Circuit test accuracy per spread over the draws (a failed point: misclassified)."""
    if not pl.ok.all():
        print(f"{np.count_nonzero(~pl.ok)} points failed: counted as misclassified")
    shape = (len(pl.sig), pl.nmc, pl.s)
    pred = np.array(pl.classes)[np.argmax(np.nan_to_num(v2, nan=-np.inf).reshape(*shape, k),
                                          axis=3)]
    acc = 100 * np.mean((pred == pl.label) & pl.ok.reshape(shape), axis=2)
    print("sigma [%]  circuit test accuracy [%], mean +- sd over the draws (min - max)")
    for sg, a_ in zip(pl.sig, acc):
        print(f"{sg:7g}  {a_.mean():6.2f} +- {a_.std(ddof=1) if pl.nmc > 1 else 0:5.2f} "
              f"({a_.min():.2f} - {a_.max():.2f})")


def compare_hb(v2, va, label, rows, classes):
    """Per sample: circuit and algebraic class, max |circuit - algebra| / max |algebra|;
    the accuracy of both (a sample whose circuit failed counts as misclassified)."""
    cls = np.array(classes)
    good = ~np.isnan(v2).any(axis=1)
    cc = np.where(good, cls[np.argmax(np.nan_to_num(v2, nan=-np.inf), axis=1)], -1)
    ca = cls[np.argmax(va, axis=1)]
    err = np.max(np.abs(v2 - va), axis=1) / np.max(np.abs(va), axis=1)
    print("row label  circuit  algebra  max |circuit - algebra| / max |algebra|")
    for r, lab, c1, c2, e, g in zip(rows, label, cc, ca, err, good):
        mark = "  FAILED (see the stage logs)" if not g else "  CLASS CHANGED" if c1 != c2 else ""
        print(f"{r:4d} {lab:5d} {c1:8d} {c2:8d}  {e:.2e}{mark}")
    print(f"worst output difference {np.max(err[good], initial=0):.2e} of the largest output; "
          f"{np.count_nonzero((cc != ca) & good)} samples change class, "
          f"{np.count_nonzero(~good)} failed")
    print(f"accuracy over {len(rows)} samples: circuit {100 * np.mean(cc == label):.2f} %, "
          f"algebra {100 * np.mean(ca == label):.2f} %")


def inputs(args, w):
    if args.powers:
        p = np.array([float(x) for x in args.powers.split(",")])
        label = None
    else:
        import h5py
        with h5py.File(args.data) as h:
            x = h["X_test"][args.sample]
            label = int(h["Y_test"][args.sample])
        n = w["inputs"]
        if len(x) % n:
            sys.exit(f"sample has {len(x)} bins, not a multiple of {n} inputs")
        p = x.reshape(n, -1).mean(axis=1)       # N < 256: mean power of each group of bins
    if len(p) != w["inputs"]:
        sys.exit(f"{len(p)} powers for {w['inputs']} inputs")
    return p, label


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("example")
    e.add_argument("-N", type=int, default=256)
    e.add_argument("-M", type=int, default=128)
    e.add_argument("-K", type=int, default=10)
    e.add_argument("--seed", type=int, default=1)
    e.add_argument("--spread", type=float, default=1.0, help="offsets in line widths")
    e.add_argument("--center", type=float, default=25e-6,
                   help="bias1 is set so that the median hidden current on --sample is this [A]")
    e.add_argument("--data", default=DATA)
    e.add_argument("--sample", type=int, default=0)
    e.add_argument("--powers")
    e.add_argument("-o", required=True)
    for name in ("netlist", "algebra", "run"):
        s = sub.add_parser(name)
        s.add_argument("weights")
        if name != "algebra":
            s.add_argument("--spp", type=float, default=800,
                           help="time steps per period of the highest frequency (default 800)")
            s.add_argument("--settle", type=float, default=5.0,
                           help="transient: settling time of each layer in resonator time "
                                "constants 1/(alpha w_min) (default 5: e^-5 of the start-up left)")
        s.add_argument("--data", default=DATA)
        s.add_argument("--sample", type=int, default=0)
        s.add_argument("--powers")
        if name in ("netlist", "run"):
            s.add_argument("--table", action="store_true",
                           help="all test samples (X_test rows, see --rows) as one .data sweep")
            s.add_argument("--rows", default="0:298", help="X_test rows A:B with --table")
            s.add_argument("--mc", type=int, metavar="N",
                           help="N Monte Carlo samples of every resonance frequency "
                                "(fres={agauss(f, sig/100*f, 1)}) for each --sigmas")
            s.add_argument("--sigmas", default="0,0.05,0.1,0.2,0.5,1", help="%% of f_r, with --mc")
            s.add_argument("--seed", type=int, default=1, help="Monte Carlo seed, with --mc")
            s.add_argument("--mc-mode", choices=("fres", "power", "neuron-freq"), default="fres",
                           help="run --hb --mc: what is drawn: every resonance frequency "
                                "(fres), every neuron's output power (power), every neuron's "
                                "frequency (neuron-freq); sigma in %% of the nominal value")
        if name == "netlist":
            s.add_argument("-o", required=True)
            s.add_argument("--stage", choices=("all", "layer1", "layer2"), default="all")
            s.add_argument("--chains", help="layer1 stage: chains a:b (python range)")
            s.add_argument("--v1", help="layer2 stage: file of the v1_j measures (name = value)")
        if name == "run":
            s.add_argument("--samples", help="with --table: only these rows (comma list)")
            s.add_argument("--classes", help="with --table: classes of the K outputs (as trained)")
            s.add_argument("--spinspice", default="spinspice")
            s.add_argument("--keep", help="directory for the netlist and results")
            s.add_argument("--tstop", type=float, help="stop early (timing only; no comparison)")
            s.add_argument("--stages", type=int, default=0, metavar="P",
                           help="run layer by layer: P layer-1 netlists (chain groups) in "
                                "parallel, then the layer-2 netlist (0: one netlist)")
            s.add_argument("--hb", action="store_true",
                           help="staged harmonic balance: layer-1 groups of chains, the neurons "
                                "(free-running STNOs), layer 2; over --sample, --samples or "
                                "--table --rows (with --classes: only those labels)")
            s.add_argument("--group", type=int, help="--hb: layer-1 chains per netlist "
                           "(default 1024/N)")
            s.add_argument("--out", help="--hb: results file (HDF5)")
            s.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                           help="layer-1 netlists run at once (with --stages); sweep workers "
                                "(with --table)")
    args = ap.parse_args()
    if args.cmd == "example":
        w = example(args.N, args.M, args.K, args.seed, args.spread)
        p, _ = inputs(args, w)
        w["bias1"] = 0.0
        v1 = forward(w, p)["v1"]
        w["bias1"] = float(args.center / w["gm"] - np.median(v1))
        write_weights(args.o, w, f"""example weights {args.N}-{args.M}-{args.K} for tools/rf_network.py -- NOT TRAINED.
The [004-code] initial grids (layer 1 linear 20-120 MHz, neurons/layer 2 geometric 20-120 MHz
with the neuron grid rounded to multiples of {1 / w['window2']:.6g} Hz) plus uniform random offsets
of +-{args.spread} line widths (numpy default_rng({args.seed})). No trained weights are published.
bias1 is chosen (instead of the config's 0.0110846 V) so that the median hidden current on test
sample {args.sample} is {args.center * 1e6:g} uA, i.e. the neurons work in their nonlinear range.
Network constants: the [004-code] config (config_spinMLP.yaml), docs/physics/parameters.md 4.""")
        return
    w = read_weights(args.weights)
    p, label = inputs(args, w)
    t0 = time.perf_counter()
    ref = forward(w, p)
    t_alg = time.perf_counter() - t0
    if args.cmd == "algebra":
        print(f"label {label}; algebraic pass {t_alg * 1e3:.1f} ms")
        for key in ("v1", "i", "p", "v2"):
            print(key, np.array2string(ref[key], precision=6, max_line_width=150))
        return
    title = f"RF network {w['inputs']}-{w['hidden']}-{w['outputs']} (seed 004), {os.path.basename(args.weights)}"
    if args.cmd == "netlist":
        chains = v1 = None
        if args.stage == "layer1":
            a_, b_ = (args.chains or f"0:{w['hidden']}").split(":")
            chains = range(int(a_), int(b_))
        elif args.stage == "layer2":
            if not args.v1:
                sys.exit("--stage layer2 needs --v1 FILE")
            v1 = read_v1(args.v1, w["hidden"])
        table = None
        if args.table:
            if args.stage != "all":
                sys.exit("--table makes the one-netlist form (no --stage)")
            rel = os.path.relpath(os.path.abspath(args.data),
                                  os.path.dirname(os.path.abspath(args.o)))
            table = (rel, args.rows)
        mc = None
        if args.mc:
            if args.stage != "all":
                sys.exit("--mc makes the one-netlist form (no --stage)")
            mc = (args.mc, [float(x) for x in args.sigmas.split(",")], args.seed)
        text = netlist(w, p, title, stage=args.stage, chains=chains, v1=v1, spp=args.spp,
                       settle_tc=args.settle,
                       table=table, mc=mc)
        with open(args.o, "w") as fh:
            fh.write(text)
        return
    if args.hb:
        run_hb(args, w, title)
        return
    if args.mc:
        sys.exit("--mc: write the netlist (netlist --mc) and run it with spinspice, or use --hb")
    if args.stages:
        run_staged(args, w, p, title, label, ref, t_alg)
        return
    if args.table:
        run_table(args, w, title)
        return
    text = netlist(w, p, title, getattr(args, "tstop", None), spp=args.spp,
                   settle_tc=args.settle)
    import tempfile
    d = args.keep or tempfile.mkdtemp(prefix="rfnet-")
    os.makedirs(d, exist_ok=True)
    cir = os.path.join(d, "net.cir")
    with open(cir, "w") as fh:
        fh.write(text)
    cmd = [args.spinspice, "run", cir, "-o", os.path.join(d, "net.h5"), "--stats"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(out.stderr[-3000:], file=sys.stderr)
    stats = [ln for ln in out.stdout.splitlines() if "=" in ln and not ln.startswith(("v1_", "v2_", "p_"))]
    print(f"netlist {cir}: {len(text.splitlines())} lines; spinspice wall time {wall:.2f} s "
          f"(algebraic pass {t_alg * 1e3:.1f} ms); exit {out.returncode}")
    for ln in stats:
        print("  " + ln)
    if out.returncode != 0 or args.tstop:
        sys.exit(out.returncode)
    compare(w, parse_meas(out.stdout), ref, label)

def parse_meas(stdout):
    """The `name = value` measure lines of a spinspice run."""
    meas = {}
    for ln in stdout.splitlines():
        if " = " in ln:
            kk, vv = ln.split(" = ", 1)
            try:
                meas[kk.strip()] = float(vv)
            except ValueError:
                pass
    return meas


def read_v1(path, m):
    meas = parse_meas(open(path).read())
    try:
        return np.array([meas[f"v1_{j}"] for j in range(m)])
    except KeyError as e:
        sys.exit(f"{path}: no measure {e}")


def compare(w, meas, ref, label):
    v1 = np.array([meas[f"v1_{j}"] for j in range(w["hidden"])])
    pn = np.array([meas[f"p_{j}"] for j in range(w["hidden"])])
    v2 = np.array([meas[f"v2_{q}"] for q in range(w["outputs"])])
    chain = ref["v1"] - w["bias1"] - w.get("b1", 0.0)
    e1 = np.max(np.abs(v1 - chain) / np.abs(chain))
    print(f"label {label}; layer-1 chain voltages: max rel. error {e1 * 100:.3f} %")
    print(f"neuron p: max abs. error {np.max(np.abs(pn - ref['p'])):.2e}")
    print("output  circuit [V]      algebra [V]     rel. error")
    worst = 0.0
    for q in range(w["outputs"]):
        r = (v2[q] - ref["v2"][q]) / abs(ref["v2"][q])
        worst = max(worst, abs(r))
        print(f"  {q:2d}  {v2[q]: .9e}  {ref['v2'][q]: .9e}  {r * 100: .4f} %")
    print(f"max |rel. error| {worst * 100:.4f} % ({'within' if worst <= 0.01 else 'NOT within'} 1 %)")
    print(f"argmax circuit {int(np.argmax(v2))}, algebra {int(np.argmax(ref['v2']))}")


def run_table(args, w, title):
    """All selected test samples in one spinspice run (a .data sweep over X_test rows, workers
    --jobs); per sample the K outputs against the algebraic forward pass, and the accuracy of
    both (over the samples whose label is one of the network's classes)."""
    import h5py
    import tempfile
    d = args.keep or tempfile.mkdtemp(prefix="rfnet-")
    os.makedirs(d, exist_ok=True)
    cir = os.path.join(d, "table.cir")
    rel = os.path.relpath(os.path.abspath(args.data), d)
    with open(cir, "w") as fh:
        fh.write(netlist(w, None, title, getattr(args, "tstop", None), spp=args.spp,
                         table=(rel, args.rows)))
    out = os.path.join(d, "table.h5")
    cmd = [args.spinspice, "run", cir, "-o", out, "--save", "none", "-q", "--stats",
           "--jobs", str(args.jobs)]
    if args.samples:
        cmd += ["--step", "test list " + " ".join(args.samples.split(","))]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(res.stderr[-2000:], file=sys.stderr)
    if res.returncode not in (0, 3):
        sys.exit(f"spinspice failed (exit {res.returncode}); files in {d}")
    k = w["outputs"]
    classes = list(range(10)) if args.classes is None else [int(c) for c in args.classes.split(",")]
    with h5py.File(out, "r") as f:
        rows = f["sweep/axes/test"][:].astype(int)
        ok = f["sweep/status"][:] == 0
        v2 = np.stack([f[f"sweep/measures/v2_{q}"][:] for q in range(k)], axis=1)
    with h5py.File(args.data, "r") as h:
        x = h["X_test"][:]
        y = h["Y_test"][:].astype(int)
    print(f"{len(rows)} samples in {wall:.1f} s wall ({wall / len(rows):.2f} s per sample, "
          f"--jobs {args.jobs}); results in {out}")
    n = w["inputs"]
    hit_c = hit_a = total = 0
    worst = 0.0
    print("row label  circuit  algebra  max |circuit - algebra| / max |algebra|")
    for r, good, vc in zip(rows, ok, v2):
        va = forward(w, x[r].reshape(n, -1).mean(axis=1))["v2"]
        scale = np.max(np.abs(va))
        err = np.max(np.abs(vc - va)) / scale if good else float("nan")
        worst = max(worst, err) if good else worst
        lab = y[r]
        ca, cc = int(np.argmax(va)), int(np.argmax(vc)) if good else -1
        mark = ""
        if lab in classes:
            total += 1
            hit_a += classes[ca] == lab
            hit_c += good and classes[cc] == lab
        else:
            mark = " (label not among the classes)"
        print(f"{r:4d} {lab:5d} {cc:8d} {ca:8d}  {err:.2e}{mark}")
    print(f"worst output difference {worst:.2e} of the largest output")
    if total:
        print(f"accuracy over {total} samples: circuit {100 * hit_c / total:.2f} %, "
              f"algebra {100 * hit_a / total:.2f} %")


def run_staged(args, w, p, title, label, ref, t_alg):
    """Layer by layer (see netlist()): P layer-1 netlists over groups of chains, run `jobs` at
    a time, then the layer-2 netlist with their v1_j measures. Prints the wall time and the
    CPU time of all spinspice processes, then the comparison with the algebra."""
    import resource
    import tempfile
    d = args.keep or tempfile.mkdtemp(prefix="rfnet-")
    os.makedirs(d, exist_ok=True)
    m = w["hidden"]
    parts = [range(m * i // args.stages, m * (i + 1) // args.stages) for i in range(args.stages)]
    parts = [c for c in parts if len(c)]
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    meas, pending, running = {}, list(enumerate(parts)), []

    def start(i, chains):
        cir = os.path.join(d, f"layer1_{i}.cir")
        with open(cir, "w") as fh:
            fh.write(netlist(w, p, title, args.tstop, stage="layer1", chains=chains,
                             spp=args.spp, settle_tc=args.settle))
        log = open(os.path.join(d, f"layer1_{i}.out"), "w")
        cmd = [args.spinspice, "run", cir, "-o", os.path.join(d, f"layer1_{i}.h5"), "--stats"]
        return (i, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True), log)

    failed = []
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            running.append(start(*pending.pop(0)))
        i, pr, log = running.pop(0)
        pr.wait()
        log.close()
        text = open(log.name).read()
        if pr.returncode != 0:
            failed.append(i)
            print(text[-2000:], file=sys.stderr)
        meas.update(parse_meas(text))
        print(f"layer-1 part {i} (chains {parts[i][0]}..{parts[i][-1]}): exit {pr.returncode}, "
              f"{time.perf_counter() - t0:.1f} s since start", flush=True)
    t1 = time.perf_counter()
    if failed:
        sys.exit(f"layer-1 parts {failed} failed; outputs in {d}")
    if args.tstop:
        print(f"layer 1 wall {t1 - t0:.1f} s (stopped at tstop, no comparison)")
        return
    v1 = np.array([meas[f"v1_{j}"] for j in range(m)])
    cir = os.path.join(d, "layer2.cir")
    with open(cir, "w") as fh:
        fh.write(netlist(w, p, title, stage="layer2", v1=v1, spp=args.spp,
                         settle_tc=args.settle))
    out = subprocess.run([args.spinspice, "run", cir, "-o", os.path.join(d, "layer2.h5"),
                          "--stats"], capture_output=True, text=True)
    with open(os.path.join(d, "layer2.out"), "w") as fh:
        fh.write(out.stdout + out.stderr)
    t2 = time.perf_counter()
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        sys.exit(f"layer-2 netlist failed (exit {out.returncode}); outputs in {d}")
    meas.update(parse_meas(out.stdout))
    print(f"staged run in {d}: {len(parts)} layer-1 netlists ({args.jobs} at a time) "
          f"{t1 - t0:.1f} s wall, layer 2 {t2 - t1:.1f} s wall; total {t2 - t0:.1f} s wall, "
          f"{cpu:.1f} s CPU (algebraic pass {t_alg * 1e3:.1f} ms)")
    compare(w, meas, ref, label)


if __name__ == "__main__":
    main()
