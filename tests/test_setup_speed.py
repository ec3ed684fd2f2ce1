"""The setup's faster paths give the answers of the slower ones (2026-12-07, eighth session).

A fit of 2 million scattered points spent ~8 s before training (``benchmarks/setup_time.py``): the sampling gap
measured twice over every point (the warning for sparse records, then the scales' rule), a balanced k-d tree, three
hash tables for the repeats' check and a sort of every longitude. Each faster path must give the same answer.
"""
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from geoinr import coords, scales
from geoinr.observations import _repeated_rows


def _span_by_sorting(lon):
    """longitude_span as it was: the gaps between the sorted unique longitudes."""
    lon = np.unique(coords.wrap_longitude(np.asarray(lon, float).ravel()))
    if lon.size == 1:
        return float(lon[0]), float(lon[0])
    gaps = np.diff(np.concatenate([lon, [lon[0] + 360.0]]))
    i = int(np.argmax(gaps))
    if gaps[i] <= 10.0:
        return -180.0, 180.0
    west, east = lon[(i + 1) % lon.size], lon[i]
    return float(west), float(east + 360.0 if east < west else east)


@pytest.mark.parametrize("kind", ["anywhere", "across the dateline", "whole degrees", "two boxes", "one value",
                                  "regular with edges", "a narrow band"])
def test_binned_longitude_span_is_the_sorted_one(kind):
    rng = np.random.default_rng(len(kind))
    for _ in range(20):
        n = int(rng.integers(1, 4000))
        lon = {
            "anywhere": lambda: rng.uniform(-400, 400, n),
            "across the dateline": lambda: rng.uniform(170, 200, n),
            "whole degrees": lambda: np.round(rng.uniform(0, 360, n)),
            "two boxes": lambda: np.concatenate([rng.uniform(10, 20, n), rng.uniform(300, 320, n)]),
            "one value": lambda: np.full(n, rng.uniform(-180, 180)),
            "regular with edges": lambda: np.concatenate([np.arange(0.0, 360.0, int(rng.integers(5, 40))),
                                                         [179.99999999999997, -180.0, 180.0]]),
            "a narrow band": lambda: rng.uniform(-0.3, 0.2, n),
        }[kind]()
        assert coords._longitude_span_binned(coords.wrap_longitude(lon)) == _span_by_sorting(lon)


def test_a_large_record_takes_the_binned_path_with_the_same_span():
    lon = np.random.default_rng(0).uniform(175.0, 195.0, coords.SPAN_SORT_MAX + 1)
    lon[:100] = np.nan
    assert coords.longitude_span(lon) == _span_by_sorting(lon[np.isfinite(lon)])


def test_repeated_rows_are_pandas_duplicates():
    rng = np.random.default_rng(0)
    c = np.round(rng.uniform(0, 3, (5000, 3)), 1)  # many exact repeats
    c[:50, 0] = -0.0
    c[50:100, 0] = 0.0
    expected = pd.DataFrame(c + 0.0).duplicated(keep=False).to_numpy()
    got = _repeated_rows(c)
    assert got.any() and not got.all()
    np.testing.assert_array_equal(got, expected)
    two = np.column_stack([np.arange(10.0), np.zeros(10)])
    assert not _repeated_rows(two).any()
    assert not _repeated_rows(np.empty((0, 3))).any()


def test_rows_whose_keys_collide_are_compared_exactly(monkeypatch):
    """Every row hashed alike (a multiplier of 0 keeps the last column's bits): still only true repeats."""
    import geoinr.observations as obs

    monkeypatch.setattr(obs, "_ROW_HASH_MULTIPLIER", np.uint64(0))
    c = np.column_stack([np.arange(6.0), np.ones(6)])  # one key for every row, no repeated row
    c[5] = c[0]
    assert obs._repeated_rows(c).tolist() == [True, False, False, False, False, True]


def test_the_sampling_gap_is_measured_once_and_remembered_by_content():
    rng = np.random.default_rng(3)
    lon, lat, t = rng.uniform(0, 10, 20_000), rng.uniform(30, 40, 20_000), rng.uniform(0, 10, 20_000)
    scales._GAP_MEMO.clear()
    across = scales.sampling_gap_km(lon, lat, t, across_passes=True)
    near = scales.sampling_gap_km(lon, lat, t)
    assert len(scales._GAP_MEMO) == 2  # the near gap kept by the first call, found by the second
    assert scales.default_scales(lon, lat, t)[0] == scales.GAP_TO_WAVELENGTH * near
    # measured again from nothing: the same gaps, in either order
    scales._GAP_MEMO.clear()
    assert scales.sampling_gap_km(lon, lat, t) == near
    assert scales.sampling_gap_km(lon, lat, t, across_passes=True) == across
    # other points or options are measured anew, never taken from the memo
    lat2 = lat.copy()
    lat2[:10_000] += 0.5
    assert scales.sampling_gap_km(lon, lat2, t) != near
    assert scales.sampling_gap_km(lon, lat, t, speed=50.0) != near
    assert scales.sampling_gap_km(lon, lat, None) != near


def test_an_unbalanced_tree_finds_the_same_nearest_distances():
    rng = np.random.default_rng(4)
    pts, probes = rng.uniform(0, 100, (30_000, 4)), rng.uniform(0, 100, (2_000, 4))
    balanced = cKDTree(pts).query(probes, k=1)[0]
    quick = cKDTree(pts, balanced_tree=False, compact_nodes=False).query(probes, k=1)[0]
    np.testing.assert_array_equal(balanced, quick)


def test_the_memo_keeps_a_few_gaps():
    rng = np.random.default_rng(5)
    scales._GAP_MEMO.clear()
    for k in range(3 * scales._GAP_MEMO_SIZE):
        scales.sampling_gap_km(rng.uniform(0, 1 + k, 500), rng.uniform(0, 1, 500))
    assert len(scales._GAP_MEMO) == scales._GAP_MEMO_SIZE
