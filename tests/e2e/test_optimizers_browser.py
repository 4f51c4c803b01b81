"""Adam, a schedule and the two lessons about them in a real browser: the stage draws every
chosen optimizer's exact path, the lr chart shows the schedule, and each lesson's view renders
(screenshots for a look)."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import wait_for_app
from ui.lessons import LESSONS
from ui.params import query_from_setup

from .conftest import plotly_figure, screenshot
from .test_stage_browser import open_stage, plotted, relative_error


@pytest.mark.e2e
def test_sgd_momentum_and_adam_under_a_cosine_schedule(app_server, page):
    open_stage(page, app_server, "/?opt=sgd,momentum,adam&schedule=cosine")
    surface, start = mv.get_surface("ravine"), (-2.5, -1.6)
    schedule = mv.schedules.cosine(200)
    for name, optimizer, beta in (("SGD", "sgd", 0.0), ("Momentum", "momentum", 0.6),
                                  ("Adam", "adam", 0.6)):
        label, points = plotted(page, name)
        run = mv.simulate(surface, optimizer=optimizer, lr=0.038, beta=beta, schedule=schedule,
                          start=start, steps=200)
        assert relative_error(points, run.path[: len(points)]) < 1e-9, label
    lr_chart = plotly_figure(page, index=2)  # after the stage's map and loss chart
    assert "lr" in str(lr_chart["layout"]["yaxis"]["title"])
    names = [t["name"] for t in lr_chart["data"]]
    assert len(names) == 3 and names[2].startswith("Adam")
    lrs = np.asarray(lr_chart["data"][2]["y"], float)
    assert lrs[0] == 0.038 and lrs[-1] < 1e-4  # down the half cosine to η_min = 0
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen
    screenshot(page, "playground-sgd-momentum-adam-cosine")


@pytest.mark.e2e
@pytest.mark.parametrize("title", ["Adam vs momentum in the ravine",
                                   "A schedule settles noisy momentum"])
def test_the_adaptive_lessons_render(app_server, page, title):
    lesson = next(item for item in LESSONS if item.title == title)
    page.set_viewport_size({"width": 1280, "height": 720})
    open_stage(page, app_server, "/?" + urlencode(query_from_setup(lesson.setup())))
    for optimizer in lesson.setup()["opt"]:
        plotted(page, mv.optimizers.get(optimizer).label)
    wait_for_app(page)
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen
    screenshot(page, "lesson-" + title.lower().replace(" ", "-"))


@pytest.mark.e2e
def test_the_tuning_lab_maps_adam_without_theory_curves(app_server, page):
    page.goto(app_server.url + "/tuning_lab?map_opt=adam&map_grid=40")
    wait_for_app(page)
    figure = plotly_figure(page, index=0)
    names = " ".join(str(t.get("name")) for t in figure["data"])
    assert "diverged" in names and "critical damping" not in names and "stability" not in names
    assert page.get_by_text("No linear theory applies to Adam").count() == 1
    assert not [e for e in page.errors_seen if e.startswith("pageerror:")], page.errors_seen
    screenshot(page, "tuning-lab-adam")


@pytest.mark.e2e
def test_the_sidebar_shows_adams_settings_and_the_schedules_arguments(app_server, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_stage(page, app_server, "/?opt=momentum,adam&adam_lr=0.1&schedule=cosine&t_max=150")
    sidebar = page.locator("[data-testid='stSidebar']")
    for title in ("Adam settings", "Learning-rate schedule"):
        sidebar.get_by_text(title).click()
    for key, value in (("adam_lr", "0.1"), ("adam_beta2", "0.999"), ("adam_eps", "1e-8"),
                       ("t_max", "150"), ("eta_min", "0")):
        assert page.locator(f".st-key-{key} input").input_value() == value, key
    screenshot(page, "playground-adam-settings-sidebar")
