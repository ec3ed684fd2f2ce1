"""Physical constants, SI units."""
# the Earth's radius (m), radians per degree, rotation rate (rad/s) and day (s): one value each, in geoinr.geometry
from ..geometry import DEG, EARTH_RADIUS_M, OMEGA, SECONDS_PER_DAY  # noqa: F401

GRAVITY = 9.80665  # m/s^2, standard gravity
# A single first baroclinic gravity-wave speed, tropical to subtropical (Chelton et al. 1998,
# "Geographical variability of the first baroclinic Rossby radius of deformation", JPO).
# No longer the default of the QG residual or of derive("pv"): those take c1(lat) and the radius
# of each latitude from geoinr.physics.rossby. Kept for code that imports it.
BAROCLINIC_WAVE_SPEED = 2.8  # m/s
