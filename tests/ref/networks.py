#!/usr/bin/env python3
"""Algebraic reference models of the seed systems (docs/physics/systems.md).

  chain      multi-tone series chain of behavioural resonators: exact DC voltage and beat ripple
  match50    seed 002 Eq. 3.1 (M blocks in series of P in parallel) and the block voltage rule
  dor        seed 001 Eq. 1 DOR multiplier: worked example and the 200-pair correlation for a
             cosine-shaped (Eq. 6) rectification curve
  xor        a 2-2-1 RF network (seed 004 structure) with chosen resonance frequencies that
             separates an XOR task; decision map accuracy
  drone      the 256-128-10 algebraic forward model of Ross et al. (rf_spintronic_nn) on one sample
Run:  networks.py [chain|match50|dor|xor|drone|all]
"""
import math
import os
import sys
import time

import numpy as np

from resonator import W


# ------------------------------------------------------------------------------------------
# device transfer function of the behavioural resonator: dR_hat = H(w) I_hat  (devices.md 4.2)
# ------------------------------------------------------------------------------------------
def H_res(f, fr, alpha, A, R0, psi=math.pi / 2):
    w, wr = 2 * math.pi * np.asarray(f, float), 2 * math.pi * fr
    G = alpha * wr
    e = complex(math.cos(psi), math.sin(psi))
    return R0 * A * w * (e / (G + 1j * (w - wr)) - e.conjugate() / (G + 1j * (w + wr)))


def chain_dc(freqs, Iamps, fres, alpha, A, R0, signs=None, psi=math.pi / 2):
    """DC voltage of a series chain carrying tones I_k cos(2 pi f_k t): sum_res sum_tones 1/2 Re[H] I^2"""
    signs = np.ones(len(fres)) if signs is None else np.asarray(signs)
    V = 0.0
    for fr, s in zip(fres, signs):
        V += s * np.sum(0.5 * H_res(freqs, fr, alpha, A, R0, psi).real * np.abs(Iamps) ** 2)
    return V


def beat_ripple(f1, f2, I1, I2, fres, alpha, A, R0):
    """amplitude of the DC-voltage component at |f1 - f2| (one resonator, two tones, real amplitudes)"""
    H1, H2 = H_res(f1, fres, alpha, A, R0), H_res(f2, fres, alpha, A, R0)
    return 0.5 * abs(H1 * I1 * I2 + np.conj(H2) * I2 * I1)


def demo_chain():
    print("== chain: 4 tones into a series chain of 4 resonators (alpha = 0.01, A = 1 uV/uW, R0 = 50 Ohm)")
    alpha, A, R0 = 0.01, 1.0, 50.0
    ftones = np.array([1.0e9, 1.2e9, 1.4e9, 1.6e9])
    P = np.array([0.3e-6, 1.0e-6, 0.6e-6, 0.8e-6])         # power absorbed per resonator from each tone
    I = np.sqrt(2 * P / R0)
    zeta = np.array([-0.01, 0.005, 0.01, -0.02])            # f_res = f (1 - zeta)   (seed 000 Eq. 2)
    fres = ftones * (1 - zeta)
    Vexact = chain_dc(ftones, I, fres, alpha, A, R0)
    Vdiag = sum(P[k] * W(ftones[k], fres[k], alpha, A) for k in range(4))
    Vone = sum(P[i] * W(ftones[i], fres[k], alpha, A) for k in range(4) for i in range(4))
    print(f"  Sum_k P_k W(f_k, f_res,k)                    = {Vdiag*1e6:.5f} uV   (seed 000 Eq. 8)")
    print(f"  + neighbour overlap (one-sided Eq. 4)        = {Vone*1e6:.5f} uV")
    print(f"  device-exact (incl. mirror terms W(-f))      = {Vexact*1e6:.5f} uV")
    print(f"  seed 000 Eq. 7 check: P W(f, f(1-zeta)) = P zeta A/(alpha^2(1-zeta)^2 + zeta^2):",
          ", ".join(f"{P[k]*zeta[k]*A/(alpha**2*(1-zeta[k])**2+zeta[k]**2)*1e6:.4f}" for k in range(4)),
          "uV vs", ", ".join(f"{P[k]*W(ftones[k], fres[k], alpha, A)*1e6:.4f}" for k in range(4)))
    r = beat_ripple(ftones[0], ftones[1], I[0], I[1], fres[0], alpha, A, R0)
    print(f"  beat ripple of resonator 0 at {abs(ftones[1]-ftones[0])/1e6:.0f} MHz: amplitude {r*1e6:.5f} uV "
          f"(averages to zero over windows that are multiples of 1/df = {1e9/abs(ftones[1]-ftones[0]):.1f} ns)")


def demo_match50():
    print("== seed 002 Eq. 3.1: R = M R_syn / P; synapse = 2 diodes of ~100 Ohm in parallel -> R_syn = 50 Ohm")
    for N in (1, 4, 9, 16):
        M = P = int(round(math.sqrt(N)))
        print(f"  N = {N:2d}: M = P = {M}: R_chain = {M*50.0/P:.1f} Ohm (series only: {N*50.0:.0f}, parallel only: {50.0/N:.2f})")
    print("  block of P parallel synapses with open-circuit DC voltages V_k and equal R: V_block = mean(V_k);"
          " RF current per synapse = I/P")


def demo_dor(seed=0, npairs=200):
    print("== seed 001 Eq. 1: FG = [P(F-G) - P(F) - P(-G) + c] / (-2a)")
    a, c = -2.0476, 18.565
    VF, VG, VFG = 17.85, 18.30, 18.57
    F, G = -0.62, -0.44
    prod = (VFG - VF - VG + c) / (-2 * a)
    print(f"  worked example (Fig. 4 data): ({VFG} - {VF} - {VG} + {c}) / (-2 x {a}) = {prod:.4f}  (paper 0.241;"
          f" exact FG = {F*G:.4f})")
    print(f"  with the fitted parabola itself P(x) = a x^2 + c the product is exact: "
          f"{((a*(F-G)**2+c) - (a*F**2+c) - (a*G**2+c) + c)/(-2*a):.4f}")
    # Eq. 6 with a linear phase: V = Vmax cos(k x), fitted by a parabola over x in [-1, 1]
    rng = np.random.default_rng(seed)
    for k in (0.3, 0.4697, 0.7, 1.0):
        xs = np.linspace(-1, 1, 201)
        V = c * np.cos(k * xs)
        a2, b2, c2 = np.polyfit(xs, V, 2)
        Fs, Gs = rng.uniform(-1, 0, npairs), rng.uniform(-1, 0, npairs)
        Pv = lambda x: c * np.cos(k * x)
        est = (Pv(Fs - Gs) - Pv(Fs) - Pv(-Gs) + c2) / (-2 * a2)
        r = np.corrcoef(est, Fs * Gs)[0, 1]
        print(f"  V = Vmax cos(k x), k = {k:.4f} rad (k = 0.4697 matches a'/c' of Fig. 4): fit a = {a2:.4f},"
              f" c = {c2:.4f}; corr(DOR, FG) over {npairs} pairs = {100*r:.3f} %")


# ------------------------------------------------------------------------------------------
# Ross et al. 2023 algebraic model (rf_spintronic_nn, src/networks.py + config_spinMLP.yaml)
# ------------------------------------------------------------------------------------------
def ross_layer(P_uW, f_in, f_res, alpha=0.01, Ith=10.0, signs=None, bias=None, two_sided=False):
    """V_j = sum_i P_i sum_k s_k G(f_i, f_res_jk) + b_j  [V];  P in uW, f in GHz (code units)"""
    KSD = math.tan(math.pi / 4) / (8 * math.sqrt(2)) / Ith
    fi = f_in[None, :, None]
    fr = f_res[:, None, :]
    G = 2 * alpha * fr * (fi - fr) / ((alpha * fr) ** 2 + (fi - fr) ** 2) * KSD
    if two_sided:
        G = G + 2 * alpha * fr * (-fi - fr) / ((alpha * fr) ** 2 + (fi + fr) ** 2) * KSD
    nres = f_res.shape[1]
    s = np.array([(-1.0) ** (k + 1) for k in range(nres)]) if signs is None else signs
    Wm = np.sum(G * s[None, None, :], axis=2)           # (chains, inputs)
    V = P_uW @ Wm.T
    return V + (0.0 if bias is None else bias)


def ross_neurons(I_uA, Ith=10.0, Iclamp=40.0, Q=2.0, R=1e3, amp=1.25, scaling=1e-6):
    I = np.clip(I_uA, Ith, Iclamp)
    xi = I / Ith
    return amp * scaling * (xi - 1) / (xi + Q) * I ** 2 * R   # output power in uW


def demo_drone(nsample=1):
    import h5py
    print("== drone network 256-128-10, Ross algebraic model, initial (untrained) resonance frequencies")
    # ../shared beside the repository (tests/ref/ is two levels below it)
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "..", "..", "shared", "data", "drone_rf_fingerprints.h5")
    with h5py.File(data if len(sys.argv) < 3 else sys.argv[2]) as h:
        X = h["X_test"][:nsample]
        y = h["Y_test"][:nsample]
    f_in = np.linspace(0.02, 0.12, 256)                                  # GHz
    f_res1 = np.tile(np.linspace(0.02, 0.12, 256), (128, 1))            # 'linear' initial distribution
    coef = (0.12 / 0.02) ** (1 / 127)
    mu = (coef - 1) / (coef + 1)
    f_hid = 0.02 * ((1 + mu) / (1 - mu)) ** np.arange(128)              # 'non_linear' distribution
    f_res2 = np.tile(f_hid, (10, 1))
    t0 = time.time()
    V1 = ross_layer(X, f_in, f_res1, bias=0.0) + 0.011084586710145186   # + layer voltage bias [V]
    I1 = V1 * 1e3 * 3.388370758630916                                    # mV * (uA/mV)
    P1 = ross_neurons(I1)
    V2 = ross_layer(P1, f_hid, f_res2)
    dt = time.time() - t0
    print(f"  sample label {y}, input power sum {X.sum():.3f} uW; hidden currents {I1.min():.2f}..{I1.max():.2f} uA;"
          f" output chain voltages [V]: {np.array2string(V2[0], precision=6)}  ({dt*1e3:.1f} ms)")
    V1b = ross_layer(X, f_in, f_res1, two_sided=True) + 0.011084586710145186
    print(f"  effect of the mirror term on layer-1 voltages: max |dV| = {np.max(np.abs(V1b-V1))*1e3:.4f} mV "
          f"(range of V1 {V1.min()*1e3:.3f}..{V1.max()*1e3:.3f} mV)")


F1, F2, FA, FB = 0.40, 0.55, 0.30, 1.20   # GHz: input tones and the two neuron frequencies (chosen)
ALPHA = 0.01


def fres_from_x(f, x):
    """resonance frequency giving normalised detuning x = (f - f_r)/(alpha f_r) for tone f"""
    return f / (1 + ALPHA * x)


def xor_forward(theta, P1, P2, two_sided=False):
    """2-2-1 network (seed 004 structure) with the Ross algebraic model.
    theta = (x11, x12, x21, x22, b1 [mV], b2 [mV], xA, xB, bout [mV], gm [uA/mV]);
    x = (f_tone - f_r)/(alpha f_r) sets the weight 2x/(1+x^2) K_SD of each resonator."""
    x11, x12, x21, x22, b1, b2, xA, xB, bout, gm = theta
    fres1 = np.array([[fres_from_x(F1, x11), fres_from_x(F2, x12)],
                      [fres_from_x(F1, x21), fres_from_x(F2, x22)]])
    P = np.stack([np.asarray(P1, float), np.asarray(P2, float)], axis=-1)
    V1 = ross_layer(P, np.array([F1, F2]), fres1, signs=np.array([1.0, 1.0]),
                    bias=np.array([b1, b2]) * 1e-3, two_sided=two_sided)
    Pn = ross_neurons(V1 * 1e3 * gm)
    fres2 = np.array([[fres_from_x(FA, xA), fres_from_x(FB, xB)]])
    V2 = ross_layer(Pn, np.array([FA, FB]), fres2, signs=np.array([1.0, 1.0]), bias=np.array([bout * 1e-3]),
                    two_sided=two_sided)
    return V2[:, 0]


# hand design (systems.md item 7): h1 ~ OR (threshold P1+P2 ~ 0.3 uW), h2 ~ AND (threshold ~ 1.3 uW),
# output = small positive weight on h1, large negative weight on h2, small negative bias.
XOR_THETA0 = np.array([1.0, 1.0, 1.0, 1.0, 0.3, -8.6, 0.25, -1.0, -0.2, 3.388])


def demo_xor():
    print("== 2-2-1 XOR design (seed 004 structure, Ross activation, alpha = 0.01)")
    from scipy.optimize import minimize
    rng = np.random.default_rng(3)
    centers = np.array([[0.15, 0.15], [0.85, 0.15], [0.15, 0.85], [0.85, 0.85]])
    lab = np.array([0, 1, 1, 0])
    pts = np.concatenate([c + 0.07 * rng.normal(size=(50, 2)) for c in centers]).clip(0, 1)
    y = np.repeat(lab, 50)

    def loss(th):
        v = xor_forward(th, pts[:, 0], pts[:, 1]) * 1e3     # mV
        z = np.where(y == 1, v, -v)
        return np.mean(np.maximum(0.0, 0.3 - z) ** 2)

    th = XOR_THETA0
    v0 = xor_forward(th, pts[:, 0], pts[:, 1])
    print(f"  hand design accuracy on 200 clustered XOR points: {100*np.mean((v0 > 0) == (y == 1)):.1f} %")
    best = minimize(loss, th, method="Nelder-Mead", options=dict(maxiter=40000, xatol=1e-8, fatol=1e-12))
    th = best.x
    v = xor_forward(th, pts[:, 0], pts[:, 1])
    acc = np.mean((v > 0) == (y == 1))
    vb = xor_forward(th, pts[:, 0], pts[:, 1], two_sided=True)
    accb = np.mean((vb > 0) == (y == 1))
    print("  refined parameters (x11, x12, x21, x22, b1 mV, b2 mV, xA, xB, bout mV, gm uA/mV):")
    print("   ", np.array2string(th, precision=5, max_line_width=200))
    fr = [float(fres_from_x(F1, th[0])), float(fres_from_x(F2, th[1])), float(fres_from_x(F1, th[2])), float(fres_from_x(F2, th[3])),
          float(fres_from_x(FA, th[6])), float(fres_from_x(FB, th[7]))]
    print("  resonance frequencies [GHz]: chain1", [round(x, 6) for x in fr[:2]], "chain2",
          [round(x, 6) for x in fr[2:4]], "output", [round(x, 6) for x in fr[4:]])
    print(f"  accuracy on the 200 points: {100*acc:.1f} % (one-sided kernel), {100*accb:.1f} % with the"
          f" device's mirror terms")
    g = np.linspace(0, 1, 21)
    Pg1, Pg2 = np.meshgrid(g, g)
    vm = xor_forward(th, Pg1.ravel(), Pg2.ravel()).reshape(Pg1.shape)
    print("  decision map sign(V_out) on a 21x21 grid (rows P2 = 1..0 uW top to bottom, cols P1 = 0..1 uW):")
    for row in vm[::-1]:
        print("   " + "".join("+" if x > 0 else "." for x in row))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    for name, fn in (("chain", demo_chain), ("match50", demo_match50), ("dor", demo_dor), ("xor", demo_xor),
                     ("drone", demo_drone)):
        if what in (name, "all"):
            fn()
