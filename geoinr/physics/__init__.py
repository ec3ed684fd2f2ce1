"""Physics: differential operators on the sphere in physical units, derived fields, the QG residual.

Submodules: :mod:`.operators` (autograd operators), :mod:`.qg` (beta-plane QG residual),
:mod:`.jets` (its derivatives carried forward through a SIREN: the fast path).
"""
from .constants import BAROCLINIC_WAVE_SPEED, EARTH_RADIUS_M, GRAVITY, OMEGA
from .operators import beta, coriolis, derivatives, jacobian

__all__ = [
    "derivatives",
    "coriolis",
    "beta",
    "jacobian",
    "EARTH_RADIUS_M",
    "OMEGA",
    "GRAVITY",
    "BAROCLINIC_WAVE_SPEED",
]
