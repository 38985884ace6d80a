"""Peak resident memory of MLPRegressor.fit and .predict on a large float32 X.

Each measurement runs in a fresh child process, which builds X directly in float32
(no float64 intermediate), reads its resident memory (``VmRSS``) as the baseline,
then calls fit or predict and reads its high-water mark (``VmHWM``, the peak RSS
over the whole process) from ``/proc/self/status``; ``ru_maxrss`` is recorded too
as a cross-check. The predict child loads a model fitted on a 10,000-row slice and
pickled by a warm-up child, which also fills Numba's on-disk cache so no child
below pays for compilation.

Target: peak RSS under ``1.5 * X.nbytes + model + 200 MiB`` (the 200 MiB covers
the interpreter, numpy/scipy/sklearn/numba and the loaded kernels).

Usage: python benchmarks/bench_memory.py [--n-samples 1000000] [--n-features 100]
       [--output benchmarks/RESULTS_memory.md]
"""

import argparse
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import ROOT, fmt_bytes, machine, run_child, write_results

MIB = 2**20
OVERHEAD = 200 * MIB
PARAMS = dict(hidden_layer_sizes=(64,), max_iter=1, batch_size=256, random_state=0)

COMMON = """
import json, pickle, resource, warnings
import numpy as np
warnings.simplefilter("ignore")

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)

n, d = {n}, {d}
rng = np.random.default_rng(0)
X = rng.random((n, d), dtype=np.float32)  # float32 throughout, no float64 temp
y = X[:, 0] + np.float32(0.5) * X[:, 1]
"""

WARMUP = """
from skdeep import MLPRegressor
est = MLPRegressor(**{params}).fit(X[:10_000], y[:10_000])
est.predict(X[:10_000])
with open({model!r}, "wb") as f:
    pickle.dump(est, f)
"""

FIT = """
from skdeep import MLPRegressor
est = MLPRegressor(**{params})
baseline, hwm_before = status("VmRSS"), status("VmHWM")
est.fit(X, y)
model = sum(a.nbytes for a in est.coefs_ + est.intercepts_)
print(json.dumps(dict(baseline=baseline, hwm_before=hwm_before,
                      peak=status("VmHWM"), model=model,
                      maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      * 1024)))
"""

PREDICT = """
with open({model!r}, "rb") as f:
    est = pickle.load(f)
baseline, hwm_before = status("VmRSS"), status("VmHWM")
pred = est.predict(X)
model = sum(a.nbytes for a in est.coefs_ + est.intercepts_)
print(json.dumps(dict(baseline=baseline, hwm_before=hwm_before,
                      peak=status("VmHWM"), model=model, out=pred.nbytes,
                      maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      * 1024)))
"""


def child(code: str, **fmt) -> dict:
    run = run_child(code.format(**fmt))
    return {**json.loads(run.stdout.splitlines()[-1]), "wall": run.wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument(
        "--output", default=os.path.join(ROOT, "benchmarks", "RESULTS_memory.md")
    )
    args = parser.parse_args()
    n, d = args.n_samples, args.n_features
    x_bytes = n * d * 4
    common = COMMON.format(n=n, d=d)
    info = machine()

    with tempfile.TemporaryDirectory() as tmp:
        model_path = os.path.join(tmp, "model.pkl")
        run_child(common + WARMUP.format(params=PARAMS, model=model_path))
        fit = child(common + FIT, params=PARAMS)
        pred = child(common + PREDICT, model=model_path)

    target = 1.5 * x_bytes + fit["model"] + OVERHEAD
    rows = []
    for name, r in (("fit", fit), ("predict", pred)):
        met = r["peak"] < target
        rows.append(
            f"| {name} | {fmt_bytes(x_bytes)} | {fmt_bytes(r['baseline'])} "
            f"| {fmt_bytes(r['peak'])} | +{fmt_bytes(r['peak'] - r['baseline'])} "
            f"| {fmt_bytes(r['peak'] - x_bytes)} | {fmt_bytes(target)} "
            f"| {'yes' if met else 'NO'} | {r['wall']:.1f} s |"
        )
        print(
            f"{name}: baseline {fmt_bytes(r['baseline'])}, peak {fmt_bytes(r['peak'])}"
            f" (ru_maxrss {fmt_bytes(r['maxrss'])}), target {fmt_bytes(target)},"
            f" met={met}"
        )

    body = f"""\
Workload: `MLPRegressor({", ".join(f"{k}={v!r}" for k, v in PARAMS.items())})` on
X = {n:,} x {d} float32 ({fmt_bytes(x_bytes)}), y float32; each of fit and predict
in its own fresh process. Model (coefs_ + intercepts_): {fit["model"]:,} bytes.

"baseline" is the child's `VmRSS` after X (and y) are built and skdeep imported, just
before the call; "peak" is `VmHWM` (peak RSS of the whole process) right after it;
`ru_maxrss` agreed: fit {fmt_bytes(fit["maxrss"])}, predict {fmt_bytes(pred["maxrss"])}.
Target: peak < 1.5 x X.nbytes + model + 200 MiB = {fmt_bytes(target)}.

| call | X size | baseline RSS (X built) | peak RSS | peak - baseline | peak - X.nbytes | target | met | child wall |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Wall times include interpreter start, imports and building X, on a shared machine.
"""  # noqa: E501
    write_results(
        args.output,
        "Peak memory of MLPRegressor fit and predict",
        "python benchmarks/bench_memory.py",
        info,
        body,
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
