#!/usr/bin/env python3
"""Fits the polynomial C(u) of VectorMath's GELU and checks the float evaluation.

erfc(u) = exp(-u^2 + C(u)) with C(u) = ln(erfc(u) * e^(u^2)) = ln(erfcx(u)), on u in [0, 4.6].
The fit is weighted least squares in a Chebyshev basis, reweighted towards the largest errors a few dozen times
(an approximation of minimax that needs no Remez exchange), then converted to monomial coefficients for Horner.
The script then evaluates GELU the way VectorMath does, in float32 with fused multiply-adds (a product of two
floats is exact in double, so fma(a, b, c) = float(a*b + c) up to a double rounding that does not matter here),
and prints the worst errors against a double-precision reference.

Needs numpy and scipy. Run: python3 engine/src/test/scripts/fit-gelu.py
"""
import numpy as np
from scipy.special import erfc, erfcx

CUT = 4.6      # u = |z|/sqrt(2) where the fit ends
DEGREE = 11
f32 = np.float32


def fit(lo, hi, degree, rounds=40):
    u = np.linspace(lo, hi, 20001)
    target = np.log(erfcx(u))
    weight = np.ones_like(u)
    for _ in range(rounds):
        basis = np.polynomial.chebyshev.chebvander((2 * u - lo - hi) / (hi - lo), degree)
        coef, *_ = np.linalg.lstsq(basis * weight[:, None], target * weight, rcond=None)
        error = basis @ coef - target
        weight *= (np.abs(error) / np.abs(error).max() + 1e-3) ** 0.5
        weight /= weight.max()
    monomial = np.polynomial.Chebyshev(coef, domain=[lo, hi]).convert(kind=np.polynomial.Polynomial)
    return monomial.coef, np.abs(error).max()


def fma(a, b, c):
    return f32(np.float64(a) * np.float64(b) + np.float64(c))


LOG2E = f32(1 / np.log(2))
LN2_HIGH = f32(0.693359375)
LN2_LOW = f32(np.log(2) - 0.693359375)
MAGIC = f32(12582912.0)


def exp_float(x):
    shifted = fma(x, LOG2E, MAGIC)
    n = f32(shifted - MAGIC)
    r = fma(n, -LN2_HIGH, x)
    r = fma(n, -LN2_LOW, r)
    e = fma(r, f32(1 / 5040), f32(1 / 720))
    for c in (1 / 120, 1 / 24, 1 / 6, 0.5, 1.0, 1.0):
        e = fma(e, r, f32(c))
    two_to_n = ((n.astype(np.int32) + 127) << 23).astype(np.int32).view(np.float32)
    return f32(e * two_to_n)


def gelu_float(z, coef):
    clamp = f32(CUT * np.sqrt(2))
    a = np.abs(z)
    a = np.where(a > clamp, clamp, a)
    u = f32(a * f32(1 / np.sqrt(2)))
    c = np.full_like(u, coef[-1])
    for k in coef[-2::-1]:
        c = fma(c, u, k)
    e = exp_float(fma(f32(a * f32(-0.5)), a, c))
    twice_cdf = np.where(z < 0, e, f32(f32(2) - e))
    return np.where(z < -clamp, f32(0), f32(f32(z * f32(0.5)) * twice_cdf))


def main():
    coef, fit_error = fit(0.0, CUT, DEGREE)
    print(f"fit of C on [0, {CUT}], degree {DEGREE}: max error {fit_error:.2e}")
    for i, c in enumerate(coef):
        print(f"    private static final float C{i} = {float(c)!r}f;")
    print(f"    GELU_CLAMP = {float(f32(CUT * np.sqrt(2)))!r}f")
    z = np.concatenate([np.linspace(-14, 14, 1_000_001), np.linspace(-1e-3, 1e-3, 10_001)]).astype(f32)
    zd = z.astype(np.float64)
    reference = 0.5 * zd * erfc(-zd / np.sqrt(2))
    error = np.abs(gelu_float(z, coef.astype(f32)) - reference)
    relative = error / np.maximum(np.abs(reference), 1e-300)
    print(f"float evaluation: max relative error for z >= -3 {relative[z >= -3].max():.2e}, "
          f"max absolute error for z < -3 {error[z < -3].max():.2e}")


if __name__ == "__main__":
    main()
