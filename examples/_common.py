"""Shared command line of the examples: ``--fast`` for CI, ``--out`` for figures."""

import argparse
import os


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--fast", action="store_true", help="few epochs, for CI")
    parser.add_argument(
        "--out",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "figures"),
        help="folder for the PNG figures (default: examples/figures)",
    )
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    return args
