"""A review of every error and warning message: advice that works where it is given, geoinr's own warning class,
wrong types as TypeError, and plain messages where numpy's or pandas' reached users."""
import warnings

import numpy as np
import pytest

import geoinr

SMALL = dict(width=8, depth=1, epochs=1, max_time=None, progress=False)


@pytest.fixture(scope="module")
def fitted():
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    return geoinr.INRModel(**SMALL).fit(tracks, "sla"), tracks


def _messages(call):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [w for w in seen if issubclass(w.category, geoinr.GeoinrWarning)]


def test_outside_advice_fits_the_method(fitted):
    """scores() and sample() take no outside=, which their warnings recommended."""
    model, tracks = fitted
    uncertain = geoinr.INRModel(uncertainty="bayes_last_layer", **SMALL).fit(tracks, "sla")
    far = tracks.assign_coords({geoinr.coords.find_coords(tracks).lon: tracks[geoinr.coords.find_coords(tracks).lon] + 40})
    said = " ".join(str(w.message) for w in _messages(lambda: model.scores(far)))
    assert "outside=" not in said
    assert "select the test data inside the fitted region" in said
    grid = model.target_grid(2.0, region=(40.0, 50.0, 30.0, 40.0))
    said = " ".join(str(w.message) for w in _messages(lambda: uncertain.sample(grid, n=2)))
    assert "outside=" not in said and "select the target inside the fitted region" in said
    said = " ".join(str(w.message) for w in _messages(lambda: model.predict(grid)))
    assert "outside='nan'" in said


def test_geoinr_warning_class_filters_geoinr_only(fitted):
    model, _ = fitted
    grid = model.target_grid(2.0, region=(40.0, 50.0, 30.0, 40.0))
    seen = _messages(lambda: model.predict(grid))
    assert seen and all(w.category is geoinr.GeoinrWarning for w in seen)
    assert seen[0].filename == __file__  # still the user's line
    with warnings.catch_warnings(record=True) as left:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=geoinr.GeoinrWarning)
        model.predict(grid)
    assert not left
    assert issubclass(geoinr.GeoinrRuntimeWarning, RuntimeWarning)


def test_accessor_keywords_and_land_hints():
    ds = geoinr.datasets.synthetic_grid(days=2, resolution=2.0)
    with pytest.raises(TypeError, match="Did you mean 'outside'.*It takes target, land, chunks, area, outside"):
        ds.sla.inr.regrid(1.0, outsde="nan")
    with pytest.raises(TypeError, match=r"da.inr.fit\(\) takes no variable name \('sla'\)"):
        ds.sla.inr.fit("sla")
    with pytest.raises(ValueError) as err:
        ds.inr.fill_gaps(land="sea")  # a Dataset: no "A DataArray's fill_gaps takes no variable name"
    assert "DataArray" not in str(err.value)
    with pytest.raises(ValueError, match="Did you mean 'auto'"):
        ds.inr.fill_gaps(land="Auto")
    with pytest.raises(ValueError, match=r"ds.inr.regrid\(target, 'sla', ...\)"):
        ds.sla.inr.regrid(1.0, "sla")
    with pytest.raises(TypeError) as err:
        ds.inr.fit("sla", region=3)
    assert "precision" not in str(err.value).split("It takes")[0]  # no far-fetched "Did you mean"


def test_dict_without_the_named_variable():
    with pytest.raises(ValueError, match=r"Variable 'sla' is not in the observation dict; entries: \['lon', 'lat', "
                                         r"'time'\]"):
        geoinr.INRModel().fit({"lon": np.zeros(3), "lat": np.zeros(3), "time": np.zeros(3)}, "sla")


def test_plain_messages_for_raw_errors(fitted):
    model, tracks = fitted
    with pytest.raises(ValueError, match=r"do not fit together \(lon \(3,\), lat \(2,\)"):
        model.predict({"lon": [1.0, 2.0, 3.0], "lat": [31.0, 32.0], "time": np.datetime64("2020-01-02")})
    with pytest.raises(ValueError, match="times='tomorrow' are not dates"):
        model.target_grid(1.0, times="tomorrow")
    with pytest.raises(TypeError, match="fitted on dates, so times are dates too"):
        model.target_grid(1.0, times=5)
    with pytest.raises(ValueError) as err:
        model.target_grid(1.0, time_step="xx")
    assert str(err.value).count("Invalid frequency") == 1
    with pytest.raises(geoinr.model.params.InvalidParameterError) as err:
        geoinr.INRModel(width="64").fit(tracks, "sla")
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)
    with pytest.raises(AttributeError, match="Did you mean 'INRModel'"):
        geoinr.INRmodel  # noqa: B018


def test_all_missing_times_and_longitudes():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    names = geoinr.coords.find_coords(tracks)
    no_time = tracks.assign_coords({names.time: tracks[names.time].copy(data=np.full(tracks[names.time].shape,
                                                                                      np.datetime64("NaT", "ns")))})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's "All-NaN slice" reached users
        with pytest.raises(ValueError, match=r"Every time of the data is missing \(NaT\)"):
            geoinr.INRModel(**SMALL).fit(no_time, "sla")
    no_lon = tracks.assign_coords({names.lon: tracks[names.lon] * np.nan})
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ValueError):
            geoinr.INRModel(**SMALL).fit(no_lon, "sla")
    assert not [w for w in seen if "All-NaN" in str(w.message)]
    said = [str(w.message) for w in seen if "missing (NaN/inf) coordinates" in str(w.message)]
    assert said and f"np.isfinite(ds[{names.lon!r}])" in said[0]  # the data's own name, not ds.lat


def test_plot_time_words_and_far_times():
    import matplotlib

    matplotlib.use("Agg")
    from geoinr.plot import plot_maps

    grid = geoinr.datasets.synthetic_grid(days=3, resolution=2.0)
    with pytest.raises(ValueError, match="time='yesterday' is not on the time axis"):
        plot_maps(grid.sla, grid.sla, time="yesterday")
    with pytest.warns(geoinr.GeoinrWarning, match="lies outside the times of .* the map shown is the nearest"):
        plot_maps(grid.sla, grid.sla, time="2025-06-01")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*lies outside the times.*")
        plot_maps(grid.sla, grid.sla, time="2020-01-02")
    import matplotlib.pyplot as plt

    plt.close("all")


def test_baseline_changed_params_message():
    tracks = geoinr.datasets.synthetic_tracks(days=2, seed=0)
    oi = geoinr.baselines.OptimalInterpolation(noise=0.05).fit(tracks, "sla")
    oi.set_params(noise=0.5)
    with pytest.raises(ValueError, match=r"call fit\(...\) again for them to take effect, or set them back: "
                                         r"set_params\(noise=0.05\)"):
        oi.predict(oi.target_grid(2.0))


def test_resume_of_another_fit_names_what_differs_with_values(tmp_path):
    tracks = geoinr.datasets.synthetic_tracks(days=3, seed=0)
    kw = dict(SMALL, epochs=3)
    path = tmp_path / "a.ckpt"
    geoinr.INRModel(**kw).fit(tracks, "sla", checkpoint=path, checkpoint_every=0.0)
    with pytest.raises(ValueError, match=r"differs in: \['points: \d+ in it, 500 now', 'training points: "):
        geoinr.INRModel(**kw).fit(tracks.isel(time=slice(0, 500)), "sla", resume=path)
    with pytest.raises(ValueError, match=r"differs in: \[\"the network's shapes"):
        geoinr.INRModel(**{**kw, "width": 16}).fit(tracks, "sla", resume=path)


def test_unknown_derived_quantity_suggests(fitted):
    model, _ = fitted
    with pytest.raises(ValueError, match="Did you mean 'geostrophic_velocity'"):
        model.derive("geostrophic_velocty", model.target_grid(2.0))


def test_variable_and_variables_keywords_suggest_each_other(fitted):
    """INRModel.fit takes variables=, predict/derive/sample variable=, the baselines' fit variable=: Python's own
    TypeError named no alternative."""
    model, tracks = fitted
    with pytest.raises(TypeError, match=r"fit\(\) got an unexpected keyword argument 'variable'\. Did you mean "
                                        r"'variables'\?"):
        geoinr.INRModel(**SMALL).fit(tracks, variable="sla")
    with pytest.raises(TypeError, match="Did you mean 'variable'"):
        geoinr.baselines.OptimalInterpolation().fit(tracks, variables="sla")
    for call in (lambda: model.predict(tracks, variables="sla"), lambda: model.derive("gradient", tracks, variables="sla"),
                 lambda: model.target_grid(resolutoin=2.0)):
        with pytest.raises(TypeError, match="Did you mean"):
            call()
    import inspect

    assert "variable" in inspect.signature(model.predict).parameters  # the signature and docs stay the method's
    assert "Examples" in geoinr.INRModel.predict.__doc__
