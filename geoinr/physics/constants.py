"""Physical constants, SI units."""
from ..geometry import DEG, EARTH_RADIUS_M  # noqa: F401  (m, rad/degree; the one Earth radius)

OMEGA = 7.2921159e-5  # rad/s, Earth's rotation rate (sidereal)
GRAVITY = 9.80665  # m/s^2, standard gravity
SECONDS_PER_DAY = 86_400.0  # s
# First baroclinic gravity-wave speed typical of the mid-latitude ocean (Chelton et al. 1998,
# "Geographical variability of the first baroclinic Rossby radius of deformation", JPO):
# Ld = c1 / |f| gives ~30 km at 40N and ~50 km at 25N.
BAROCLINIC_WAVE_SPEED = 2.8  # m/s
