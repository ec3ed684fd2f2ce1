"""Physics: differential operators on the sphere in physical units, derived fields, the QG residual.

Submodules: :mod:`.operators` (autograd operators), :mod:`.qg` (the QG residual on tangent planes),
:mod:`.jets` (its derivatives carried forward through a SIREN: the fast path), :mod:`.rossby`
(the first baroclinic deformation radius as a function of latitude).
"""
from .constants import BAROCLINIC_WAVE_SPEED, EARTH_RADIUS_M, GRAVITY, OMEGA
from .operators import beta, coriolis, derivatives, jacobian
from .rossby import baroclinic_wave_speed, rossby_radius_km

__all__ = [
    "derivatives",
    "coriolis",
    "beta",
    "jacobian",
    "EARTH_RADIUS_M",
    "OMEGA",
    "GRAVITY",
    "BAROCLINIC_WAVE_SPEED",
    "rossby_radius_km",
    "baroclinic_wave_speed",
]
