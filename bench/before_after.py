#!/usr/bin/env python3
"""before_after.py OLD_SNAPSHOT NEW_SNAPSHOT [--fits] - two builds' snapshots of the same data
(an older txetl's and today's, as scripts/compare-builds.sh --across-formats makes them;
issue #12: "snapshots identical to today's", "parameters equal today's within 1e-6 where
today's converged").

The objects (datasets and attributes) both files hold are compared: integers and strings
exactly, floats within 1e-9 relative. They fall in two classes, printed apart:
  - what the data alone determines (revenue, RFM, the customers' summaries, cohorts, ...):
    must be equal; any difference makes the exit status 1;
  - what the model fits determine (/model/*, /customers/{p_alive, expected_purchases,
    expected_avg_value, clv}, /holdout/{predicted, mean_predicted}): the largest relative
    difference is printed; it is as large as the older fits' distance from the maximum.
Objects only one file has (columns added since) are listed.

--fits: where each build's fits stand against the true maximum of the likelihood. Both
snapshots must hold the same customers (checked). For BG/NBD and Gamma-Gamma, with the
independent implementation of tests/models/clv_independent.py (numpy/scipy, complex-step
gradients):

  - the maximum found independently (scipy BFGS, then Newton steps to the end);
  - each build's parameters: relative distance to that maximum and to the other build's;
  - at each build's parameters: the norm of the gradient of the mean negative log-likelihood in
    log-parameters, against txetl's tolerance 1e-8 * max(1, |mean|), and the largest relative
    change of a parameter that one more Newton step would make, against txetl's 1e-10: the
    convergence test txetl applies today (include/txetl/clv.h), applied to both (the
    rounding allowance of the step is not computed here: a step between 1e-10 and 1e-8 is
    printed as within it).

A build's fit that fails that test did not converge, whatever its snapshot said. Python: /usr/bin/python3 with
python3-numpy, -scipy, -h5py."""
import importlib.util
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "clv_independent", os.path.join(HERE, "..", "tests", "models", "clv_independent.py"))
ci = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ci)


def customers(path):
    with h5py.File(path, "r") as f:
        c = f["customers"]
        return {k: c[k][:] for k in ("customer_id", "frequency", "recency", "T", "monetary_value")}


def params(path, group, names):
    with h5py.File(path, "r") as f:
        a = f["model/" + group].attrs
        out = {k: float(a[k]) for k in names}
        out["converged"] = int(a["converged"]) if "converged" in a else None
        out["grad_norm"] = float(a["grad_norm"]) if "grad_norm" in a else None
        return out


def newton_step(model, par, nobs):
    """Mean negative log-likelihood, its gradient in log-parameters and the Newton step there."""
    g = ci.grad(model, par)
    H = ci.hessian(model, par)
    gt = g * par
    Ht = np.outer(par, par) * H + np.diag(gt)
    step = -np.linalg.solve(Ht, gt)
    mean = -model.ll(par).real / nobs
    return mean, np.linalg.norm(-gt / nobs), np.max(np.abs(np.expm1(step)))


MODEL_DERIVED = ("/customers/p_alive", "/customers/expected_purchases",
                 "/customers/expected_avg_value", "/customers/clv", "/holdout/predicted",
                 "/holdout/by_frequency/mean_predicted")
IGNORED_ATTRS = ("run_id", "created_utc", "ranks", "format_version", "grad_norm")


def model_derived(path):
    return path.startswith("/model") or path in MODEL_DERIVED


def objects(path):
    """{path or path@attr: numpy value} for every dataset and attribute of the file."""
    out = {}
    with h5py.File(path, "r") as f:
        def take(name, obj):
            key = "/" + name
            if isinstance(obj, h5py.Dataset):
                out[key] = obj[()]
            for a, v in obj.attrs.items():
                out[f"{key}@{a}"] = v
        for a, v in f.attrs.items():
            out[f"/@{a}"] = v
        f.visititems(take)
    return out


def differ(a, b):
    """None when equal; else the largest relative difference (inf for ints, strings, shapes)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return float("inf")
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        a, b = a.astype(float), b.astype(float)
        both_nan = np.isnan(a) & np.isnan(b)
        d = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
        d = np.where(both_nan | (a == b), 0.0, d)
        m = float(np.max(d)) if d.size else 0.0
        return None if m <= 1e-9 else m
    if a.dtype.names or b.dtype.names:  # compound: field by field
        if a.dtype.names != b.dtype.names:
            return float("inf")
        ds = [differ(a[n], b[n]) for n in a.dtype.names]
        ds = [d for d in ds if d is not None]
        return max(ds) if ds else None
    return None if np.array_equal(a, b) else float("inf")


def compare_all(old, new):
    oo, on = objects(old), objects(new)
    common = sorted(set(oo) & set(on))
    data_bad, model = [], []
    equal = 0
    for k in common:
        if k.rsplit("@", 1)[-1] in IGNORED_ATTRS and "@" in k:
            continue
        d = differ(oo[k], on[k])
        if model_derived(k.split("@")[0]):
            model.append((k, d))
        elif d is None:
            equal += 1
        else:
            data_bad.append((k, d))
    print(f"objects in both: {len(common)}; determined by the data alone: {equal} equal, "
          f"{len(data_bad)} different")
    for k, d in data_bad:
        print(f"  DIFFERENT {k}: max rel {d:.3g}")
    print(f"determined by the model fits: {len(model)} "
          f"({sum(d is None for _, d in model)} equal within 1e-9)")
    for k, d in model:
        if d is not None:
            print(f"  {k}: max rel {d:.3g}")
    only_old = sorted(set(oo) - set(on))
    only_new = sorted(set(on) - set(oo))
    print(f"only before: {len(only_old)}{': ' + ', '.join(only_old) if only_old else ''}")
    print(f"only now: {len(only_new)}{': ' + ', '.join(only_new[:40]) if only_new else ''}"
          f"{' ...' if len(only_new) > 40 else ''}")
    return 1 if data_bad else 0


def step_verdict(d):
    if d <= 1e-10:
        return "below"
    return "within the rounding allowance" if d <= 1e-8 else "ABOVE"


def main():
    args = [a for a in sys.argv[1:] if a != "--fits"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[0])
        return 2
    old, new = args
    rc = compare_all(old, new)
    if "--fits" not in sys.argv[1:]:
        return rc
    co, cn = customers(old), customers(new)
    for k in co:
        if not np.array_equal(co[k], cn[k]):
            print(f"the snapshots differ in /customers/{k}: not the same customers")
            return 1
    x, tx, T, m = cn["frequency"], cn["recency"], cn["T"], cn["monetary_value"]
    print(f"{len(x)} customers, the same in both snapshots")
    for group, model in (("bgnbd", ci.BgNbd(x, tx, T)), ("gamma_gamma", ci.GammaGamma(x, m))):
        names = model.names
        nobs = len(x) if group == "bgnbd" else model.n
        best, _, _ = ci.fit(model, nobs)
        po, pn = params(old, group, names), params(new, group, names)
        print(f"\n{group} ({nobs} customers in the fit)")
        print(f"  {'':24} " + " ".join(f"{n:>18}" for n in names))
        print(f"  {'independent maximum':24} " + " ".join(f"{v:18.12g}" for v in best))
        for label, p in (("before", po), ("now", pn)):
            v = np.array([p[n] for n in names])
            print(f"  {label:24} " + " ".join(f"{a:18.12g}" for a in v))
            print(f"  {'  rel. to the maximum':24} " +
                  " ".join(f"{abs(a - b) / abs(b):18.2e}" for a, b in zip(v, best)))
        vo = np.array([po[n] for n in names])
        vn = np.array([pn[n] for n in names])
        print(f"  {'before rel. to now':24} " +
              " ".join(f"{abs(a - b) / abs(b):18.2e}" for a, b in zip(vo, vn)))
        for label, p, v in (("before", po, vo), ("now", pn, vn)):
            mean, gnorm, dmax = newton_step(model, v, nobs)
            tol = 1e-8 * max(1.0, abs(mean))
            print(f"  {label}: snapshot says converged={p['converged']} grad_norm={p['grad_norm']}; "
                  f"here: |grad| {gnorm:.3g} (tolerance {tol:.3g}: {'below' if gnorm <= tol else 'ABOVE'}), "
                  f"next Newton step moves a parameter by {dmax:.3g} relative "
                  f"(txetl's limit 1e-10, plus what the rounding level of the sums moves, "
                  f"at most 1e-8: {step_verdict(dmax)})")
    return rc


if __name__ == "__main__":
    sys.exit(main())
