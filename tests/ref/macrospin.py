"""Explicit macrospin LLGS right-hand side and small-signal tools (reference oracle).

Everything here is written from docs/physics/devices.md, Sec. 1 (MTJ).  SI units throughout:
m (unit vector), fields in A/m, currents in A, time in s.

Explicit (Landau-Lifshitz) form of the Gilbert equation with spin torques:

    (1+a^2) dm/dt = -g0 m x H - a g0 m x (m x H) - g0 A_d m x (m x p) - g0 A_f m x p

g0 = gamma*mu0 [m/(A s)], a = Gilbert alpha.  A_d, A_f [A/m] are the damping-like and
field-like torque amplitudes *as they appear in the explicit form*:

  torque_form = "gilbert" (spinspice default): the torques are added to the Gilbert equation
        dm/dt = -g0 m x H + a m x dm/dt - g0 aJ m x (m x p) + g0 beta aJ m x p
      and solving out dm/dt gives  A_d = aJ (1 - a beta),  A_f = -aJ (beta + a).
  torque_form = "ll" (cmtj 1.15, Mazza 2022 Eq. 4): the torques are added to the LL form
      directly:  A_d = aJ,  A_f = -beta aJ.

aJ = (hbar / (e mu0 Ms V)) g(cos theta) I, cos theta = m.p, I > 0 pushes m towards p.
g(c) is the spin-torque efficiency (see ``efficiency``).
"""
import math
import numpy as np

from constants import SI


# ----------------------------------------------------------------------------------------
# spin-torque efficiency variants g(cos theta); aJ = hbar*g*I/(e*mu0*Ms*V)
# ----------------------------------------------------------------------------------------
def efficiency(kind, c, P=0.0, lam=1.0, eta=0.0):
    """Angular spin-torque efficiency g(c), c = m.p.

    kind:
      "const"      g = P/2                      (standard Slonczewski prefactor hbar*P/(2e))
      "cmtj"       g = P lam^2 / (lam^2 + 1 + (lam^2 - 1) c)   (cmtj default, Slonczewski
                   spin-valve Lambda form; lam = 1 -> P/2)
      "cmtj_alt"   g = P / (1 + lam c)          (cmtj setAlternativeSTT(True), Taniguchi)
      "mtj"        g = (eta/2) / (1 + eta^2 c)  (Slonczewski 2005 MTJ form, standard prefactor)
      "mazza"      g = 2 eta / (1 + eta^2 c)    (seed 001 Eq. 5 taken literally: 4x "mtj")
    """
    if kind == "const":
        return 0.5 * P + 0.0 * c
    if kind == "cmtj":
        l2 = lam * lam
        return P * l2 / (l2 + 1.0 + (l2 - 1.0) * c)
    if kind == "cmtj_alt":
        return P / (1.0 + lam * c)
    if kind == "mtj":
        return 0.5 * eta / (1.0 + eta * eta * c)
    if kind == "mazza":
        return 2.0 * eta / (1.0 + eta * eta * c)
    raise ValueError(kind)


class Macrospin:
    """Parameter container + explicit RHS for one free layer.

    Attributes (SI):
      Ms [A/m], alpha, Ku [J/m^3], kaxis (unit), N (3,) diagonal demag factors,
      Hext (3,) [A/m], k_oe (3,) Oersted field per ampere [A/m/A],
      p (unit polarizer), V [m^3], stt_kind, P, lam, eta (efficiency params),
      beta (field-like ratio), torque_form ("gilbert"|"ll"),
      RP, RAP [Ohm] (resistance law R = RP + (RAP-RP)(1-m.p)/2, or conductance form),
      const: ConstSet providing mu0, gamma0, hbar, e.
    """

    def __init__(self, Ms, alpha, Ku=0.0, kaxis=(0, 0, 1), N=(0, 0, 1), Hext=(0, 0, 0),
                 k_oe=(0, 0, 0), p=(1, 0, 0), V=1e-24, stt_kind="const", P=0.0, lam=1.0,
                 eta=0.0, beta=0.0, torque_form="gilbert", RP=1.0, RAP=2.0,
                 r_law="angular", const=SI):
        self.Ms, self.alpha, self.Ku = float(Ms), float(alpha), float(Ku)
        self.kaxis = _unit(kaxis)
        self.N = np.asarray(N, float)
        self.Hext = np.asarray(Hext, float)
        self.k_oe = np.asarray(k_oe, float)
        self.p = _unit(p)
        self.V = float(V)
        self.stt_kind, self.P, self.lam, self.eta = stt_kind, P, lam, eta
        self.beta = float(beta)
        self.torque_form = torque_form
        self.RP, self.RAP = float(RP), float(RAP)
        self.r_law = r_law
        self.c = const

    # --- derived quantities -----------------------------------------------------------
    @property
    def HK(self):
        """uniaxial anisotropy field 2 Ku/(mu0 Ms) [A/m]"""
        return 2.0 * self.Ku / (self.c.mu0 * self.Ms)

    @property
    def aj_prefactor(self):
        """hbar/(e mu0 Ms V) [A/m per A]; aJ = aj_prefactor * g * I"""
        return self.c.hbar / (self.c.e * self.c.mu0 * self.Ms * self.V)

    def heff(self, m, I=0.0, Hextra=None):
        """effective field [A/m] for m of shape (...,3)"""
        m = np.asarray(m, float)
        kd = np.sum(m * self.kaxis, axis=-1)[..., None]
        H = self.Hext + self.HK * kd * self.kaxis - self.Ms * self.N * m + self.k_oe * np.asarray(I)[..., None] \
            if np.ndim(I) else self.Hext + self.HK * kd * self.kaxis - self.Ms * self.N * m + self.k_oe * I
        if Hextra is not None:
            H = H + Hextra
        return H

    def torque_amplitudes(self, m, I):
        """(A_d, A_f) in A/m as they enter the explicit (LL) form."""
        c = np.sum(np.asarray(m) * self.p, axis=-1)
        aJ = self.aj_prefactor * efficiency(self.stt_kind, c, self.P, self.lam, self.eta) * I
        if self.torque_form == "gilbert":
            return aJ * (1.0 - self.alpha * self.beta), -aJ * (self.beta + self.alpha)
        if self.torque_form == "ll":
            return aJ, -self.beta * aJ
        raise ValueError(self.torque_form)

    def rhs(self, m, I=0.0, Hextra=None):
        """dm/dt [1/s] in explicit form, m shape (...,3), I scalar or shape (...)"""
        m = np.asarray(m, float)
        g0, a = self.c.gamma0, self.alpha
        H = self.heff(m, I, Hextra)
        mxH = np.cross(m, H)
        mxmxH = np.cross(m, mxH)
        Ad, Af = self.torque_amplitudes(m, I)
        mxp = np.cross(m, self.p)
        mxmxp = np.cross(m, mxp)
        Ad = np.asarray(Ad)[..., None] if np.ndim(Ad) else Ad
        Af = np.asarray(Af)[..., None] if np.ndim(Af) else Af
        return (-g0 * mxH - a * g0 * mxmxH - g0 * Ad * mxmxp - g0 * Af * mxp) / (1.0 + a * a)

    def resistance(self, m):
        c = np.sum(np.asarray(m) * self.p, axis=-1)
        if self.r_law == "angular":
            return self.RP + 0.5 * (self.RAP - self.RP) * (1.0 - c)
        if self.r_law == "conductance":
            GP, GAP = 1.0 / self.RP, 1.0 / self.RAP
            return 1.0 / (0.5 * (GP + GAP) + 0.5 * (GP - GAP) * c)
        raise ValueError(self.r_law)

    def dR_dm(self, m):
        """gradient of R with respect to m (3,)"""
        c = float(np.dot(m, self.p))
        if self.r_law == "angular":
            return -0.5 * (self.RAP - self.RP) * self.p
        GP, GAP = 1.0 / self.RP, 1.0 / self.RAP
        G = 0.5 * (GP + GAP) + 0.5 * (GP - GAP) * c
        return -(0.5 * (GP - GAP) / G ** 2) * self.p

    # --- energy (for equilibrium search when I = 0) -----------------------------------
    def energy_density(self, m):
        """E/V [J/m^3] without current: Zeeman + uniaxial + demag"""
        m = np.asarray(m, float)
        mu0, Ms = self.c.mu0, self.Ms
        kd = np.dot(m, self.kaxis)
        return (-mu0 * Ms * np.dot(m, self.Hext) + self.Ku * (1 - kd ** 2)
                + 0.5 * mu0 * Ms ** 2 * np.dot(self.N * m, m))


def _unit(v):
    v = np.asarray(v, float)
    return v / np.linalg.norm(v)


def tangent_basis(m0):
    """orthonormal e1, e2 with e1 x e2 = m0"""
    m0 = _unit(m0)
    ref = np.array([1.0, 0, 0]) if abs(m0[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = _unit(ref - np.dot(ref, m0) * m0)
    e2 = np.cross(m0, e1)
    return e1, e2


def equilibrium(ms, m_guess, I=0.0, tol=1e-15, maxit=200):
    """Static solution of rhs(m, I) = 0 near m_guess (Newton in the tangent plane)."""
    m = _unit(m_guess)
    for _ in range(maxit):
        f = ms.rhs(m, I)
        e1, e2 = tangent_basis(m)
        J = jacobian(ms, m, I, e1, e2)
        r = np.array([np.dot(e1, f), np.dot(e2, f)])
        d = np.linalg.solve(J, -r)
        m = _unit(m + d[0] * e1 + d[1] * e2)
        if np.hypot(*d) < tol:
            break
    return m


def jacobian(ms, m0, I, e1, e2, h=1e-7):
    """2x2 Jacobian of the explicit RHS projected on the tangent plane."""
    J = np.empty((2, 2))
    for j, e in enumerate((e1, e2)):
        fp = ms.rhs(m0 + h * e, I)
        fm = ms.rhs(m0 - h * e, I)
        d = (fp - fm) / (2 * h)
        J[0, j] = np.dot(e1, d)
        J[1, j] = np.dot(e2, d)
    return J


def drive_vector(ms, m0, I0, e1, e2, h=1e-9):
    """B = d rhs / dI at (m0, I0), projected (per ampere)."""
    d = (ms.rhs(m0, I0 + h) - ms.rhs(m0, I0 - h)) / (2 * h)
    return np.array([np.dot(e1, d), np.dot(e2, d)])


def linear_response_vdc(ms, m0, freqs, Irf):
    """Small-signal rectified voltage V_dc(f) = 1/2 Re[ dR * conj(Irf) ] at zero DC current.

    I(t) = Irf cos(2 pi f t).  Returns V_dc [V] array.
    General geometry: m0 must be an equilibrium at I = 0.
    """
    e1, e2 = tangent_basis(m0)
    J = jacobian(ms, m0, 0.0, e1, e2)
    B = drive_vector(ms, m0, 0.0, e1, e2)
    gR = ms.dR_dm(m0)
    gr = np.array([np.dot(gR, e1), np.dot(gR, e2)])
    out = []
    for f in np.atleast_1d(freqs):
        w = 2 * math.pi * f
        X = np.linalg.solve(1j * w * np.eye(2) - J, B)  # per ampere
        dR = np.dot(gr, X)
        out.append(0.5 * (dR * Irf * np.conj(Irf)).real)
    return np.array(out)


# ----------------------------------------------------------------------------------------
# Closed form: m0 = z, polarizer p = (px, 0, 0) with px = +-1, diagonal N, uniaxial axis z,
# Hext along z, Oersted k_oe = (kx, ky, 0), zero DC current.  (docs/physics/oracles.md Sec. b)
# ----------------------------------------------------------------------------------------
def stfmr_closed_form(ms, freqs, Irf):
    assert abs(abs(ms.p[0]) - 1) < 1e-12 and np.allclose(ms.kaxis, [0, 0, 1])
    g0, a = ms.c.gamma0, ms.alpha
    Ms, N = ms.Ms, ms.N
    H0 = ms.Hext[2] + ms.HK - N[2] * Ms          # static field along z
    HX = H0 + N[0] * Ms                           # stiffness for m_x
    HY = H0 + N[1] * Ms                           # stiffness for m_y
    wX, wY = g0 * HX, g0 * HY
    px = ms.p[0]
    # torque amplitudes per ampere at m0 (c = m0.p = 0)
    gz = efficiency(ms.stt_kind, 0.0, ms.P, ms.lam, ms.eta)
    aJ1 = ms.aj_prefactor * gz                    # aJ per ampere
    if ms.torque_form == "gilbert":
        a_dl, b_fl = aJ1, -ms.beta * aJ1           # Gilbert-form coefficients: tau = -g0 a mx(mxp) - g0 b mxp
    else:  # convert LL-form amplitudes back to equivalent Gilbert-form coefficients
        Ad, Af = aJ1, -ms.beta * aJ1
        a_dl = (Ad - a * Af) / (1 + a * a)
        b_fl = (Af + a * Ad) / (1 + a * a)
    # equivalent transverse drive fields (per ampere) in the Gilbert picture:
    # DL acts as a field a*(m x p) = a*px*y_hat, FL as a field b*p = b*px*x_hat
    hx = ms.k_oe[0] + b_fl * px
    hy = ms.k_oe[1] + a_dl * px
    w = 2 * math.pi * np.atleast_1d(freqs)
    Dr = wX * wY - (1 + a * a) * w ** 2
    Di = a * w * (wX + wY)
    # u = m_x response per ampere:  u = g0 [ i w hy + (wY + i a w) hx ] / D
    num_r = g0 * wY * hx
    num_i = g0 * (w * hy + a * w * hx)
    re_u = (num_r * Dr + num_i * Di) / (Dr ** 2 + Di ** 2)
    dRdmx = ms.dR_dm(np.array([0.0, 0.0, 1.0]))[0]
    return 0.5 * dRdmx * re_u * abs(Irf) ** 2


def kittel_and_linewidth(H1, H2, alpha, gamma0):
    """Exact linearised eigenvalues for stiffness fields H1, H2 (A/m):
    lambda = -Gamma +- i w_d, Gamma = a g0 (H1+H2)/(2(1+a^2)),
    w_d = g0 sqrt(4(1+a^2) H1 H2 - a^2 (H1+H2)^2) / (2 (1+a^2))."""
    S, Pm = H1 + H2, H1 * H2
    Gam = alpha * gamma0 * S / (2 * (1 + alpha ** 2))
    wd = gamma0 * math.sqrt(4 * (1 + alpha ** 2) * Pm - alpha ** 2 * S ** 2) / (2 * (1 + alpha ** 2))
    return wd, Gam
