"""Reference reverse-Weibull fits for src/validate/clever-weibull.ts, computed with scipy.stats.weibull_max.fit.

Draws samples from weibull_max with known (shape, loc, scale) using numpy's seeded generator, fits them with scipy
(MLE, default optimizer, started from the true parameters and, as CLEVER's reference code does, also from a few
initial shapes; the best likelihood wins) and writes both. Run once:
/usr/bin/python3 scripts/clever-reference.py > test/fixtures/clever-weibull-reference.json
"""
import json

import numpy as np
import scipy
from scipy.stats import weibull_max

CASES = [
    # (shape k, location mu, scale lambda, n, seed)
    (3.0, 2.0, 0.5, 200, 1),
    (2.0, 10.0, 1.0, 100, 2),
    (5.0, 0.8, 0.05, 300, 3),
    (1.5, 4.0, 2.0, 500, 4),
]


def main():
    out = []
    for k, mu, lam, n, seed in CASES:
        rng = np.random.default_rng(seed)
        x = weibull_max.rvs(k, loc=mu, scale=lam, size=n, random_state=rng)
        best = None
        for c0 in (k, 0.5 * k, 2 * k):
            try:
                c, loc, scale = weibull_max.fit(x, c0, loc=x.max() + 0.1 * (x.max() - x.min()), scale=lam)
            except Exception:
                continue
            if loc <= x.max():
                continue
            ll = float(np.sum(weibull_max.logpdf(x, c, loc=loc, scale=scale)))
            if best is None or ll > best["logLikelihood"]:
                best = {"shape": float(c), "location": float(loc), "scale": float(scale), "logLikelihood": ll}
        out.append({"true": {"shape": k, "location": mu, "scale": lam}, "samples": [float(v) for v in x], "scipy": best})
    print(json.dumps({"scipy": scipy.__version__, "cases": out}, indent=1))


if __name__ == "__main__":
    main()
