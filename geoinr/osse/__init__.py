"""Observing-system simulation experiments (OSSE): a simulated ocean, simulated altimeters.

Build a twin experiment in a notebook, without the scripts of ``data_recipes/``::

    import geoinr.osse as osse
    truth = osse.simulate(**osse.QUICK)                        # 1.5-layer QG ocean, daily SSH
    tracks = osse.sample_along_track(truth.ssh, missions=["jason3", "s3a"], white_noise=0.01)

- :mod:`geoinr.osse.orbits`: the missions table (:data:`MISSIONS`, :func:`mission`) and
  the ground track of a circular orbit (:func:`ground_track`, :func:`subsatellite_point`).
- :mod:`geoinr.osse.along_track`: :func:`sample_along_track`, a gridded field sampled along
  those tracks in the CMEMS L3 layout, with white and AR(1) noise and SWOT-like swaths.
- :mod:`geoinr.osse.qg`: the pseudo-spectral 1.5-layer QG model (:class:`QGModel`) and
  :func:`simulate`, the forced-dissipative run that makes the OSSE truth.

Numpy, scipy and xarray only (no torch). ``geoinr.datasets`` builds on it; nothing
below it (coords, observations, the mappers, physics) imports it.
"""
from .along_track import sample_along_track
from .orbits import (
    ALIASES,
    EARTH_ROTATION,
    MISSIONS,
    REFERENCE_EPOCH,
    Mission,
    ground_track,
    j2_nodal_period,
    j2_precession,
    mission,
    subsatellite_point,
)
from .qg import G_QG_SIMULATION, QUICK, QGModel, beta_plane, simulate

__all__ = [
    "Mission",
    "MISSIONS",
    "ALIASES",
    "REFERENCE_EPOCH",
    "EARTH_ROTATION",
    "mission",
    "ground_track",
    "subsatellite_point",
    "j2_precession",
    "j2_nodal_period",
    "sample_along_track",
    "QGModel",
    "simulate",
    "beta_plane",
    "QUICK",
    "G_QG_SIMULATION",
]
