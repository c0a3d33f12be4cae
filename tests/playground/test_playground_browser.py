"""The page in a real headless Chromium: multi-class training, the maths, upload, exports, URL.

One browser for the module, one server; each test opens its own tab (its own session).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playground_support import Served, poll

import glassnet as gn
from glassnet.playground.session import CASE_TITLE
from glassnet.teach.explain import render

PALETTE = np.array([
    [47, 111, 222], [240, 138, 36], [46, 160, 67], [204, 51, 99], [140, 86, 200],
    [30, 170, 190], [150, 110, 60], [230, 90, 200], [120, 120, 120], [180, 180, 20],
], dtype=np.float64)  # fmt: skip


def cell_colour(p_bytes: np.ndarray) -> np.ndarray:
    """draw.js's cellColour restated: class colours mixed by probability, over white."""
    k = p_bytes.shape[-1]
    p = p_bytes / 255
    mix = p @ PALETTE[:k]
    conf = np.maximum(0, (p.max(axis=-1) - 1 / k) / (1 - 1 / k))
    a = (0.25 + 0.6 * conf)[..., None]
    return np.floor(255 * (1 - a) + mix * a + 0.5)


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    tab = browser.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.goto(served.url + "/")
    tab.wait_for_function("window.playground && window.playground.frame !== null", timeout=20000)
    yield tab
    tab.close()
    assert errors == []


def frame_epoch(tab: Any) -> int:
    return int(tab.evaluate("window.playground.frame.epoch"))


def pause_and_settle(tab: Any) -> int:
    """Pause, then wait until the page's epoch stops moving; return it."""
    if tab.evaluate("window.playground.playing"):
        tab.click("#play")
    seen: list[int] = []

    def still() -> bool:
        seen.append(frame_epoch(tab))
        return len(seen) > 8 and len(set(seen[-8:])) == 1

    poll(still, what="the page to settle after pause")
    return seen[-1]


def download(tab: Any, selector: str, tmp_path: Path) -> Path:
    with tab.expect_download() as info:
        tab.click(selector)
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    return target


def canvas_pixels(tab: Any) -> np.ndarray:
    flat = tab.evaluate(
        "Array.from(document.getElementById('boundary').getContext('2d')"
        ".getImageData(0, 0, 400, 400).data)"
    )
    return np.array(flat, dtype=np.float64).reshape(400, 400, 4)[..., :3]


def test_three_classes_train_live_and_the_canvas_shows_the_downloaded_model(
    page: Any, tmp_path: Path
) -> None:
    page.select_option("#dataset", "blobs")
    page.fill("#classes", "3")
    page.dispatch_event("#classes", "change")
    poll(lambda: page.evaluate("window.playground.data.classes.length === 3 && "
                               "window.playground.data.settings.dataset === 'blobs'"),
         what="a 3-class dataset")  # fmt: skip
    poll(lambda: frame_epoch(page) == 0, what="a fresh run")
    before = canvas_pixels(page)
    page.click("#play")
    poll(lambda: frame_epoch(page) >= 40, what="the epoch counter to advance")
    curves = page.evaluate("window.playground.curves")
    assert curves["loss"][-1] < 0.8 * curves["loss"][0]
    assert page.inner_text("#epoch") == str(frame_epoch(page)) or frame_epoch(page) > 0
    epoch = pause_and_settle(page)
    after = canvas_pixels(page)
    assert np.mean(np.any(before != after, axis=-1)) > 0.2  # the boundary was redrawn
    model = gn.load(download(page, "#download-model", tmp_path))
    assert model.n_iter_ == epoch  # the file holds the weights the page shows
    bounds = page.evaluate("window.playground.data.bounds")
    n = 100
    xs = bounds[0] + (np.arange(n) + 0.5) / n * (bounds[1] - bounds[0])
    ys = bounds[2] + (np.arange(n) + 0.5) / n * (bounds[3] - bounds[2])
    gx, gy = np.meshgrid(xs, ys)
    proba = model.predict_proba(np.c_[gx.ravel(), gy.ravel()])
    shown = np.array(page.evaluate("Array.from(window.playground.grid)"), dtype=np.float64)
    shown = shown.reshape(3, n * n).T
    assert np.max(np.abs(shown - np.rint(proba * 255))) <= 1  # same probabilities
    # The canvas pixel at each cell's centre is that cell's colour (row r drawn at 99 - r).
    rows, cols = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    pixels = after[(n - 1 - rows) * 4 + 2, cols * 4 + 2].reshape(-1, 3)
    expected = cell_colour(np.rint(proba * 255))
    assert np.max(np.abs(pixels - expected)) <= 2
    # and at the data points, the colour's strongest class is the model's prediction
    X = np.array(page.evaluate("window.playground.data.X"))
    assert np.mean(model.predict(X) == np.array(page.evaluate("window.playground.data.y"))) > 0.8


def test_a_clicked_point_opens_the_derivation_glassnet_explain_prints(
    page: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(5):
        page.click("#step")
    poll(lambda: frame_epoch(page) == 5, what="five single epochs")
    index = 7
    x = page.evaluate(f"window.playground.data.X[{index}]")
    px, py = page.evaluate(f"window.playground.toPixel({x[0]}, {x[1]})")
    page.click("#points", position={"x": px, "y": py})
    page.wait_for_selector("#explain-text", timeout=20000)
    m = page.evaluate("window.playground.explain")
    assert m["epoch"] == 5
    model = gn.load(download(page, "#download-model", tmp_path))
    label = int(page.evaluate(f"window.playground.data.y[{m['index']}]"))
    point = np.array(page.evaluate(f"window.playground.data.X[{m['index']}]"))
    z = model.logits(point[None, :])[0]
    assert m["z"] == z.tolist()
    d = gn.derive(z, label)
    for name in ("y_hat", "jacobian", "chain", "shortcut", "library"):
        shown = [float(v) for v in page.locator(f"[data-name^='{name}.']").evaluate_all(
            "cells => cells.map(c => c.dataset.value)")]  # fmt: skip
        assert shown == pytest.approx(np.ravel(getattr(d, name)).tolist(), abs=1e-15)
    text = page.inner_text("#explain-text")
    assert text == render(d, title=CASE_TITLE)
    # the command it shows prints the same derivation
    from glassnet.cli import main

    args = page.inner_text("#explain-command").split()[2:]
    assert main(["explain", *args]) == 0
    assert text in capsys.readouterr().out
    assert page.locator("#m-jacobian td.diag").count() == len(z)
    assert page.locator("#m-step [data-name^='step_b.']").count() == len(z)


def test_an_uploaded_csv_trains_and_a_bad_one_says_why(page: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n0.1,0.2,a\n0.3,oops,b\n")
    page.set_input_files("#upload", str(bad))
    poll(lambda: page.is_visible("#upload-error"), what="the upload error")
    assert "line 3, column 2: expected a number, got 'oops'" in page.inner_text("#upload-error")
    rng = np.random.default_rng(0)
    rows = [(*(rng.normal(size=2) + 3 * np.array(c)), name)
            for name, c in (("cat", (0, 0)), ("dog", (1, 0)), ("eel", (0, 1)), ("fox", (1, 1)))
            for _ in range(30)]  # fmt: skip
    good = tmp_path / "good.csv"
    good.write_text("x1,x2,animal\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    page.set_input_files("#upload", str(good))
    poll(lambda: page.evaluate("window.playground.data.source") == "uploaded", what="the upload")
    assert page.evaluate("window.playground.data.classes") == ["cat", "dog", "eel", "fox"]
    assert not page.is_visible("#upload-error")
    page.click("#play")
    poll(lambda: frame_epoch(page) >= 20, what="training on the upload")
    pause_and_settle(page)
    model = gn.load(download(page, "#download-model", tmp_path))
    assert list(model.classes_) == ["cat", "dog", "eel", "fox"]
    X = np.array([[a, b] for a, b, _ in rows])
    assert np.mean(model.predict(X) == np.array([c for *_, c in rows])) > 0.8


def test_click_to_add_a_point_then_export_the_data_and_snippet(page: Any, tmp_path: Path) -> None:
    n = page.evaluate("window.playground.data.X.length")
    page.select_option("#click-mode", "1")
    page.click("#points", position={"x": 37, "y": 41})
    poll(lambda: page.evaluate("window.playground.data.X.length") == n + 1, what="the new point")
    x, y = page.evaluate(f"window.playground.data.X[{n}]")
    assert page.evaluate(f"window.playground.toPixel({x}, {y})") == pytest.approx([37, 41], abs=0.5)
    rows = list(csv.reader(io.StringIO(download(page, "#download-data", tmp_path).read_text())))
    assert rows[0] == ["x1", "x2", "label"] and len(rows) == n + 2
    assert [float(rows[-1][0]), float(rows[-1][1]), rows[-1][2]] == [x, y, "1"]
    code = download(page, "#download-snippet", tmp_path).read_text()
    assert "gn.train(" in code and "gn.MLPClassifier(" in code and "playground-data.csv" in code


def test_the_settings_live_in_the_url(page: Any, served: Served) -> None:
    page.goto(served.url + "/?dataset=spiral&hidden=6,5,4&lr=0.01&optimizer=sgd")
    poll(lambda: page.evaluate("window.playground.data && "
                               "window.playground.data.settings.dataset === 'spiral'"),
         what="the URL's settings")  # fmt: skip
    assert page.input_value("#lr") == "0.01"
    assert page.locator("#layers input").evaluate_all("i => i.map(e => e.value)") == ["6", "5", "4"]
    assert page.evaluate("window.playground.frame.weights.length") == 4
    page.select_option("#optimizer", "adamw")
    poll(lambda: "optimizer=adamw" in page.url, what="the URL to follow the settings")
    assert "dataset=spiral" in page.url
    page.goto(served.url + "/")
    page.wait_for_function("window.playground.data !== null", timeout=20000)
    assert page.input_value("#dataset") == "moons" and page.input_value("#optimizer") == "adam"
    assert page.locator("#layers input").count() == 2
