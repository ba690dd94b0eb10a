#!/usr/bin/env python3
"""snap_superset.py OLD.h5 NEW.h5 [--rel X] - NEW holds everything OLD holds, equal: same
objects, shapes and types; integers and strings exactly, floating point within X relative
(default 1e-9; NaN equals NaN). NEW may add only the attributes the models gained
(se_*, iterations, stop_reason under /model/...). Ignored as by snapcmp: the root run_id,
created_utc, ranks and every grad_norm (rounding noise at an optimum). Prints the largest
relative float difference; exit 0 when equal, 1 at the first difference."""
import sys

import h5py
import numpy as np

ADDED = ("se_", "iterations", "stop_reason")
IGNORED_ROOT = {"run_id", "created_utc", "ranks"}


def main():
    args = sys.argv[1:]
    rel = 1e-9
    if "--rel" in args:
        i = args.index("--rel")
        rel = float(args[i + 1])
        del args[i:i + 2]
    old, new = h5py.File(args[0], "r"), h5py.File(args[1], "r")
    worst = [0.0, ""]
    bad = []

    def same(what, a, b):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            bad.append(f"{what}: shape {a.shape} vs {b.shape}")
            return
        if a.dtype.kind == "f" or b.dtype.kind == "f":
            a, b = a.astype(float), b.astype(float)
            both_nan = np.isnan(a) & np.isnan(b)
            scale = np.maximum(np.abs(a), np.abs(b))
            d = np.where(both_nan, 0.0, np.abs(a - b))
            with np.errstate(invalid="ignore", divide="ignore"):
                r = np.where(d == 0, 0.0, d / scale)
            r = np.where(np.isnan(r), np.inf, r)
            m = float(r.max()) if r.size else 0.0
            if m > worst[0]:
                worst[:] = [m, what]
            if m > rel:
                k = int(np.argmax(r))
                bad.append(f"{what}: {a.flat[k]!r} vs {b.flat[k]!r} (rel {m:.3g})")
        elif a.dtype != b.dtype and not (a.dtype.kind in "SOU" and b.dtype.kind in "SOU"):
            bad.append(f"{what}: type {a.dtype} vs {b.dtype}")
        elif not np.array_equal(a, b):
            bad.append(f"{what}: differs")

    def attrs(path, ao, bo):
        for k in ao.attrs:
            if k == "grad_norm" or (path == "/" and k in IGNORED_ROOT):
                continue
            if k not in bo.attrs:
                bad.append(f"{path}@{k}: missing in the new file")
            else:
                same(f"{path}@{k}", ao.attrs[k], bo.attrs[k])
        for k in bo.attrs:
            if k not in ao.attrs and not (path.startswith("/model/") and k.startswith(ADDED)):
                bad.append(f"{path}@{k}: only in the new file")

    attrs("/", old, new)

    def visit(name, obj):
        path = "/" + name
        if name not in new:
            bad.append(f"{path}: missing in the new file")
            return
        attrs(path, obj, new[name])
        if isinstance(obj, h5py.Dataset):
            same(path, obj[()], new[name][()])

    old.visititems(visit)
    new.visit(lambda n: bad.append(f"/{n}: only in the new file") if n not in old else None)
    print(f"largest relative float difference {worst[0]:.3g} at {worst[1] or '-'}")
    for b in bad[:20]:
        print("DIFF", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
