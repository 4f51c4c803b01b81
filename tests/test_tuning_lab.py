"""The Tuning lab page through AppTest: the map is mv.sweep's numbers for the shared setup, "Use
best" hands a cell to the Playground, and one URL carries the setup across the pages."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import numpy as np
import pytest
from lab_spec import said_by_the_engine
from plotly_spec import decode, trace
from stage_spec import current, path_of, run_named, stage_of

import momentum_viz as mv
from momentum_viz.family import beta_grid
from testkit.apptest import no_exception, open_page, text_of
from ui import lab, plotly_live
from ui import lab_map as lab_map_module
from ui.params import query_from_setup

LAB = "pages/tuning_lab.py"
PLAYGROUND = "pages/playground.py"
WHY = "pages/why_momentum.py"
START = (-2.5, -1.6)
"""The ravine's own start."""


def lab_data(at) -> dict:
    """The data the page sent to its map component."""
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


_FIGURES: dict[str, dict] = {}
"""The figures the map component was sent, by token: a rerun that keeps the map sends only its
token, and the browser keeps drawing the figure it has (ui.plotly_live.once)."""


def forget_sent(at) -> None:
    """What the map's "missing" callback does (``plotly_live.forget``): the next run sends
    the figure."""
    sent = at.session_state[plotly_live.SENT]
    at.session_state[plotly_live.SENT] = {k: v for k, v in sent.items() if k != "lab_map"}


def lab_map(at) -> dict:
    """The figure the map shows after this run: the one sent with it, else the one last sent
    with its token; one not seen here is asked for as the browser asks for it (a rerun after
    its "missing", whose callback forgets what was sent)."""
    data = lab_data(at)
    if "figure" not in data and data["token"] not in _FIGURES:
        forget_sent(at)
        data = lab_data(at.run())
    if "figure" in data:
        _FIGURES[data["token"]] = data["figure"]
    return _FIGURES[data["token"]]


def mine(at) -> tuple[float, float]:
    """The (lr, β) the map's sliders show (and its ring marks) on load."""
    sliders = lab_data(at)["sliders"]
    lr, beta = (sliders[n]["values"][sliders[n]["index"]] for n in ("lr", "beta"))
    return lr, beta


def grid(figure: dict) -> tuple[np.ndarray, np.ndarray]:
    """The lrs and βs of the map's cells, as its metric heatmap lists them (a click's row and
    column are read back through them)."""
    cells = next(t["meta"] for t in figure["data"] if "meta" in t)
    return np.array(cells["lrs"]), np.array(cells["betas"])


def layer(figure: dict, name: str) -> np.ndarray:
    heatmap = next(t for t in figure["data"] if t.get("name") == name and t["type"] == "heatmap")
    return decode(heatmap["z"])


def test_the_map_is_the_sweep_of_the_shared_setup():
    at = open_page(LAB, map_grid="30", map_steps="300")
    no_exception(at)
    assert not at.warning
    figure = lab_map(at)
    lrs, betas = grid(figure)
    # default range: 0.01× to 4× plain GD's limit 2/λmax = 2/50 at the ravine's minimum
    np.testing.assert_allclose(lrs, np.logspace(np.log10(4e-4), np.log10(0.16), 30), rtol=1e-12)
    np.testing.assert_array_equal(betas, np.linspace(0, 0.99, 30))
    sweep = mv.sweep(mv.get_surface("ravine"), optimizer="momentum", lrs=lrs, betas=betas,
                     start=(-2.5, -1.6), steps=300)
    steps = np.where(sweep.steps_to_converge >= 0, sweep.steps_to_converge, np.nan)
    np.testing.assert_array_equal(layer(figure, "steps"), steps)
    np.testing.assert_array_equal(np.isfinite(layer(figure, "diverged")), sweep.diverged)
    never = ~sweep.diverged & (sweep.steps_to_converge < 0)
    np.testing.assert_array_equal(np.isfinite(layer(figure, "not converged")), never)

    best = sweep.best()
    best_lr, best_beta = best.lr, best.beta
    star = trace(figure, "fastest cell")
    assert (star["x"][0], star["y"][0]) == (best_lr, best_beta)
    fastest = int(np.nanmin(steps))
    assert f"**Fastest cell** (★): {fastest} steps at lr = {best_lr:.4g}" in text_of(at)
    assert mine(at) == (0.038, 0.6)
    ring = [t for t in figure["data"] if t.get("name") == "your lr, β"]
    assert len(ring) == 1 and ring[0]["x"] == [None], "the ring's legend entry, once, no point"
    run = mv.simulate(mv.get_surface("ravine"), optimizer="momentum", lr=0.038, beta=0.6,
                      steps=300)
    sliders = lab_data(at)["sliders"]
    assert sliders["beta"]["said"][sliders["beta"]["index"]] == \
        f"lr = 0.038, β = 0.6: converged in {run.metrics().steps_to_converge} steps."
    assert trace(figure, "stability limit, λmax = 50")
    assert "The curves are **exact**" in text_of(at)
    assert "The bottom row, β = 0, is plain SGD." in text_of(at)


def test_the_figure_goes_to_the_browser_once_per_map():
    """The map's figure (hundreds of kB) is sent when the component is mounted and when the map
    changes; a rerun that keeps the map (a new lr) sends its token alone, and the browser's
    "missing" (its callback forgets what was sent) brings the figure again."""
    at = open_page(LAB, map_grid="12", map_steps="100")
    first = lab_data(at)
    assert "figure" in first
    at.query_params["lr"] = "0.02"  # the URL changed (Back): a new lr, the same map
    at.run()
    no_exception(at)
    kept = lab_data(at)
    assert "figure" not in kept and kept["token"] == first["token"]
    assert mine(at)[0] == 0.02
    at.slider(key="map_grid").set_value(14).run()
    changed = lab_data(at)
    assert "figure" in changed and changed["token"] != first["token"]
    assert len(grid(changed["figure"])[0]) == 14
    at.run()
    assert "figure" not in lab_data(at)
    forget_sent(at)  # what the browser's "missing" does
    at.run()
    assert lab_data(at)["figure"] == changed["figure"]
    assert "figure" not in lab_data(at.run())
    at.switch_page(PLAYGROUND).run()
    at.switch_page(LAB).run()  # mounted anew: its figure with it
    assert lab_data(at)["figure"] == changed["figure"]


def test_the_spinner_runs_only_around_a_new_sweep():
    """The page remembers the inputs of its last sweep (``lab_map.computing``): a rerun with
    the same ones starts no spinner; a new map's inputs are remembered once it is computed."""
    at = open_page(LAB, map_grid="12", map_steps="100")
    swept = at.session_state[lab_map_module.SWEPT]
    assert swept[4:6] == (12, 100)  # (…, size, steps, …): compute.cached_sweep's arguments
    at.slider(key="map_grid").set_value(14).run()
    no_exception(at)
    assert at.session_state[lab_map_module.SWEPT][4] == 14


def test_the_sliders_say_what_the_engine_does_at_every_position():
    """Each sentence the β and lr sliders show while dragged is the run ``mv.simulate`` makes at
    the value shown: β over 0…0.999 at the setup's lr, lr over a decade either side at its β."""
    at = open_page(LAB, map_grid="12", map_steps="300")
    no_exception(at)
    sliders = lab_data(at)["sliders"]
    betas = sliders["beta"]["values"]
    assert betas[:3] == [0.0, 0.01, 0.02] and betas[-2:] == [0.995, 0.999] and 0.6 in betas
    lrs = np.array(sliders["lr"]["values"])
    assert lrs[0] == pytest.approx(0.0038, rel=0.01) and lrs[-1] == pytest.approx(0.38, rel=0.01)
    assert sliders["lr"]["values"][sliders["lr"]["index"]] == 0.038
    span = (4e-4, 0.16)  # the map: 0.01× to 4× plain GD's limit 2/50
    for beta, said in zip(betas, sliders["beta"]["said"], strict=True):
        assert said == said_by_the_engine("ravine", 0.038, beta, START, 300, beta <= 0.99), beta
    for lr, said in zip(lrs, sliders["lr"]["said"], strict=True):
        inside = span[0] * (1 - 1e-12) <= lr <= span[1] * (1 + 1e-12)
        assert said == said_by_the_engine("ravine", lr, 0.6, START, 300, inside), lr


def test_final_loss_metric_and_lr_range_are_widgets_and_url_parameters():
    at = open_page(LAB, map_grid="20", map_steps="200")
    at.radio(key="map_metric").set_value("loss").run()
    at.select_slider(key="map_lr_min").set_value(0.1).run()
    at.select_slider(key="map_lr_max").set_value(2.0).run()
    at.slider(key="map_beta").set_range(0.5, 0.9).run()
    no_exception(at)
    assert at.query_params["map_metric"] == "loss"
    assert (at.query_params["map_lr_min"], at.query_params["map_lr_max"]) == ("0.1", "2")
    assert at.query_params["map_beta"] == "0.5,0.9"
    figure = lab_map(at)
    lrs, betas = grid(figure)
    assert lrs[0] == pytest.approx(0.1 * 0.04) and lrs[-1] == pytest.approx(2 * 0.04)
    np.testing.assert_allclose(betas, np.linspace(0.5, 0.9, 20))
    sweep = mv.sweep(mv.get_surface("ravine"), optimizer="momentum", lrs=lrs, betas=betas,
                     start=(-2.5, -1.6), steps=200)
    with np.errstate(invalid="ignore"):
        expected = np.log10(np.maximum(sweep.final_loss, 1e-16))  # f* = 0 on the ravine
    np.testing.assert_array_equal(layer(figure, "loss"), expected)


@pytest.mark.parametrize("optimizer", ["nesterov", "ema", "adam", "rmsprop", "adagrad"])
def test_other_optimizers_and_gradient_noise(optimizer):
    at = open_page(LAB, map_opt=optimizer, map_grid="12", map_steps="150", noise="0.5",
                   seed="3", surface="booth", x0="-5", y0="-4")
    no_exception(at)
    assert at.selectbox(key="map_opt").value == optimizer
    figure = lab_map(at)
    lrs, betas = grid(figure)
    sweep = mv.sweep(mv.get_surface("booth"), optimizer=optimizer, lrs=lrs, betas=betas,
                     start=(-5.0, -4.0), steps=150, noise=0.5, seed=3)
    np.testing.assert_array_equal(np.isfinite(layer(figure, "diverged")), sweep.diverged)
    np.testing.assert_array_equal(
        layer(figure, "steps"),
        np.where(sweep.steps_to_converge >= 0, sweep.steps_to_converge, np.nan))
    assert "with gradient noise σ = 0.5 (seed 3)" in " ".join(c.value for c in at.caption)
    linear = mv.optimizers.get(optimizer).linear_theory is not None
    names = " ".join(str(t.get("name")) for t in figure["data"])
    assert ("critical damping" in names) == linear
    assert ("No linear theory applies" in " ".join(m.value for m in at.markdown)) != linear
    assert ("is plain SGD" in " ".join(c.value for c in at.caption)) == linear
    assert (figure["layout"]["yaxis"]["title"]["text"] == "momentum β") == linear


def test_use_best_hands_the_cell_to_the_playground():
    at = open_page(LAB, map_grid="24", map_steps="300", map_opt="nesterov")
    lrs, betas = grid(lab_map(at))
    sweep = mv.sweep(mv.get_surface("ravine"), optimizer="nesterov", lrs=lrs, betas=betas,
                     start=(-2.5, -1.6), steps=300)
    best = sweep.best()
    best_lr, best_beta = best.lr, best.beta
    at.button(key="use_best").click().run()
    no_exception(at)
    lr, beta = float(f"{best_lr:.4g}"), round(best_beta, 3)
    setup = at.session_state["setup"]
    assert (setup["lr"], setup["beta"], setup["steps"]) == (lr, beta, 300)
    assert setup["opt"] == ["sgd", "momentum", "nesterov"] and not setup["compare"]
    assert float(at.query_params["lr"]) == lr and float(at.query_params["beta"]) == beta
    assert (f"The Playground now replays this cell's run. Changed: lr 0.038 → {lr:g}; β 0.6 → "
            f"{beta:g}; steps 200 → 300 (the map's steps per run); optimizers SGD, Momentum "
            "→ SGD, Momentum, Nesterov.") in text_of(at)
    assert mine(at) == (lr, beta)

    at.switch_page(PLAYGROUND).run()
    no_exception(at)
    data = stage_of(at)
    assert current(data, "lr") == lr and current(data, "beta") == beta
    assert at.select_slider(key="steps").value == 300
    run = mv.simulate(mv.get_surface("ravine"), optimizer="nesterov", lr=lr, beta=beta,
                      start=(-2.5, -1.6), steps=300)
    plotted = path_of(run_named(data, f"Nesterov β={beta:g}"))
    np.testing.assert_allclose(plotted, run.path, rtol=1e-9, atol=0)


def test_the_playground_link_carries_the_setup():
    at = open_page(LAB, map_grid="10", map_steps="50", surface="booth", lr="0.02")
    (link,) = [link for link in at.get("page_link")
               if link.proto.label == "Open in the Playground"]
    query = dict(parse_qsl(link.proto.query_string))
    assert query == query_from_setup(at.session_state["setup"])
    assert query["surface"] == "booth" and query["lr"] == "0.02" and query["map_grid"] == "10"


@pytest.mark.parametrize("script", [PLAYGROUND, LAB, WHY])
def test_every_page_links_each_page_with_the_setup(script):
    at = open_page(script, surface="booth", lr="0.02", beta="0.7")
    no_exception(at)
    links = [link.proto for link in at.get("page_link")]
    pages = [link for link in links if link.label != "Open in the Playground"]
    assert [link.label for link in pages] == ["Playground", "Tuning lab", "Why momentum works"]
    assert [link.page for link in pages] == ["", "tuning_lab", "why_momentum"]  # URL paths
    for link in pages:
        query = dict(parse_qsl(link.query_string))
        assert query == query_from_setup(at.session_state["setup"])
        assert (query["surface"], query["lr"], query["beta"]) == ("booth", "0.02", "0.7")


def test_a_url_carries_the_setup_across_pages():
    at = open_page(surface="booth", lr="0.02", beta="0.7", x0="-5", y0="-5", map_opt="nesterov",
                   map_grid="16", map_steps="200")  # opened on the Playground
    no_exception(at)
    shared = {"surface": "booth", "lr": "0.02", "beta": "0.7", "x0": "-5", "y0": "-5",
              "map_opt": "nesterov", "map_grid": "16", "map_steps": "200"}
    assert shared.items() <= dict(at.query_params).items()

    at.switch_page(LAB).run()
    no_exception(at)
    assert at.selectbox(key="surface").value == "booth"
    assert mine(at) == (0.02, 0.7)  # the map's sliders: the lab's lr and β controls
    assert (at.number_input(key="x0").value, at.number_input(key="y0").value) == (-5, -5)
    assert at.selectbox(key="map_opt").value == "nesterov"
    assert at.slider(key="map_grid").value == 16 and at.slider(key="map_steps").value == 200
    assert shared.items() <= dict(at.query_params).items()
    lrs, betas = grid(lab_map(at))
    assert len(lrs) == len(betas) == 16
    sweep = mv.sweep(mv.get_surface("booth"), optimizer="nesterov", lrs=lrs, betas=betas,
                     start=(-5.0, -5.0), steps=200)
    np.testing.assert_array_equal(np.isfinite(layer(lab_map(at), "diverged")), sweep.diverged)

    at.slider(key="map_grid").set_value(20).run()
    at.switch_page(WHY).run()
    no_exception(at)
    assert (shared | {"map_grid": "20"}).items() <= dict(at.query_params).items()
    at.switch_page(PLAYGROUND).run()
    no_exception(at)
    assert current(stage_of(at), "lr") == 0.02
    assert at.query_params["map_grid"] == "20" and at.query_params["surface"] == "booth"


def test_surfaces_without_minima_and_local_approximations():
    at = open_page(LAB, surface="saddle", map_grid="10", map_steps="50")
    no_exception(at)
    names = [t.get("name", "") for t in lab_map(at)["data"]]
    assert not [n for n in names if n.startswith(("stability", "critical"))]
    assert "This surface has no minimum" in text_of(at)

    at = open_page(LAB, surface="rosenbrock", map_grid="10", map_steps="50",
                   map_lr_min="0.001")
    no_exception(at)
    figure = lab_map(at)
    assert grid(figure)[0][0] == 1e-5  # 0.001 × 2/λmax ≈ 2e-6, below the Playground's lr range
    assert "kept within the Playground's lr range 1e-05 to 10" in text_of(at)
    assert figure["layout"]["legend"]["title"]["text"] == "curves: local approximation"
    assert "**local approximation**" in text_of(at)
    lam_max = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])[-1]  # Hessian at (1, 1)
    limit = trace(figure, "stability limit")
    lr, beta = decode(limit["x"]), decode(limit["y"])
    np.testing.assert_allclose(lr * lam_max, 2 * (1 + beta), rtol=1e-9)


def test_bad_page_parameters_warn_by_name_and_fall_back():
    at = open_page(LAB, map_grid="500", map_opt="sgd", map_lr_min="3", map_beta="0.5",
                   map_steps="0", map_metric="speed")
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    for name in ("map_grid", "map_opt", "map_lr_min", "map_beta", "map_steps", "map_metric"):
        assert f"'{name}'" in warnings
    assert at.slider(key="map_grid").value == 100
    assert at.selectbox(key="map_opt").value == "momentum"
    assert at.select_slider(key="map_lr_min").value == 0.01
    assert at.slider(key="map_beta").value == (0.0, 0.99)

    at = open_page(LAB, map_lr_min="4", map_lr_max="0.01", map_grid="10", map_steps="20")
    assert "lr range (map_lr_min, map_lr_max) needs min < max" in text_of(at)
    assert (at.select_slider(key="map_lr_min").value,
            at.select_slider(key="map_lr_max").value) == (0.01, 4.0)
    at.select_slider(key="map_lr_min").set_value(8.0).run()
    no_exception(at)
    assert "showing the default range" in text_of(at)
    assert grid(lab_map(at))[0][0] == pytest.approx(0.01 * 0.04)


def test_a_typed_quadratic_gets_exact_curves_and_a_bad_formula_an_error():
    at = open_page(LAB, surface="custom", formula="x^2 + 10y^2", map_grid="10", map_steps="50")
    no_exception(at)
    assert "The curves are **exact**: this surface is a quadratic with λ = 2 and 20." in \
        text_of(at)
    lrs, _ = grid(lab_map(at))
    assert lrs[-1] == pytest.approx(4 * 2 / 20)
    at.text_input(key="formula").set_value("x^2 + z").run()
    no_exception(at)
    assert "unknown name 'z'" in " ".join(e.value for e in at.error)
    assert grid(lab_map(at))[0][-1] == pytest.approx(4 * 2 / 20)  # still the last good one


@pytest.mark.parametrize("kind", ["minibatch", "noise"])
def test_with_seeds_the_map_colours_each_cell_by_the_median_over_its_runs(kind):
    """Against a sweep per seed, one seed at a time: the median final loss of each cell."""
    query = (dict(surface="linreg", batch_size="8") if kind == "minibatch"
             else dict(surface="bowl", noise="0.5"))
    at = open_page(LAB, map_grid="12", map_steps="60", map_metric="loss", seeds="5", seed="2",
                   **query)
    no_exception(at)
    assert "is the median of 5 runs" in text_of(at)
    figure = lab_map(at)
    lrs, betas = grid(figure)
    surface = mv.get_surface(query["surface"])
    extra = {"batch_size": 8} if kind == "minibatch" else {"noise": 0.5}
    finals = np.array([mv.sweep(surface, optimizer="momentum", lrs=lrs, betas=betas,
                                start=surface.start, steps=60, seed=2 + i, **extra).final_loss
                       for i in range(5)])
    median = np.median(np.where(np.isnan(finals), np.inf, finals), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.log10(np.maximum(median - surface.f_min, 1e-16))
    shown = layer(figure, "loss")
    finite = np.isfinite(median)
    np.testing.assert_allclose(shown[finite], expected[finite], rtol=1e-12)
    assert np.all(np.isnan(shown[~finite]))
    assert np.array_equal(np.isfinite(layer(figure, "diverged")), ~finite)
    assert (~finite).any() and finite.any()
    hovers = [t["hovertemplate"] for t in figure["data"] if t["type"] == "heatmap"]
    assert hovers and all("<br>the median of 5 seeds: " in h for h in hovers)


@pytest.mark.parametrize("script", [LAB, PLAYGROUND])
def test_picking_a_surface_takes_its_suggested_lr_beta_and_start(script):
    """β and lr have no sidebar widget: the surface picker puts the surface's own suggestion
    into the setup itself, and the page's sliders show it."""
    at = open_page(script, surface="ravine", map_grid="10", map_steps="50")
    at.selectbox(key="surface").set_value("booth").run()
    no_exception(at)
    booth = mv.get_surface("booth")
    setup = at.session_state["setup"]
    assert (setup["lr"], setup["beta"], (setup["x0"], setup["y0"])) == \
        (booth.lr, booth.beta, booth.start)
    if script == LAB:
        assert mine(at) == (booth.lr, booth.beta)
    else:
        data = stage_of(at)
        assert (current(data, "lr"), current(data, "beta")) == (booth.lr, booth.beta)
    assert (at.query_params["lr"], at.query_params["beta"]) == (f"{booth.lr:g}",
                                                                f"{booth.beta:g}")


def test_the_sliders_coarsen_where_every_position_would_take_too_long():
    """On logistic regression (a loss summed over every data point) with many seeds and steps
    the sliders keep fewer positions, each still the engine's run (its median over seeds)."""
    surface = mv.get_surface("logreg")
    sliders = lab.slider_sentences(surface, "momentum", 0.5, 0.9, start=surface.start,
                                   steps=400, noise=0.0, seed=0, batch_size=8, seeds=20,
                                   span=(0.01, 1.0), betas=(0.0, 0.99))
    betas, lrs = sliders["beta"]["values"], sliders["lr"]["values"]
    work = (len(betas) + len(lrs)) * 20 * 400 * surface.data.n
    assert work <= lab.MAP_WORK and len(betas) < len(beta_grid(0.9))
    assert betas[sliders["beta"]["index"]] == 0.9 and lrs[sliders["lr"]["index"]] == 0.5
    many = mv.simulate_seeds_many(surface, [mv.RunSpec("momentum", 0.5, 0.9)], seeds=20,
                                  start=surface.start, steps=400, batch_size=8)[0]
    assert sliders["beta"]["said"][sliders["beta"]["index"]] == \
        f"lr = 0.5, β = 0.9: {lab.median_outcome(many, 400)}."


@pytest.mark.parametrize("metric", ["steps", "loss"])
def test_the_map_travels_compactly(metric):
    """The map sent to the browser carries its hover numbers and step counts as float32 (step
    counts exactly), a final loss colour in full: the same picture in a third fewer bytes."""
    sweep = mv.sweep(mv.get_surface("ravine"), optimizer="momentum",
                     lrs=np.logspace(-3.4, -0.8, 30), betas=np.linspace(0, 0.99, 30),
                     start=START, steps=300)
    full = mv.figures.tuning_figure(sweep, metric=metric)
    sent = json.loads(lab_map_module.compact(mv.figures.tuning_figure(sweep, metric=metric))
                      .to_json())
    assert len(json.dumps(sent)) < 0.8 * len(full.to_json())
    for before, after in zip(json.loads(full.to_json())["data"], sent["data"], strict=True):
        if before["type"] != "heatmap":
            assert after == before
            continue
        z = decode(after["z"])
        assert z.dtype == (np.float64 if before["name"] == "loss" else np.float32)
        np.testing.assert_array_equal(z, decode(before["z"]))
        if "customdata" in before:
            np.testing.assert_array_equal(decode(after["customdata"]),
                                          decode(before["customdata"]).astype(np.float32))
