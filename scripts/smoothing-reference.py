"""Reference numbers for randomized smoothing's statistics (src/certify/statistics.ts), computed with scipy.

Cohen, Rosenfeld & Kolter 2019 (https://arxiv.org/abs/1902.02918): CERTIFY's lower bound is the one-sided
Clopper-Pearson bound (statsmodels proportion_confint(nA, n, alpha=2*alpha, method="beta")[0], i.e. the alpha
quantile of Beta(nA, n - nA + 1)); the radius is sigma * norm.ppf(pA_lower); PREDICT abstains unless the two-sided
binomial test of nA in nA + nB against p = 1/2 has p-value <= alpha.

Run once with /usr/bin/python3 scripts/smoothing-reference.py > test/fixtures/smoothing-reference.json; the
TypeScript test only reads the committed JSON.
"""
import json

import scipy
from scipy.stats import beta, binomtest, norm

CERTIFY_CASES = [
    # (nA, n, alpha, sigma)
    (100000, 100000, 0.001, 0.25),
    (99990, 100000, 0.001, 0.25),
    (99000, 100000, 0.001, 0.5),
    (90000, 100000, 0.001, 1.0),
    (60000, 100000, 0.001, 0.25),
    (50100, 100000, 0.001, 0.25),
    (10000, 10000, 0.001, 0.25),
    (9990, 10000, 0.001, 0.25),
    (9500, 10000, 0.001, 0.5),
    (7000, 10000, 0.01, 0.25),
    (5100, 10000, 0.001, 0.25),
    (990, 1000, 0.001, 0.25),
    (600, 1000, 0.05, 0.12),
    (100, 100, 0.001, 0.25),
    (55, 100, 0.001, 0.25),
    (1, 100, 0.001, 0.25),
    (0, 100, 0.001, 0.25),
    (3, 3, 0.1, 1.0),
]

PREDICT_CASES = [
    # (nA, nB)
    (100, 0),
    (60, 40),
    (55, 45),
    (520, 480),
    (560, 440),
    (9, 1),
    (7, 3),
    (5000, 4800),
    (1, 0),
    (30, 30),
]


def lower(k, n, alpha):
    return 0.0 if k == 0 else float(beta.ppf(alpha, k, n - k + 1))


def main():
    certify = []
    for k, n, alpha, sigma in CERTIFY_CASES:
        lo = lower(k, n, alpha)
        certify.append({
            "nA": k, "n": n, "alpha": alpha, "sigma": sigma,
            "pALower": lo,
            "pAUpper": 1.0 if k == n else float(beta.ppf(1 - alpha, k + 1, n - k)),
            "radius": float(sigma * norm.ppf(lo)) if lo > 0.5 else 0.0,
            "abstain": not lo > 0.5,
        })
    predict = [
        {"nA": a, "nB": b, "pValue": float(binomtest(a, a + b, 0.5, alternative="two-sided").pvalue)}
        for a, b in PREDICT_CASES
    ]
    quantiles = [{"p": p, "ppf": float(norm.ppf(p))} for p in (0.5, 0.6, 0.9, 0.99, 0.999, 0.9999, 1 - 1e-7)]
    print(json.dumps({"scipy": scipy.__version__, "certify": certify, "predict": predict, "normalPpf": quantiles}, indent=2))


if __name__ == "__main__":
    main()
