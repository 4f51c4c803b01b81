"""The Playground's many-seed view in a real browser: every seed's path faint, the mean path
bold, a dot per seed that moves with the animation, the median and its 10–90 % band on the loss
chart; dragging β shows the single paths, and releasing brings the seeds back at the new β."""

from __future__ import annotations

import numpy as np
import pytest

import momentum_viz as mv
from testkit.browser import settled, wait_for_app

from .conftest import screenshot
from .test_stage_browser import drag

STAGE = ".st-key-stage"
QUERY = "?surface=linreg&opt=sgd,ema&lr=0.8&beta=0.9&batch_size=8&seeds=12&steps=60"


def traces(page, chart: str) -> list[dict]:
    return page.evaluate("""(chart) => document.querySelector(chart).data.map(t => ({
        name: t.name || '', n: t.x ? t.x.length : 0, fill: t.fill || '',
        x: Array.from(t.x || []), y: Array.from(t.y || []),
        width: t.line ? t.line.width : null}))""", chart)


@pytest.mark.e2e
def test_the_many_seed_view_draws_and_follows_the_sliders(app_server, page):
    page.goto(app_server.url + QUERY)
    wait_for_app(page)
    page.wait_for_selector(f"{STAGE} .mvs-map .main-svg", timeout=30_000)
    surface = mv.get_surface("linreg")
    runs = {name: [mv.simulate(surface, optimizer=name, lr=0.8, beta=0.9, steps=60,
                               batch_size=8, seed=i) for i in range(12)]
            for name in ("sgd", "ema")}
    shown = traces(page, f"{STAGE} .mvs-map")
    clouds = [t for t in shown if t["name"] == "seeds"]
    assert len(clouds) == 2 and all(t["n"] == 12 * 62 for t in clouds)  # 61 steps + a gap
    means = {t["name"]: t for t in shown if "mean of 12" in t["name"]}
    assert set(means) == {"SGD · mean of 12", "EMA β=0.9 · mean of 12"}
    for name, label in (("sgd", "SGD"), ("ema", "EMA β=0.9")):
        mean = np.column_stack([means[f"{label} · mean of 12"]["x"],
                                means[f"{label} · mean of 12"]["y"]])
        expected = np.mean([r.path for r in runs[name]], axis=0)
        np.testing.assert_allclose(mean, expected, rtol=1e-9, atol=1e-12)
        assert means[f"{label} · mean of 12"]["width"] > 3  # bold
    balls = next(t for t in shown if t["name"] == "position")
    assert balls["n"] == 2 * 12 + 2  # a dot per seed and a ball per run
    loss = traces(page, f"{STAGE} .mvs-loss")
    assert sum(t["fill"] == "tonexty" for t in loss) == 2  # a band per run
    median = next(t for t in loss if t["name"] == "SGD · mean of 12")
    finals = [r.loss[-1] - surface.f_min for r in runs["sgd"]]
    assert median["y"][-1] == pytest.approx(np.median(finals), rel=1e-6)
    screenshot(page, "seeds-view")

    # the animation moves the dots: at the last step they are every seed's last position
    page.locator(f"{STAGE} .mvs-scrub").evaluate(
        "(e) => { e.value = e.max; e.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"document.querySelector('{STAGE} .mvs').dataset.step === '60'")
    ends = np.array([r.path[-1] for r in runs["sgd"]])
    dots = f"""() => {{
        const t = document.querySelector('{STAGE} .mvs-map').data.find(d => d.name === 'position');
        return Array.from(t.x).map((x, i) => [x, t.y[i]]).slice(0, 12);
    }}"""
    shown = settled(page, dots, lambda xy: np.allclose(xy, ends, rtol=1e-6, atol=1e-6))
    np.testing.assert_allclose(shown, ends, rtol=1e-6, atol=1e-6)

    # dragging β (the button held: nothing sent yet): the single paths (seed 0), no cloud;
    # released, the seeds come back at it
    def single_paths(beta: float) -> None:
        names = [t["name"] for t in traces(page, f"{STAGE} .mvs-map")]
        assert any(n.startswith(f"EMA β={beta:g}") for n in names), names
        assert "seeds" not in names and not any("mean of" in n for n in names), names

    assert drag(page, ".mvs-beta", 1, -1, single_paths, STAGE) == 0.89
    wait_for_app(page)
    page.wait_for_function(
        f"""() => document.querySelector('{STAGE} .mvs-map').data
            .some(t => (t.name || '').startsWith('EMA β=0.89 · mean of 12'))""",
        timeout=30_000)
    assert "beta=0.89" in page.url
    uncaught = [e for e in page.errors_seen if e.startswith("pageerror:")]
    assert not uncaught, uncaught
