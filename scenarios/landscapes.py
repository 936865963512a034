"""Analytic 2-D objectives and their exact gradients, side by side so one can be checked against the other.

Every function takes ``xy`` of shape ``(..., 2)`` (leading axes are independent points) and returns the
value, shape ``(...)``, or the gradient, shape ``(..., 2)``.
"""

from __future__ import annotations

import numpy as np

# -- the tutorial's bowl: f = x² + y² ----------------------------------------------------------------


def bowl(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return x * x + y * y


def bowl_grad(xy: np.ndarray) -> np.ndarray:
    return 2.0 * xy


# -- a ravine: an ill-conditioned quadratic, optionally rotated ---------------------------------------
# f = ½ (λ₁ u² + λ₂ v²) with (u, v) = R(θ)ᵀ (x, y). Axis-aligned (θ = 0), a per-coordinate step size such
# as RProp's or RMSProp's can undo the bad conditioning; rotated by 45°, the curvature is no longer
# aligned with the coordinates and that diagonal preconditioning no longer helps.

RAVINE_CURVATURES = (0.2, 10.0)  # λ₁, λ₂: condition number 50


def quadratic(hessian: np.ndarray):
    """``f = ½ xyᵀ H xy`` and its gradient ``H xy`` for a symmetric 2 × 2 ``hessian``."""
    h = np.asarray(hessian, dtype=float)

    def f(xy: np.ndarray) -> np.ndarray:
        x, y = xy[..., 0], xy[..., 1]
        return 0.5 * (h[0, 0] * x * x + 2.0 * h[0, 1] * x * y + h[1, 1] * y * y)

    def grad(xy: np.ndarray) -> np.ndarray:
        return xy @ h

    return f, grad


def ravine_hessian(angle_degrees: float) -> np.ndarray:
    t = np.deg2rad(angle_degrees)
    rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return rotation @ np.diag(RAVINE_CURVATURES) @ rotation.T


# -- Rosenbrock's banana: f = (1 − x)² + 100 (y − x²)², minimum at (1, 1) --------------------------------


def rosenbrock(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    r = y - x * x
    return np.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], axis=-1)


# -- Himmelblau: f = (x² + y − 11)² + (x + y² − 7)², four minima with f = 0 -----------------------------


def himmelblau(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    a, b = x * x + y - 11.0, x + y * y - 7.0
    return np.stack([4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b], axis=-1)


# -- Rastrigin: f = 20 + Σ (xᵢ² − 10 cos 2πxᵢ), a global minimum at 0 inside a lattice of local ones -------


def rastrigin(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return 20.0 + x * x - 10.0 * np.cos(2.0 * np.pi * x) + y * y - 10.0 * np.cos(2.0 * np.pi * y)


def rastrigin_grad(xy: np.ndarray) -> np.ndarray:
    return 2.0 * xy + 20.0 * np.pi * np.sin(2.0 * np.pi * xy)


# -- a saddle with two valleys: f = x² + y⁴/4 − y²/2 --------------------------------------------------
# A saddle point at the origin and minima at (0, ±1) with f = −¼. Near y = 0 the gradient along y is
# tiny, so methods that use its magnitude crawl off the ridge; sign-based methods do not care.


def saddle(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return x * x + 0.25 * y**4 - 0.5 * y * y


def saddle_grad(xy: np.ndarray) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    return np.stack([2.0 * x, y**3 - y], axis=-1)


def newton_minimum(grad, start: tuple[float, float], h: float = 1e-6, iterations: int = 50) -> tuple[float, float]:
    """Polish a minimum given approximately: Newton's method on the gradient with a finite-difference
    Hessian. Used once at import, so the catalogue's minima have zero gradient to machine precision."""
    p = np.asarray(start, dtype=float)
    for _ in range(iterations):
        g = grad(p)
        hess = np.stack([(grad(p + h * e) - grad(p - h * e)) / (2 * h) for e in np.eye(2)], axis=-1)
        p = p - np.linalg.solve(hess, g)
    return float(p[0]), float(p[1])
