"""The period of a noisy hourly record is its signal's, not two steps of noise (2026-12-07, eighth session).

An HF radar review: 5 cm/s of noise on hourly currents read a 2-hour period (the two-lag increment ratio, which
white noise pulls towards 1), where the tide and the inertial cycle are 12-20 h; fits with it were worse than with
6 h or the rule's period. Sub-daily records seen over 8 or more successive steps are now read by their temporal
variogram (noise a constant, a slow field a k^2 term).
"""
import numpy as np
import pytest

from geoinr.scales import gridded_period


def _grid(hours, seed=0):
    t = np.arange(hours) / 24.0
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(20.0), np.arange(20.0), t, indexing="ij"))
    return lon, lat, tt, lon * 0.7 + lat * 0.3, np.random.default_rng(seed)


@pytest.mark.parametrize("hours,period_h,noise", [(h, p, n) for h in (48, 240) for p, n in (
    (24.0, 0.0), (24.0, 1.0), (12.42, 0.5), (20.0, 0.7))] + [(240, 62.8, 0.0)])
def test_a_noisy_cycle_reads_its_own_half_period(hours, period_h, noise):
    lon, lat, t, phase, rng = _grid(hours)
    values = np.cos(2 * np.pi * t * 24.0 / period_h + phase) + noise * rng.standard_normal(lon.size)
    assert gridded_period(lon, lat, t, values) * 24.0 == pytest.approx(period_h / 2.0, rel=0.05)


def test_noise_a_static_field_or_a_slow_one_tell_no_period():
    lon, lat, t, phase, rng = _grid(48)
    assert gridded_period(lon, lat, t, np.cos(2 * np.pi * t * 24 / 62.8 + phase)) is None  # half a period > half a run
    lon, lat, t, phase, rng = _grid(72)
    assert gridded_period(lon, lat, t, rng.standard_normal(lon.size)) is None
    assert gridded_period(lon, lat, t, phase + 0.1 * rng.standard_normal(lon.size)) is None
    assert gridded_period(lon, lat, t, np.cos(2 * np.pi * t / 10.0 + phase)) is None  # a 10-day eddy at hourly steps


def test_a_tide_under_a_slow_field_is_found_where_it_turns_the_variogram_down():
    """A tide of half the slow field's amplitude is found; one of a tenth leaves the variogram rising over the lags
    (no turn down): the rule's period then, as for red noise."""
    lon, lat, t, phase, rng = _grid(72)
    slow = 2 * np.cos(2 * np.pi * t / 10 + phase) + 0.3 * rng.standard_normal(lon.size)
    tide = np.cos(2 * np.pi * t * 24 / 12.42 + phase)
    assert gridded_period(lon, lat, t, slow + tide) * 24.0 == pytest.approx(6.21, rel=0.05)
    assert gridded_period(lon, lat, t, slow + 0.2 * tide) is None


def _red(hours, tau_days, step_h=1.0, seed=0):
    """A damped random walk per cell (exponential covariance, decorrelation ``tau_days``), no oscillation."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours) * step_h / 24.0
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(20.0), np.arange(20.0), t, indexing="ij"))
    a = np.exp(-step_h / 24.0 / tau_days)
    x = np.zeros((400, hours))
    x[:, 0] = rng.standard_normal(400)
    for k in range(1, hours):
        x[:, k] = a * x[:, k - 1] + np.sqrt(1 - a * a) * rng.standard_normal(400)
    return lon, lat, tt, x.ravel()


@pytest.mark.parametrize("tau_days,step_h", [(0.5, 1.0), (2.0, 1.0), (10.0, 1.0), (5.0, 0.5), (5.0, 3.0)])
def test_red_noise_tells_no_period(tau_days, step_h):
    """A second diff review: a damped random walk read a period of about 13 steps at any step (a cosine of a
    quarter of the lags fitted its rising, levelling variogram)."""
    assert gridded_period(*_red(72, tau_days, step_h)) is None


def test_missing_hours_cost_their_own_pairs():
    """Half the hours of each cell missing (rows dropped, as a fit's sample has them): pairs k steps apart were
    matched by row offset and too few remained, so the two-lag estimate read noise as 2 h again."""
    lon, lat, t, phase, rng = _grid(72)
    values = np.cos(2 * np.pi * t * 24 / 12.42 + phase) + 0.7 * rng.standard_normal(lon.size)
    keep = rng.random(lon.size) > 0.5
    assert gridded_period(lon[keep], lat[keep], t[keep], values[keep]) * 24 == pytest.approx(6.21, rel=0.05)


def test_stations_keep_their_noise_guard():
    """A second diff review: a few hourly gauges of white noise read 2 h through the variogram (too few series
    for it), where the stations' guard had said no period."""
    for seed in range(10):
        rng = np.random.default_rng(seed)
        lon, lat, t = np.repeat([0.0, 1.0], 100), np.zeros(200), np.tile(np.arange(100) / 24.0, 2)
        assert gridded_period(lon, lat, t, rng.standard_normal(200), noise_guard=True) is None


def test_a_cycle_whose_variogram_peaks_again_late_is_found():
    """A third diff review: a 19 h cycle (the inertial period at 39 N) over 96 hours gave None, its variogram's
    largest value falling on a late lag; the turn is looked for after every peak."""
    t = np.arange(96) / 24.0
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(10.0), np.arange(10.0), t, indexing="ij"))
    values = np.cos(2 * np.pi * tt * 24 / 19.0 + 0.7 * lon + 0.3 * lat)
    assert gridded_period(lon, lat, tt, values) * 24 == pytest.approx(9.5, rel=0.05)


@pytest.mark.parametrize("hours,phi", [(24, 0.9), (36, 0.9), (48, 0.97)])
def test_short_records_of_red_noise_tell_no_period(hours, phi):
    """A third diff review: short records' variograms bend down near their length (lags now reach half a run)."""
    for seed in range(6):
        rng = np.random.default_rng(seed)
        x = np.zeros((100, hours))
        x[:, 0] = rng.standard_normal(100)
        for k in range(1, hours):
            x[:, k] = phi * x[:, k - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(100)
        lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(10.0), np.arange(10.0), np.arange(hours) / 24.0,
                                                       indexing="ij"))
        assert gridded_period(lon, lat, tt, x.ravel()) is None


def test_a_short_noisy_hourly_grid_is_not_two_steps():
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(3.0), np.arange(3.0), np.arange(12) / 24.0, indexing="ij"))
    assert gridded_period(lon, lat, tt, np.random.default_rng(0).standard_normal(lon.size)) is None


def test_the_cells_read_of_a_large_grid_are_a_share_of_them():
    """On 1 deg grids the cells' hash had its low bits zero: every cell was kept (1.6 million values read)."""
    import geoinr.scales as scales

    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(0.0, 100.0), np.arange(0.0, 40.0), np.arange(100) / 24.0,
                                                   indexing="ij"))
    seen = []
    real = scales._variogram_period
    try:
        scales._variogram_period = lambda same, t, y, dt: seen.append(len(t)) or None
        scales.gridded_period(lon, lat, tt, np.cos(2 * np.pi * tt))
    finally:
        scales._variogram_period = real
    assert seen and seen[0] < 0.75 * lon.size


def test_daily_records_keep_the_two_lag_estimate():
    """Daily records (DUACS maps) are read as they were measured: the variogram is for sub-daily steps."""
    lon, lat, tt = (a.ravel() for a in np.meshgrid(np.arange(10.0), np.arange(10.0), np.arange(30.0), indexing="ij"))
    noisy = np.random.default_rng(1).standard_normal(lon.size)
    assert gridded_period(lon, lat, tt, noisy) == pytest.approx(2.0, rel=0.2)  # (noise: two steps, as before)
