"""Topology richness ||Gamma|| against task nonlinearity (SPARCS poster, Fig. 6).

SpectralNASRegressor with its default ``eigenvalue_l1`` (maximum widths
(16, 16)) on ``make_nonlinearity_regression`` tasks, in two settings: the search
alone (``node_l1=0``: the topology the spectral search switches on, what the
poster plots) and the full defaults (search, then compaction). ||Gamma|| is the
authors' richness, the norm of the weights of every input-to-output path through
hidden nodes (``topology_richness_``). Tasks: nonlinearity alpha in 5 levels
from linear to nonlinear, abruptness beta in {2, 5, 10}, 6 seeds by default
(data and initialization). Reports the mean ||Gamma|| per level and its
standard error over the seeds.

Targets: ||Gamma|| non-decreasing in alpha within one standard error (each step
down by less than the standard error of the difference), and at alpha = 0 at
most 10 % of its value at alpha = 1.
"""

import argparse
import warnings

import numpy as np
from _report import markdown_table, nondecreasing_within_error, timed, write_section
from sklearn.exceptions import ConvergenceWarning

from sklearn_spectral import SpectralNASRegressor
from sklearn_spectral.datasets import make_nonlinearity_regression

ALPHAS = (0.0, 0.25, 0.5, 0.75, 1.0)
SETTINGS = {"search (node_l1=0)": {"node_l1": 0.0}, "defaults (+ compaction)": {}}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--betas", default="2,5,10")
    parser.add_argument("--max-frequency", type=float, default=1.5)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rows, verdicts, seconds = [], [], []
    for setting, params in SETTINGS.items():
        for beta in [float(b) for b in args.betas.split(",")]:
            means, errors, r2s = [], [], []
            for alpha in ALPHAS:
                gammas, scores = [], []
                for seed in range(args.seeds):
                    X, y = make_nonlinearity_regression(
                        1000,
                        alpha=alpha,
                        beta=beta,
                        max_frequency=args.max_frequency,
                        random_state=seed,
                    )
                    model = SpectralNASRegressor(
                        (16, 16), random_state=seed, device="cpu", **params
                    )
                    _, fit_time = timed(model.fit, X, y)
                    seconds.append(fit_time)
                    gammas.append(model.topology_richness_)
                    scores.append(model.score(X, y))
                means.append(np.mean(gammas))
                errors.append(np.std(gammas, ddof=1) / np.sqrt(len(gammas)))
                r2s.append(np.mean(scores))
                rows.append(
                    [
                        setting,
                        f"{beta:g}",
                        f"{alpha:g}",
                        f"{np.mean(gammas):.3f}",
                        f"{errors[-1]:.3f}",
                        f"{np.mean(scores):.3f}",
                    ]
                )
            pairs = list(zip(means, means[1:], strict=False))
            nondecreasing = nondecreasing_within_error(means, errors)
            strict = all(b > a for a, b in pairs)
            linear_end = means[0] <= 0.1 * means[-1]
            verdicts.append(
                f"- {setting}, beta = {beta:g}: ||Gamma|| "
                f"{', '.join(f'{m:.3f}' for m in means)}; "
                f"non-decreasing within one standard error: "
                f"{'yes' if nondecreasing else 'NO'}, strictly "
                f"increasing: {'yes' if strict else 'no'}; alpha = 0 at "
                f"{means[0] / means[-1]:.1%} of alpha = 1 "
                f"({'≤' if linear_end else '>'} 10 %)."
            )
    body = (
        "SpectralNASRegressor, default eigenvalue_l1, maximum widths (16, 16), "
        "1,000 rows per task "
        f"(max_frequency {args.max_frequency:g}), "
        f"{args.seeds} seeds; median fit {np.median(seconds):.2f} s.\n\n"
        + markdown_table(
            ["setting", "beta", "alpha", "mean ||Gamma||", "s.e.", "train R²"], rows
        )
        + "\n\n"
        + "\n".join(verdicts)
    )
    write_section(
        "nas_richness", "SpectralNAS: topology richness vs nonlinearity", body
    )


if __name__ == "__main__":
    main()
