"""Time-series CNNs (the FCN and ResNet recipes) and a batch-normalized MLP against
the same networks in PyTorch on the CPU.

Problems (float32, Adam at 1e-3, no weight decay, shuffled every epoch; skdeep and
torch alternating in one process, medians of ``--repeats`` fits, at 1 and 2
threads):

* FCN 2000x150: the FCN of Wang, Yan and Oates (2017) -- Conv1d(128, 8)-BN-ReLU,
  Conv1d(256, 5)-BN-ReLU, Conv1d(128, 3)-BN-ReLU, global average pooling, softmax
  -- on 2,000 series of length 150, batch 16;
* FCN 500x1000x3: the same on 500 series of 3 channels and length 1,000, batch 16;
* ResNet 1000x150: their ResNet (three residual groups of three such convolutions
  with 64, 128 and 128 filters of widths 8, 5, 3; a 1x1 convolution and batch norm
  on a shortcut that changes the width, identity otherwise; the addition before the
  group's last ReLU) on 1,000 series of length 150, batch 16;
* MLP (256, 128) + BN 50000x100: Linear-BN-ReLU twice then the output, batch 256,
  and the same skdeep MLP without batch normalization (its cost ratio).

Data: three classes of a shape (box, triangle, one sine period) at a random
position in Gaussian noise (for 3 channels the shape is in one random channel);
for the MLP, a random Gaussian matrix labelled by two thresholds. Accuracy is
measured on held-out data of the same kind (a quarter of the training size).

Reported: seconds per fit (``--epochs`` epochs, including skdeep's check of its
outputs on the training set at the end of a fit), the ratio torch / skdeep (above
1: skdeep faster), held-out accuracies, and GFLOP/s (convolution and dense
multiply-adds x2, training = 3 x forward). ``--profile`` adds a per-layer table of
one FCN batch: skdeep's convolution, batch normalization and activation kernels
against torch's Conv1d and BatchNorm1d forward + backward, alternating.

torch is an optional dependency of this benchmark only (``pip install torch``).

Usage: python benchmarks/bench_timeseries_cnn.py [--repeats 3] [--threads 1 2]
       [--problems NAME ...] [--epochs N] [--profile] [--no-write]
       [--weight-init {glorot,pytorch}]
"""

import argparse
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm
import _torch as torch_bench

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS_timeseries_cnn.md")

FCN = dict(filters=(128, 256, 128), kernel_size=(8, 5, 3))
RESNET = dict(filters=(64,) * 3 + (128,) * 3 + (128,) * 3, kernel_size=(8, 5, 3) * 3)

PROBLEMS = {
    "FCN 2000x150": dict(net="fcn", n=2000, length=150, channels=1, batch=16),
    "FCN 500x1000x3": dict(net="fcn", n=500, length=1000, channels=3, batch=16),
    "ResNet 1000x150": dict(net="resnet", n=1000, length=150, channels=1, batch=16),
    "MLP (256, 128) + BN 50000x100": dict(net="mlp", n=50000, d=100, batch=256),
}


# ---------------------------------------------------------------------- data
def shapes(n, length, channels, seed, width=16):
    """``(X (n, channels, length) float32, y)``: a box, triangle or sine period at
    a random position of a random channel, in noise."""
    rng = np.random.RandomState(seed)
    y = rng.randint(3, size=n)
    X = 0.3 * rng.standard_normal((n, channels, length))
    t = np.arange(width)
    half = (width - 1) / 2
    forms = [np.ones(width), 1.5 * (1 - np.abs(t - half) / half),
             np.sin(2 * np.pi * t / width)]  # fmt: skip
    for i in range(n):
        start = rng.randint(0, length - width + 1)
        X[i, rng.randint(channels), start : start + width] += forms[y[i]]
    return X.astype(np.float32), y


def tabular(n, d, seed):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    score = X[:, :10].sum(axis=1) + X[:, 10:20].prod(axis=1)
    return X, np.digitize(score, [-1.5, 1.5])


def data(p):
    if p["net"] == "mlp":
        return tabular(p["n"], p["d"], 0), tabular(p["n"] // 4, p["d"], 1)
    return (shapes(p["n"], p["length"], p["channels"], 0),
            shapes(p["n"] // 4, p["length"], p["channels"], 1))  # fmt: skip


# -------------------------------------------------------------------- models
def skdeep_fit(p, X, y, epochs, batch_norm=True, seed=0, weight_init="glorot"):
    from skdeep import CNNClassifier, MLPClassifier

    common = dict(batch_size=p["batch"], max_iter=epochs, alpha=0.0, tol=0.0,
                  n_iter_no_change=10**6, random_state=seed)  # fmt: skip
    if p["net"] == "mlp":
        est = MLPClassifier((256, 128), batch_norm=batch_norm, **common)
    else:
        est = CNNClassifier(
            input_shape=X.shape[1:], pool_size=None, batch_norm=True,
            global_pool="avg", hidden_layer_sizes=(),
            residual=p["net"] == "resnet", weight_init=weight_init,
            **(RESNET if p["net"] == "resnet" else FCN), **common,
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def torch_model(p, n_classes=3):
    from torch import nn

    if p["net"] == "mlp":
        return nn.Sequential(
            nn.Linear(p["d"], 256), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, 128), nn.BatchNorm1d(128), nn.ReLU(),
            nn.Linear(128, n_classes),
        )  # fmt: skip

    def unit(c_in, c_out, k):
        return [nn.Conv1d(c_in, c_out, k, padding="same"), nn.BatchNorm1d(c_out)]

    class Group(nn.Module):
        def __init__(self, c_in, c_out):
            super().__init__()
            self.main = nn.Sequential(
                *unit(c_in, c_out, 8), nn.ReLU(), *unit(c_out, c_out, 5), nn.ReLU(),
                *unit(c_out, c_out, 3),
            )  # fmt: skip
            self.shortcut = (
                nn.Sequential(*unit(c_in, c_out, 1)) if c_in != c_out
                else nn.Identity()
            )  # fmt: skip

        def forward(self, x):
            return nn.functional.relu(self.main(x) + self.shortcut(x))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            c = p["channels"]
            if p["net"] == "fcn":
                layers = []
                for f, k in zip(FCN["filters"], FCN["kernel_size"]):
                    layers += [*unit(c, f, k), nn.ReLU()]
                    c = f
            else:
                layers = []
                for f in (64, 128, 128):
                    layers.append(Group(c, f))
                    c = f
            self.body = nn.Sequential(*layers)
            self.head = nn.Linear(c, n_classes)

        def forward(self, x):
            return self.head(self.body(x).mean(dim=2))

    return Net()


def torch_fit(p, X, y, epochs, seed=0):
    import torch

    torch.manual_seed(seed)
    model = torch_model(p)
    # BatchNorm1d cannot train on one row (skdeep leaves such a row out too).
    min_rows = 2 if p["net"] == "mlp" else 1
    return torch_bench.train_classifier(model, X, y, epochs, p["batch"],
                                        min_rows=min_rows)  # fmt: skip


def training_flops(p, n_rows, epochs):
    """Multiply-adds x2 of the convolution and dense layers, training = 3 x
    forward."""
    if p["net"] == "mlp":
        forward = 2 * (p["d"] * 256 + 256 * 128 + 128 * 3)
    else:
        L, c = p["length"], p["channels"]
        cfg = FCN if p["net"] == "fcn" else RESNET
        forward = 0
        for i, (f, k) in enumerate(zip(cfg["filters"], cfg["kernel_size"])):
            forward += 2 * f * c * k * L
            if p["net"] == "resnet" and i % 3 == 0 and c != f:
                forward += 2 * f * c * L  # the 1x1 shortcut
            c = f
        forward += 2 * c * 3
    return 3 * forward * n_rows * epochs


# ------------------------------------------------------------------ profile
def profile_fcn_layers(threads, repeats=15):
    """One FCN batch (16 x 1 x 150), layer by layer: skdeep's kernels against
    torch's modules, forward + backward, alternating. Returns table rows."""
    import torch

    from skdeep._kernels.activations import activate, activation_backward
    from skdeep._kernels.batchnorm import (
        batchnorm_backward,
        batchnorm_forward,
        batchnorm_statistics,
    )
    from skdeep._kernels.conv2d import conv2d_backward, conv2d_forward

    n, L = 16, 150
    dt = np.float32
    rng = np.random.default_rng(0)
    rows = []
    c_in = 1
    for f, k in zip(FCN["filters"], FCN["kernel_size"]):
        X = rng.standard_normal((n, c_in, 1, L), dtype=dt)
        W = rng.standard_normal((f, c_in, 1, k), dtype=dt)
        b = np.zeros(f, dt)
        out = np.empty((n, f, 1, L), dt)
        cols = np.empty((max(1, threads), c_in * k, L), dt)
        kept = np.empty((n, c_in * k, L), dt)  # as in training (within budget)
        dW, db, dX = np.empty_like(W), np.empty_like(b), np.empty_like(X)
        dW_part, db_part = np.empty((n, *W.shape), dt), np.empty((n, f), dt)
        pad = (k - 1) // 2
        flat = out.reshape(-1)
        sw = np.ones(n, dt)
        mean, inv, rm, rv = (np.zeros(f, dt) for _ in range(4))
        gamma = np.ones(f, dt)
        y_bn = np.empty_like(flat)
        g = rng.standard_normal(flat.size, dtype=dt)
        dx_bn = np.empty_like(flat)

        def conv(
            X=X,
            W=W,
            b=b,
            out=out,
            cols=cols,
            kept=kept,
            dW=dW,
            db=db,
            dX=dX,
            dW_part=dW_part,
            db_part=db_part,
            pad=pad,
            first=c_in == 1,
        ):
            conv2d_forward(X, W, b, 1, 0, pad, out, cols, kept)
            conv2d_backward(X, W, out, 1, 0, pad, dW, db, dX, not first, cols,
                            kept, dW_part, db_part)  # fmt: skip

        def bn_relu(flat=flat, f=f, sw=sw, mean=mean, inv=inv, rm=rm, rv=rv,
                    gamma=gamma, y_bn=y_bn, g=g, dx_bn=dx_bn):  # fmt: skip
            count = batchnorm_statistics(flat, sw, n, f, L, mean, inv, rm, rv, 0.1, 1)
            batchnorm_forward(flat, n, f, L, gamma, rm, mean, inv, y_bn)
            activate(y_bn, n, f * L, 3)
            activation_backward(y_bn, g, n * f * L, 3)
            batchnorm_backward(flat, g, sw, n, f, L, gamma, mean, inv, count, rm, rv,
                               dx_bn, True)  # fmt: skip

        t_conv = torch.nn.Conv1d(c_in, f, k, padding="same")
        t_bn = torch.nn.BatchNorm1d(f)
        xt = torch.from_numpy(X.reshape(n, c_in, L)).requires_grad_(c_in > 1)
        zt = torch.from_numpy(out.reshape(n, f, L).copy()).requires_grad_(True)

        def torch_conv(t_conv=t_conv, xt=xt):
            y = t_conv(xt)
            y.backward(torch.ones_like(y))

        def torch_bn_relu(t_bn=t_bn, zt=zt):
            y = torch.relu(t_bn(zt))
            y.backward(torch.ones_like(y))

        conv()
        bn_relu()
        times = tm.alternate(
            {"conv": conv, "torch conv": torch_conv, "bn": bn_relu,
             "torch bn": torch_bn_relu},
            repeats=repeats,
        )  # fmt: skip
        flops = 3 * 2 * n * f * c_in * k * L
        rows.append(dict(
            layer=f"Conv1d({c_in}->{f}, {k}) + BN + ReLU", threads=threads,
            conv=tm.median(times["conv"]), torch_conv=tm.median(times["torch conv"]),
            bn=tm.median(times["bn"]), torch_bn=tm.median(times["torch bn"]),
            gflops=flops / tm.median(times["conv"]) / 1e9,
            torch_gflops=flops / tm.median(times["torch conv"]) / 1e9,
        ))  # fmt: skip
        print(rows[-1], flush=True)
        c_in = f
    return rows


# ---------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--weight-init",
        default="glorot",
        help="the CNNs' weight_init ('pytorch': torch's draws)",
    )
    args = parser.parse_args()

    import numba
    import torch

    info = tm.machine()
    print("torch CPU capability:", torch.backends.cpu.get_cpu_capability(),
          "| BLAS:", tm.blas_threads(), flush=True)  # fmt: skip
    rows, profile = [], []
    for threads in args.threads:
        tm.pin_threads(1)  # BLAS: skdeep pins it to 1 inside fit anyway
        numba.set_num_threads(threads)
        torch.set_num_threads(threads)
        for name in args.problems:
            p = PROBLEMS[name]
            (X, y), (X_test, y_test) = data(p)
            skdeep_fit(
                p, X[:32], y[:32], 1, weight_init=args.weight_init
            )  # compile (or load) the kernels
            fitted = {}
            runs = _runs(p, X, y, args.epochs, fitted, args.weight_init)
            load = os.getloadavg()[0]
            times = tm.alternate(runs, repeats=args.repeats, warmup=0)
            sk, to = tm.median(times["skdeep"]), tm.median(times["torch"])
            flops = training_flops(p, len(X), args.epochs)
            row = dict(
                problem=name, threads=threads, skdeep=tm.spread(times["skdeep"]),
                torch=tm.spread(times["torch"]), ratio=to / sk,
                sk_acc=fitted["skdeep"].score(X_test, y_test),
                to_acc=torch_bench.accuracy(fitted["torch"], X_test, y_test),
                sk_gflops=flops / sk / 1e9, to_gflops=flops / to / 1e9,
                load=f"{load:.1f}-{os.getloadavg()[0]:.1f}",
            )  # fmt: skip
            if "skdeep without BN" in times:
                row["bn_cost"] = sk / tm.median(times["skdeep without BN"])
                row["plain"] = tm.spread(times["skdeep without BN"])
            rows.append(row)
            print(row, flush=True)
        if args.profile:
            profile += profile_fcn_layers(threads)
    body = _report(rows, profile, args.epochs)
    print(body)
    if not args.no_write:
        command = "python benchmarks/bench_timeseries_cnn.py " + " ".join(sys.argv[1:])
        tm.write_results(
            RESULTS, "Time-series CNNs and batch normalization vs PyTorch (CPU)",
            command.strip(), info, body,
        )  # fmt: skip


def _runs(p, X, y, epochs, fitted, weight_init="glorot") -> dict:
    """The fits to time alternately; each keeps its model in ``fitted``."""

    def run(name, fit, **kw):
        def call():
            fitted[name] = fit(p, X, y, epochs, **kw)

        return call

    cnn = {} if p["net"] == "mlp" else {"weight_init": weight_init}
    runs = {
        "skdeep": run("skdeep", skdeep_fit, **cnn),
        "torch": run("torch", torch_fit),
    }
    if p["net"] == "mlp":
        runs["skdeep without BN"] = run("plain", skdeep_fit, batch_norm=False)
    return runs


def _report(rows, profile, epochs) -> str:
    lines = [
        f"Seconds per fit of {epochs} epochs (median, min-max), float32; ratio "
        "torch / skdeep above 1: skdeep faster. Load: the 1-minute load average "
        "before and after the problem (the machine has 2 cores).",
        "",
        "| problem | threads | skdeep | torch | torch / skdeep | accuracy skdeep | "
        "accuracy torch | GFLOP/s skdeep | GFLOP/s torch | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['problem']} | {r['threads']} | {r['skdeep']} | {r['torch']} | "
            f"**{r['ratio']:.2f}x** | {r['sk_acc']:.4f} | {r['to_acc']:.4f} | "
            f"{r['sk_gflops']:.1f} | {r['to_gflops']:.1f} | {r['load']} |"
        )
    costs = [r for r in rows if "bn_cost" in r]
    if costs:
        lines += ["", "| problem | threads | skdeep without BN | BN / no BN |",
                  "|---|---|---|---|"]  # fmt: skip
        for r in costs:
            lines.append(f"| {r['problem']} | {r['threads']} | {r['plain']} | "
                         f"**{r['bn_cost']:.2f}x** |")  # fmt: skip
    if profile:
        lines += [
            "",
            "One FCN batch (16 series of length 150), forward + backward per layer, "
            "median ms (skdeep's kernels vs torch's modules, alternating):",
            "",
            "| layer | threads | skdeep conv | torch conv | skdeep BN+ReLU | "
            "torch BN+ReLU | GFLOP/s skdeep conv | GFLOP/s torch conv |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in profile:
            lines.append(
                f"| {r['layer']} | {r['threads']} | {r['conv'] * 1e3:.2f} | "
                f"{r['torch_conv'] * 1e3:.2f} | {r['bn'] * 1e3:.2f} | "
                f"{r['torch_bn'] * 1e3:.2f} | {r['gflops']:.0f} | "
                f"{r['torch_gflops']:.0f} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
