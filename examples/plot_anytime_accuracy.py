"""
===================================================
Anytime accuracy: TINY growth against random growth
===================================================

A growing network is usable at every moment of its growth. This example
follows the test accuracy of ``GrowingMLPClassifier`` on ``load_digits``
against its parameter count, growth step after growth step (``warm_start``
continues the same network for ``grow_every`` epochs at a time), beside

* random growth: the same number of neurons added at the same moments, with
  random fan-in and zero fan-out (the usual way to widen a layer without
  changing its function), trained with the same optimizer;
* a fixed ``MLPClassifier`` of the final width, after the same number of
  epochs.

TINY's neurons are chosen to fix what the network cannot express, so each
step buys more accuracy per parameter.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from torch.nn import functional as F

from sklearn_spectral import GrowingMLPClassifier
from sklearn_spectral.nn import GrowingMLP

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
warnings.simplefilter("ignore", ConvergenceWarning)


def n_parameters(widths):
    sizes = [64, *widths, 10]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


# TINY: three epochs at a time, growing at the end of each chunk.
tiny = GrowingMLPClassifier(random_state=0, device="cpu", max_iter=3, warm_start=True)
tiny_curve, schedule = [], []
for _ in range(12):
    before = tiny.hidden_layer_sizes_[0] if hasattr(tiny, "module_") else 1
    tiny.fit(X_train, y_train)
    schedule.append(tiny.hidden_layer_sizes_[0] - before)
    tiny_curve.append(
        (n_parameters(tiny.hidden_layer_sizes_), tiny.score(X_test, y_test))
    )

# Random growth on the same schedule, same optimizer settings.
gen = torch.Generator().manual_seed(0)
net = GrowingMLP([64, 1, 10], generator=gen)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
Xt, yt = torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train)
random_curve = []
for added in schedule:
    for _ in range(3):
        order = torch.randperm(len(Xt), generator=gen)
        for start in range(0, len(Xt), 200):
            idx = order[start : start + 200]
            opt.zero_grad()
            F.cross_entropy(net(Xt[idx]), yt[idx]).backward()
            opt.step()
    if added:
        fan_in = torch.randn(added, 65, generator=gen) / 8
        net.grow(0, fan_in, torch.zeros(10, added), optimizer=opt)
    with torch.no_grad():
        logits = net(torch.tensor(X_test, dtype=torch.float32))
    accuracy = float((logits.argmax(1).numpy() == y_test).mean())
    random_curve.append((n_parameters(net.hidden_sizes), accuracy))

fixed = MLPClassifier(
    (tiny.hidden_layer_sizes_[0],), max_iter=tiny.n_iter_, random_state=0
).fit(X_train, y_train)
for (p_t, a_t), (p_r, a_r) in zip(tiny_curve, random_curve, strict=True):
    print(f"TINY {p_t:6d} params: {a_t:.3f}   random growth {p_r:6d} params: {a_r:.3f}")
print(
    f"fixed MLP of the final width after {tiny.n_iter_} epochs: "
    f"{fixed.score(X_test, y_test):.3f}"
)

fig, ax = plt.subplots()
ax.plot(*np.array(tiny_curve).T, "o-", label="GrowingMLPClassifier (TINY)")
ax.plot(*np.array(random_curve).T, "s--", label="random growth, same schedule")
ax.axhline(
    fixed.score(X_test, y_test),
    color="gray",
    ls=":",
    label="fixed MLP of the final width",
)
ax.set_xlabel("parameters")
ax.set_ylabel("test accuracy")
ax.set_title("Anytime accuracy during growth (load_digits)")
ax.legend()
plt.show()
