"""Physical constants for the spinspice reference oracles.

Two sets are provided:

* ``SI``   -- CODATA 2018 exact/recommended values (what spinspice should use by default).
* ``CMTJ`` -- the values hard-wired in cmtj 1.15 (core/constants.hpp), needed to map
  parameters one-to-one when cross-checking against cmtj.

All oracle functions take an explicit ``gamma0 = gamma*mu0`` [m/(A s)] and ``mu0`` so that
either set can be used.
"""
import math

# CODATA 2018
MU0 = 1.25663706212e-6          # vacuum permeability [T m / A] (N/A^2)
HBAR = 1.054571817e-34          # reduced Planck constant [J s]
E_CHARGE = 1.602176634e-19      # elementary charge [C] (exact)
K_B = 1.380649e-23              # Boltzmann constant [J/K] (exact)
GAMMA_E = 1.76085963023e11      # |electron gyromagnetic ratio| [rad/(s T)]
MU_B = 9.2740100783e-24         # Bohr magneton [J/T]


class ConstSet:
    def __init__(self, name, mu0, gamma0, hbar, e, kb):
        self.name = name
        self.mu0 = mu0            # [T m/A]
        self.gamma0 = gamma0      # gamma*mu0 [m/(A s)]: precession rate per A/m
        self.hbar = hbar
        self.e = e
        self.kb = kb

    @property
    def gamma(self):
        """gyromagnetic ratio [rad/(s T)] implied by gamma0 and mu0"""
        return self.gamma0 / self.mu0

    def __repr__(self):
        return (f"ConstSet({self.name}: mu0={self.mu0:.11e}, gamma0={self.gamma0:.6f} m/(A s), "
                f"gamma={self.gamma:.6e} rad/(s T), hbar={self.hbar:.9e}, e={self.e:.9e}, kB={self.kb:.6e})")


SI = ConstSet("SI/CODATA2018", MU0, GAMMA_E * MU0, HBAR, E_CHARGE, K_B)

# cmtj 1.15 (core/constants.hpp, PhysicalConstants defaults; checked with
# cmtj.constants.PhysicalConstants at runtime in cmtj_stfmr.py)
CMTJ = ConstSet("cmtj-1.15", 12.566e-7, 220880.0, 6.62607015e-34 / (2 * math.pi),
                1.60217662e-19, 1.380649e-23)

if __name__ == "__main__":
    for c in (SI, CMTJ):
        print(c)
    print(f"gamma/2pi (SI) = {SI.gamma/2/math.pi/1e9:.6f} GHz/T")
    print(f"gamma/2pi implied by cmtj = {CMTJ.gamma/2/math.pi/1e9:.6f} GHz/T "
          f"(ratio cmtj/SI gamma0 = {CMTJ.gamma0/SI.gamma0:.6f})")
