"""Physical constants, SI units."""
from ..geometry import DEG, EARTH_RADIUS_M  # noqa: F401  (m, rad/degree; the one Earth radius)

OMEGA = 7.2921159e-5  # rad/s, Earth's rotation rate (sidereal)
GRAVITY = 9.80665  # m/s^2, standard gravity
SECONDS_PER_DAY = 86_400.0  # s
# A single first baroclinic gravity-wave speed, tropical to subtropical (Chelton et al. 1998,
# "Geographical variability of the first baroclinic Rossby radius of deformation", JPO).
# No longer the default of the QG residual or of derive("pv"): those take c1(lat) and the radius
# of each latitude from geoinr.physics.rossby. Kept for code that imports it.
BAROCLINIC_WAVE_SPEED = 2.8  # m/s
