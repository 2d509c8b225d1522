#!/usr/bin/env python3
"""DC operating points of the spintronic devices with a DC bias (reference for tests/op_spin.rs).

Reads a JSON list of cases on stdin, prints the results as text lines (`print_case`). Independent of
spinspice: the macrospin right-hand side is `macrospin.Macrospin` (written from
docs/physics/devices.md Sec. 1), solved here in the tangent plane of the sphere (2 unknowns,
numerical Jacobian), not with spinspice's Cartesian unknowns and radial pin.

Which equilibrium: the one the damped dynamics reach from the initial magnetization m0 when the
bias is raised from zero. At zero bias the pure-damping flow dm/dt = -m x (m x H_eff) (the
gradient flow of the energy on the sphere) relaxes m0 into its energy well; the bias is then
raised in small steps (continuation), each solved by Newton from the previous solution, and the
2x2 tangent Jacobian's eigenvalues say whether the state is stable. "switch" cases return the
bias where that branch loses stability (switching or auto-oscillation threshold) for each sign.

Run: python tests/ref/dcop.py < cases.json   (cost: ~0.5 s per ladder case)

Case fields:
  kind   "mtj" | "amr" | "stno" | "sd"
  par    device parameters (SI, spinspice names; see `macrospin_of`)
  m0     initial magnetization (macrospin devices)
  src    "i" (ideal current source into n+) | "v" (ideal voltage source across the junction)
  values bias values (A or V)
  mode   "points" (default) | "ladder": then `values` is ignored; for each sign the bias is
         raised until the branch loses stability (at most `span`), and the points are solved at
         `fractions` of that switching bias; output {"switch": {"pos", "neg"}, "points": […]}
Output per point: m (3), v (junction voltage), i (junction current), ok, stable (bool);
STNO: p, cr, ci, v, i; SD: zr, zi, v, i.
"""
import json
import math
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from constants import ConstSet, SI  # noqa: E402
from macrospin import Macrospin, tangent_basis  # noqa: E402


def unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


class Device(Macrospin):
    """Macrospin with the spinspice parameters of YMTJ / YAMR (docs/spin_devices.md)."""

    def __init__(self, kind, par):
        g = par.get
        mu0 = g("mu0", SI.mu0)
        gamma = g("gamma", SI.gamma)
        const = ConstSet("case", mu0, gamma * mu0, SI.hbar, SI.e, SI.kb)
        self.kind = kind
        self.kappa = g("kappa", 1.0)
        if kind == "mtj":
            super().__init__(Ms=par["ms"], alpha=par["alpha"], Ku=g("ku", 0.0),
                             kaxis=g("kax", [1, 0, 0]), N=g("n", [0, 0, 1]), Hext=g("h", [0, 0, 0]),
                             k_oe=g("koe", [0, 0, 0]), p=g("p", [1, 0, 0]), V=par["vol"],
                             stt_kind=g("eff", "mtj"), P=g("eta", 0.0), eta=g("eta", 0.0),
                             lam=g("lambda", 1.0), beta=g("beta", 0.0),
                             torque_form=g("torque", "gilbert"), RP=par["rp"], RAP=par["rap"],
                             r_law=g("rlaw", "angular"), const=const)
            self.a1 = self.aj_prefactor
        else:  # amr: film normal z, demag Meff along z, current direction j, sigma = z x j
            phi0 = math.radians(g("phi0", 45.0))
            self.jd = np.array([math.cos(phi0), math.sin(phi0), 0.0])
            sigma = np.array([-math.sin(phi0), math.cos(phi0), 0.0])
            hk = g("hk", 0.0)
            super().__init__(Ms=par["meff"], alpha=par["alpha"],
                             Ku=0.5 * hk * mu0 * par["meff"], kaxis=g("kax", [1, 0, 0]),
                             N=[0, 0, 1], Hext=g("h", [0, 0, 0]), k_oe=g("k", 0.0) * sigma,
                             p=sigma, V=1.0, stt_kind="const", P=2.0, const=const)
            self.a1 = g("kdl", 0.0)   # spin-Hall damping-like field per ampere, g = 1
            self.R0, self.dR = par["r0"], par["dr"]
        self.vh = g("vh", None)

    def rhs(self, m, I=0.0, Hextra=None):
        """dm/dt of `Macrospin.rhs` for one m (3,), written with scalar cross products (numpy's
        cross is slow on 3-vectors): the same explicit LLGS formula."""
        if Hextra is not None or np.ndim(m) != 1:
            return super().rhs(m, I, Hextra)
        g0, a = self.c.gamma0, self.alpha
        H = self.heff(m, I)
        mxH = _cross(m, H)
        mxmxH = _cross(m, mxH)
        Ad, Af = self.torque_amplitudes(m, I)
        mxp = _cross(m, self.p)
        mxmxp = _cross(m, mxp)
        return (-g0 * mxH - a * g0 * mxmxH - g0 * Ad * mxmxp - g0 * Af * mxp) / (1.0 + a * a)

    def torque_amplitudes(self, m, I):
        """(A_d, A_f) of the explicit form; the damping-like multiplier kappa included."""
        c = np.sum(np.asarray(m) * self.p, axis=-1)
        if self.kind == "mtj":
            from macrospin import efficiency
            aJ = self.a1 * efficiency(self.stt_kind, c, self.P, self.lam, self.eta) * I
        else:
            aJ = self.a1 * I
        k, b, a = self.kappa, self.beta, self.alpha
        if self.torque_form == "gilbert":
            return aJ * (k - a * b), -aJ * (b + a * k)
        return k * aJ, -b * aJ

    def resistance_v(self, m, v):
        """R(m, V) [Ohm]: MTJ angular/conductance law with TMR(V) = TMR0/(1+V^2/Vh^2); AMR strip."""
        if self.kind == "amr":
            c = float(np.dot(m, self.jd))
            return self.R0 + self.dR * c * c
        tmr = self.RAP / self.RP - 1.0
        if self.vh:
            tmr /= 1.0 + (v / self.vh) ** 2
        c = float(np.dot(m, self.p))
        if self.r_law == "angular":
            return self.RP * (1.0 + 0.5 * tmr * (1.0 - c))
        gp, gap = 1.0 / self.RP, 1.0 / (self.RP * (1.0 + tmr))
        return 1.0 / (0.5 * (gp + gap) + 0.5 * (gp - gap) * c)


def _cross(a, b):
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def circuit_current(dev, m, src, bias):
    """(I, V) through the junction for an ideal current or voltage source."""
    if src == "i":
        # V = R(m, V) I: fixed point (only the TMR bias dependence makes it implicit)
        v = bias * dev.resistance_v(m, 0.0)
        for _ in range(100):
            v_new = bias * dev.resistance_v(m, v)
            if abs(v_new - v) <= 1e-15 * abs(v_new):
                break
            v = v_new
        return bias, v
    return bias / dev.resistance_v(m, bias), bias


def tangent_rhs(dev, m, e1, e2, src, bias):
    i, _ = circuit_current(dev, m, src, bias)
    f = dev.rhs(m, i)
    return np.array([np.dot(e1, f), np.dot(e2, f)])


def on_sphere(m, e1, e2, u):
    """Point of the sphere at tangent coordinates u around m (exponential map)."""
    d = u[0] * e1 + u[1] * e2
    a = np.linalg.norm(d)
    if a == 0.0:
        return m
    return math.cos(a) * m + math.sin(a) * d / a


def tangent_jacobian(dev, m, src, bias, h=1e-7):
    e1, e2 = tangent_basis(m)
    J = np.empty((2, 2))
    for j in range(2):
        u = np.zeros(2)
        u[j] = h
        fp = tangent_rhs(dev, on_sphere(m, e1, e2, u), e1, e2, src, bias)
        fm = tangent_rhs(dev, on_sphere(m, e1, e2, -u), e1, e2, src, bias)
        J[:, j] = (fp - fm) / (2 * h)
    return J, e1, e2


def newton(dev, m, src, bias, maxit=50):
    """Newton in the tangent plane; returns (m, converged)."""
    for _ in range(maxit):
        J, e1, e2 = tangent_jacobian(dev, m, src, bias)
        r = tangent_rhs(dev, m, e1, e2, src, bias)
        try:
            du = np.linalg.solve(J, -r)
        except np.linalg.LinAlgError:
            return m, False
        # step limit: at most 0.2 rad per iteration (stay on the branch)
        s = np.linalg.norm(du)
        if s > 0.2:
            du *= 0.2 / s
        m = unit(on_sphere(m, e1, e2, du))
        if s < 1e-14:
            return m, True
    return m, False


def stable(dev, m, src, bias):
    J, _, _ = tangent_jacobian(dev, m, src, bias)
    return bool(np.all(np.linalg.eigvals(J).real < 0.0))


def relax_zero_bias(dev, m0):
    """Gradient flow dm/dt = -g0 m x (m x H) (the damping term of the LLG alone) from m0 into
    its energy well, then Newton polish."""
    g0 = dev.c.gamma0
    hs = max(np.linalg.norm(dev.Hext), dev.HK, dev.Ms * float(np.max(dev.N)), 1.0)

    def flow(_t, y):
        m = y / np.linalg.norm(y)
        return -g0 * np.cross(m, np.cross(m, dev.heff(m, 0.0)))

    m = unit(m0)
    # time unit 1/(g0 H); the smallest stiffness may be much lower than hs: repeat until at rest
    for _ in range(40):
        sol = solve_ivp(flow, (0.0, 200.0 / (g0 * hs)), m, method="LSODA", rtol=1e-10,
                        atol=1e-13)
        m = unit(sol.y[:, -1])
        if np.linalg.norm(dev.rhs(m, 0.0)) < 1e-7 * g0 * hs:
            break
    m, ok = newton(dev, m, "i", 0.0)
    assert ok, "zero-bias equilibrium not found"
    return m


def follow(dev, m_start, src, target, nsteps=200, start=0.0):
    """Continue the equilibrium from bias `start` (state m_start) to `target` in small steps
    (at most 1/nsteps of |target|, halved on failure)."""
    m, b = m_start, start
    step = target / nsteps
    while (target - b) * np.sign(target) > 0:
        nb = b + step
        if (nb - target) * np.sign(target) > 0:
            nb = target
        m_new, ok = newton(dev, m, src, nb)
        if not ok or np.dot(m_new, m) < 0.98:
            step /= 2
            if abs(step) < abs(target) * 1e-9:
                return m, False
            continue
        m, b = m_new, nb
    return m, True


def macrospin_points(case):
    """The branch from m0 at each bias: for each sign, continuation through the biases of
    that sign in increasing magnitude."""
    dev = Device(case["kind"], case["par"])
    m0 = relax_zero_bias(dev, case["m0"])
    res = {}
    for sgn in (1.0, -1.0):
        m, b = m0, 0.0
        for bias in sorted((v for v in case["values"] if v * sgn > 0), key=abs):
            m, ok = follow(dev, m, case["src"], bias, start=b)
            b = bias
            i, v = circuit_current(dev, m, case["src"], bias)
            res[bias] = {"bias": bias, "m": list(m), "v": v, "i": i, "ok": ok,
                         "stable": stable(dev, m, case["src"], bias)}
    out = []
    for bias in case["values"]:
        if bias == 0:
            i, v = circuit_current(dev, m0, case["src"], 0.0)
            out.append({"bias": 0.0, "m": list(m0), "v": v, "i": i, "ok": True,
                        "stable": stable(dev, m0, case["src"], 0.0)})
        else:
            out.append(res[bias])
    return out


def ladder(case):
    """For each sign: raise the bias along the branch from m0 until it stops being a stable
    equilibrium (switching or auto-oscillation threshold; at most `span`), then solve the
    points at `fractions` of that bias."""
    dev = Device(case["kind"], case["par"])
    m0 = relax_zero_bias(dev, case["m0"])
    src, span = case["src"], case["span"]
    res = {"switch": {}, "points": []}
    for sgn in (1.0, -1.0):
        path = [(0.0, m0)]
        m, b, step = m0, 0.0, span / 200
        while b < span:
            nb = min(b + step, span)
            m_new, ok = newton(dev, m, src, sgn * nb)
            if ok and np.dot(m_new, m) > 0.98 and stable(dev, m_new, src, sgn * nb):
                m, b = m_new, nb
                path.append((b, m))
                step = min(2 * step, span / 50)
            elif step > span * 1e-6:
                step /= 4
            else:
                break
        res["switch"]["pos" if sgn > 0 else "neg"] = sgn * b
        for f in case["fractions"]:
            target = f * b
            bk, mk = max((p for p in path if p[0] <= target), key=lambda p: p[0])
            m_t, ok = newton(dev, mk, src, sgn * target)
            i, v = circuit_current(dev, m_t, src, sgn * target)
            res["points"].append({"bias": sgn * target, "m": list(m_t), "v": v, "i": i,
                                  "ok": ok, "stable": stable(dev, m_t, src, sgn * target)})
    return res


def stno_points(case):
    """YSTNO DC state (devices.md Sec. 3): p = max(p0, pinit), p0 = (xi-1)/(xi+Q) above
    threshold, xi = clamp(I)/I_th; level 1 stores c = -i sqrt(p); the branch is R0 (Re c = 0)."""
    g = case["par"].get
    ith, q, r0 = g("ith", 1e-3), g("q", 0.0), g("r0", 100.0)
    iclamp, pinit = g("iclamp", math.inf), g("pinit", 1e-6)
    out = []
    for bias in case["values"]:
        i = bias if case["src"] == "i" else bias / r0
        xi = max(-iclamp, min(iclamp, i)) / ith
        p = max((xi - 1.0) / (xi + q) if xi > 1.0 else 0.0, pinit)
        out.append({"bias": bias, "p": p, "cr": 0.0, "ci": -math.sqrt(p), "v": r0 * i, "i": i})
    return out


def sd_points(case):
    """YSD DC state (devices.md Sec. 4): drive=1 (dI/dt) leaves z = 0; drive=2 solves
    0 = (i w_r - G) z + G I, z = G I/(G - i w_r); R = R0 + (2 R0 A/alpha) Re[e^{i psi} z]
    (mirror compensation: its high-passed current is 0 in DC). V = R I with an ideal voltage
    source solved as the quadratic R(I) I = V."""
    g = case["par"].get
    fres, alpha, a = g("fres", 1e9), g("alpha", 0.01), g("a", 1.0)
    r0, psi = g("r0", 50.0), math.radians(g("psi", 90.0)) + (math.pi if g("orient", 1) < 0 else 0)
    drive = g("drive", 1)
    wr = 2 * math.pi * fres
    gam = alpha * wr
    gain = 2 * r0 * a / alpha

    def state(i):
        z = gam * i / (gam - 1j * wr) if drive == 2 else 0j
        r = r0 + gain * (math.cos(psi) * z.real - math.sin(psi) * z.imag)
        return z, r

    out = []
    for bias in case["values"]:
        if case["src"] == "i":
            i = bias
        else:  # R(I) I = V with R = r0 + k I: k I^2 + r0 I - V = 0, the root near V/r0
            _, r1 = state(1.0)
            k = r1 - r0
            i = bias / r0 if k == 0 else (-r0 + math.sqrt(r0 * r0 + 4 * k * bias)) / (2 * k)
        z, r = state(i)
        out.append({"bias": bias, "zr": z.real, "zi": z.imag, "v": r * i, "i": i})
    return out


def fmt(x):
    return repr(float(x))


def print_case(k, kind, res):
    """One line per result: `CASE k`, then `SWITCH pos neg` (ladder), and per point
    `POINT bias mx my mz v i ok stable` (macrospin), `STNO bias p cr ci v i`,
    `SD bias zr zi v i`."""
    print(f"CASE {k}")
    if isinstance(res, dict):
        print("SWITCH", fmt(res["switch"]["pos"]), fmt(res["switch"]["neg"]))
        res = res["points"]
    for r in res:
        if kind in ("mtj", "amr"):
            vals = [r["bias"], *r["m"], r["v"], r["i"]]
            print("POINT", *map(fmt, vals), int(r["ok"]), int(r["stable"]))
        elif kind == "stno":
            print("STNO", *map(fmt, [r["bias"], r["p"], r["cr"], r["ci"], r["v"], r["i"]]))
        else:
            print("SD", *map(fmt, [r["bias"], r["zr"], r["zi"], r["v"], r["i"]]))


def main():
    cases = json.load(sys.stdin)
    for k, case in enumerate(cases):
        kind = case["kind"]
        if kind in ("mtj", "amr"):
            res = ladder(case) if case.get("mode") == "ladder" else macrospin_points(case)
        elif kind == "stno":
            res = stno_points(case)
        else:
            res = sd_points(case)
        print_case(k, kind, res)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
