"""PyTorch's side of the classifier benchmarks: Adam on mini-batches of shuffled rows
(torch is imported here only, so the benchmarks run without it when told to)."""

import numpy as np


def train_classifier(model, X, y, epochs: int, batch: int, lr: float = 1e-3,
                     min_rows: int = 1):  # fmt: skip
    """Train ``model`` with Adam and cross-entropy, ``epochs`` passes of shuffled
    batches of ``batch`` rows; batches of fewer than ``min_rows`` rows are skipped
    (``BatchNorm1d`` cannot train on one row). Returns the model."""
    import torch
    import torch.nn.functional as F

    opt = torch.optim.Adam(model.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    n = len(X)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            if len(rows) < min_rows:
                continue
            opt.zero_grad()
            F.cross_entropy(model(Xt[rows]), yt[rows]).backward()
            opt.step()
    return model


def accuracy(model, X, y) -> float:
    """Held-out accuracy of a trained classifier, in inference mode."""
    import torch

    model.eval()
    with torch.no_grad():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())
