"""skdeep's DenoisingAutoencoder against scikit-learn's MLPRegressor fitted on (X, X).

Side by side in one process, alternating runs (medians of ``--repeats``), with BLAS
and Numba pinned to one thread, compilation excluded by a warm-up and the cold
compile measured separately in a child process with an empty Numba cache:

1. Fit: architecture 64-32-16-32-64 (ReLU hidden layers), adam, batch 64, exactly
   ``--epochs`` epochs (tol=0, n_iter_no_change > epochs), digits scaled to [0, 1]
   by MinMaxScaler, float32, 25% clean holdout:

   * skdeep ``DenoisingAutoencoder`` (sigmoid output, squared error, Gaussian
     noise 0.2) -- the configuration asked for;
   * the same with ``noise_level=0`` (a plain autoencoder: the same work as
     sklearn's, without the corruption);
   * scikit-learn ``MLPRegressor(hidden_layer_sizes=(32, 16, 32))`` fitted on
     ``(X, X)`` (identity output and a ReLU code layer: it offers no other);
   * PyTorch on the CPU with one thread, same architecture, noise and optimizer,
     when torch is installed (otherwise reported as not measured).

   Next to each time: the reconstruction error ``1/2 ||x - x_hat||^2`` per row on
   the clean holdout.
2. Encoding throughput in rows per second on the holdout tiled to ``--rows`` rows:
   skdeep ``transform`` (the code), skdeep ``inverse_transform(transform(X))``,
   sklearn ``predict`` (its only forward pass: the full reconstruction), a numpy
   forward of sklearn's first two layers (what a user does to get its codes), and
   torch's encoder when installed.

Prints markdown and writes it, with the machine and the command, to ``--out``.

Usage: python benchmarks/bench_autoencoders.py [--repeats 5] [--epochs 100]
    [--rows 100000] [--out benchmarks/RESULTS_autoencoders.md] [--no-write]
"""

import argparse
import os
import sys
import tempfile
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import MinMaxScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _timing as tm

COLD_DAE = """
import time, warnings, numpy as np
t = time.perf_counter()
from skdeep.estimators.autoencoders import DenoisingAutoencoder
X = np.random.RandomState(0).uniform(size=(10, 4)).astype(np.float32)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    m = DenoisingAutoencoder(n_components=2, hidden_layer_sizes=(3,), max_iter=1,
                             out_activation="sigmoid").fit(X)
m.transform(X); m.score_samples(X); m.inverse_transform(m.transform(X))
print(time.perf_counter() - t)
"""

COLD_ALL = """
import time
t = time.perf_counter()
import skdeep
skdeep.precompile(["DenoisingAutoencoder", "SparseAutoencoder",
                   "VariationalAutoencoder", "AdversarialAutoencoder"])
print(time.perf_counter() - t)
"""


def cold_compile(code: str) -> tm.ChildRun:
    """Run ``code`` in a fresh process with an empty Numba cache."""
    with tempfile.TemporaryDirectory() as cache:
        env = tm.child_env(NUMBA_CACHE_DIR=cache, NUMBA_NUM_THREADS="1",
                           OPENBLAS_NUM_THREADS="1")  # fmt: skip
        return tm.run_child(code, env)


def half_sq(X, R) -> float:
    return float(0.5 * np.mean(np.sum((X - R) ** 2, axis=1)))


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchDAE:
    """The same denoising autoencoder in PyTorch (1 thread, float32)."""

    def __init__(self, epochs, noise=0.2, seed=0):
        import torch

        torch.set_num_threads(1)
        torch.manual_seed(seed)
        nn = torch.nn
        self.torch = torch
        self.encoder = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16))
        self.decoder = nn.Sequential(
            nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 64), nn.Sigmoid()
        )
        self.epochs, self.noise = epochs, noise

    def fit(self, X):
        torch = self.torch
        params = [*self.encoder.parameters(), *self.decoder.parameters()]
        opt = torch.optim.Adam(params, lr=1e-3, weight_decay=0.0)
        X = torch.from_numpy(X)
        gen = torch.Generator().manual_seed(0)
        for _ in range(self.epochs):
            order = torch.randperm(X.shape[0], generator=gen)
            for start in range(0, X.shape[0], 64):
                xb = X[order[start : start + 64]]
                noisy = xb + self.noise * torch.randn(xb.shape, generator=gen)
                out = self.decoder(self.encoder(noisy))
                loss = 0.5 * ((out - xb) ** 2).sum(dim=1).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        return self

    def transform(self, X):
        with self.torch.no_grad():
            return self.encoder(self.torch.from_numpy(X)).numpy()

    def reconstruct(self, X):
        with self.torch.no_grad():
            return self.decoder(self.encoder(self.torch.from_numpy(X))).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--out", default=os.path.join(tm.ROOT, "benchmarks", "RESULTS_autoencoders.md")
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()

    info = tm.machine()
    threads = tm.pin_threads(1)
    from skdeep.estimators.autoencoders import DenoisingAutoencoder

    warnings.simplefilter("ignore", ConvergenceWarning)
    out = []
    out.append(f"Numba threads: {threads}; BLAS threads: {tm.blas_threads()}\n")

    if not args.skip_cold:
        dae = cold_compile(COLD_DAE)
        every = cold_compile(COLD_ALL)
        out.append("## Compile (fresh process, empty Numba cache)\n")
        out.append("| what | wall | CPU |")
        out.append("|---|---|---|")
        out.append(f"| import + compile the float32 denoising path (fit, transform, "
                   f"score_samples, inverse_transform) | {float(dae.stdout):.1f} s | "
                   f"{dae.cpu:.1f} s |")  # fmt: skip
        out.append(f"| `precompile()`: all four autoencoders, float32 + float64 | "
                   f"{float(every.stdout):.1f} s | {every.cpu:.1f} s |\n")  # fmt: skip

    X = MinMaxScaler().fit_transform(load_digits().data).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    epochs = args.epochs
    common = dict(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
                  random_state=0, batch_size=64, solver="adam")  # fmt: skip
    models = {}

    def skdeep_fit(noise_level):
        def run():
            models[f"skdeep noise {noise_level}"] = DenoisingAutoencoder(
                n_components=16, hidden_layer_sizes=(32,), activation="relu",
                out_activation="sigmoid", loss="squared_error", noise="gaussian",
                noise_level=noise_level, **common,
            ).fit(X_train)  # fmt: skip

        return run

    def sklearn_fit():
        models["sklearn"] = MLPRegressor(
            hidden_layer_sizes=(32, 16, 32), activation="relu", **common
        ).fit(X_train, X_train)

    runs = {
        "skdeep DenoisingAutoencoder (noise 0.2)": skdeep_fit(0.2),
        "skdeep, noise_level=0": skdeep_fit(0.0),
        "sklearn MLPRegressor on (X, X)": sklearn_fit,
    }
    if torch_available():

        def torch_fit():
            models["torch"] = TorchDAE(epochs).fit(X_train)

        runs["torch (noise 0.2)"] = torch_fit
    fit_times = tm.alternate(runs, repeats=args.repeats, warmup=1)

    recon = {
        "skdeep DenoisingAutoencoder (noise 0.2)": lambda: models[
            "skdeep noise 0.2"
        ].inverse_transform(models["skdeep noise 0.2"].transform(X_test)),
        "skdeep, noise_level=0": lambda: models["skdeep noise 0.0"].inverse_transform(
            models["skdeep noise 0.0"].transform(X_test)
        ),
        "sklearn MLPRegressor on (X, X)": lambda: models["sklearn"].predict(X_test),
        "torch (noise 0.2)": lambda: models["torch"].reconstruct(X_test),
    }
    baseline = half_sq(X_test, np.broadcast_to(X_train.mean(axis=0), X_test.shape))
    sk_median = tm.median(fit_times["sklearn MLPRegressor on (X, X)"])
    out.append(f"## Fit: 64-32-16-32-64, adam, batch 64, {epochs} epochs, float32\n")
    out.append(f"{X_train.shape[0]} training rows; holdout {X_test.shape[0]} rows. "
               "Error = mean over holdout rows of 1/2 ||x - x_hat||^2 on clean input "
               f"(predicting the column mean: {baseline:.3f}).\n")  # fmt: skip
    out.append("| model | fit, median (min-max) | sklearn / this | holdout error |")
    out.append("|---|---|---|---|")
    for name, times in fit_times.items():
        error = half_sq(X_test, recon[name]())
        out.append(f"| {name} | {tm.spread(times)} | "
                   f"{sk_median / tm.median(times):.2f}x | {error:.3f} |")  # fmt: skip
    if "torch (noise 0.2)" not in fit_times:
        out.append("| torch (noise 0.2) | not measured: torch is not installed | | |")

    # Encoding throughput.
    reps = -(-args.rows // X_test.shape[0])
    X_big = np.ascontiguousarray(np.tile(X_test, (reps, 1))[: args.rows])
    dae = models["skdeep noise 0.2"]
    sk = models["sklearn"]
    W1, W2 = sk.coefs_[:2]
    b1, b2 = sk.intercepts_[:2]

    def numpy_codes():
        return np.maximum(np.maximum(X_big @ W1 + b1, 0) @ W2 + b2, 0)

    pred = {
        "skdeep transform (codes)": lambda: dae.transform(X_big),
        "skdeep inverse_transform(transform(X))": lambda: dae.inverse_transform(
            dae.transform(X_big)
        ),
        "sklearn predict (full reconstruction)": lambda: sk.predict(X_big),
        "numpy forward of sklearn's encoder layers": numpy_codes,
    }
    if "torch" in models:
        pred["torch encoder"] = lambda: models["torch"].transform(X_big)
    pred_times = tm.alternate(pred, repeats=args.repeats, warmup=1)
    out.append(f"\n## Encoding throughput, {args.rows} rows x 64 features, float32\n")
    out.append("| method | time, median (min-max) | rows/s |")
    out.append("|---|---|---|")
    for name, times in pred_times.items():
        out.append(f"| {name} | {tm.spread(times)} | "
                   f"{args.rows / tm.median(times):,.0f} |")  # fmt: skip
    if "torch" not in models:
        out.append("| torch encoder | not measured: torch is not installed | |")

    body = "\n".join(out)
    print(body)
    if not args.no_write:
        command = "python benchmarks/bench_autoencoders.py " + " ".join(sys.argv[1:])
        tm.write_results(args.out, "Autoencoders: skdeep against scikit-learn",
                         command.strip(), info, body)  # fmt: skip


if __name__ == "__main__":
    main()
