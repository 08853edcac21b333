"""Tests of the interactive page (demos/page.py): its numbers, its size cap, its options, and
the page itself driven in a real headless browser (Debian's Chromium, through Selenium).

The browser tests skip when Chromium, chromedriver or Selenium is missing, and fail instead
under CI (``CI`` set), where .ci/run installs them.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")  # the deep demo plots

from conftest import missing

import nn
from autograd import Value, topological_order
from demos import backprop, deep, page
from demos.__main__ import main
from nn.losses import cross_entropy

QUICK_SNAPSHOTS = 6


# The page's graphs are drawn by Graphviz's dot (the graphviz_dot fixture of conftest.py).
@pytest.fixture(scope="module")
def deep_run(tmp_path_factory: pytest.TempPathFactory, graphviz_dot: str) -> deep.DeepResult:
    out = tmp_path_factory.mktemp("deep")
    return deep.run(out, quick=True, html=True, snapshots=QUICK_SNAPSHOTS)


@pytest.fixture(scope="module")
def backprop_run(
    tmp_path_factory: pytest.TempPathFactory, graphviz_dot: str
) -> backprop.BackpropResult:
    return backprop.run(tmp_path_factory.mktemp("backprop"), html=True, snapshots=9)


def page_of(result: Any) -> tuple[Path, dict[str, Any]]:
    assert result.page is not None
    path = result.page.path
    return path, page.read_page_data(path.read_text(encoding="utf-8"))


# --- recording ----------------------------------------------------------------------------


def test_chosen_updates_are_evenly_spaced_with_both_ends() -> None:
    assert page.chosen_updates(10, 4) == [0, 3, 6, 10]
    assert page.chosen_updates(3, 10) == [0, 1, 2, 3]  # fewer updates than snapshots
    many = page.chosen_updates(1400, 40)
    assert len(many) == 40 and many[0] == 0 and many[-1] == 1400
    assert all(b - a in (35, 36) for a, b in itertools.pairwise(many))


def line_fit(max_updates: int, callback: Any = None) -> list[Value]:
    """Fit y = w·x + b to three points by full-batch SGD; the parameters after training."""
    w, b = Value(0.0), Value(0.0)
    nn.fit(
        lambda x: w * x + b,
        [0.0, 1.0, 2.0],
        [1.0, 3.0, 5.0],
        loss=nn.losses.mse,
        lr=0.1,
        batch_size=3,
        max_updates=max_updates,
        parameters=[w, b],
        callback=callback,
    )
    return [w, b]


def test_the_recorder_keeps_the_parameters_of_the_chosen_updates() -> None:
    w, b = Value(0.0), Value(0.0)
    recorder = page.Recorder([w, b], [0, 2, 5])
    nn.fit(
        lambda x: w * x + b,
        [0.0, 1.0, 2.0],
        [1.0, 3.0, 5.0],
        loss=nn.losses.mse,
        lr=0.1,
        batch_size=3,
        max_updates=5,
        parameters=[w, b],
        callback=recorder,
    )
    assert recorder.updates == [0, 2, 5]
    assert recorder.values[0] == [0.0, 0.0]
    # the same training stopped after 2 and 5 updates ends where the recorder saw it then
    assert recorder.values[1] == [p.data for p in line_fit(2)]
    assert recorder.values[2] == [p.data for p in line_fit(5)] == [w.data, b.data]


def chain_rule(numbers: page.GraphNumbers, nodes: list[dict[str, Any]]) -> list[float]:
    """The grads page.js computes: each node's sum of local derivative × upstream grad over
    its uses, taken in reverse topological order (a test oracle for the script's order)."""
    n = len(nodes)
    uses: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for p in range(n - 1, -1, -1):
        for j, child in enumerate(nodes[p]["children"]):
            uses[child].append((p, j))
    grads = [0.0] * n
    grads[-1] = 1.0
    for i in range(n - 2, -1, -1):
        total = 0.0
        for p, j in uses[i]:
            local = numbers.partials[p][j]
            assert local is not None
            total += grads[p] * local
        grads[i] = total
    return grads


def test_graph_numbers_are_a_forward_and_backward_pass() -> None:
    a, b = Value(1.5, label="a"), Value(-2.0, label="b")
    c = a * b + a.tanh()  # a is used twice: its grad is a sum over two uses
    loss = (c * c).log()
    loss.backward()
    order = topological_order(loss)
    numbers = page.graph_numbers(loss)
    nodes = page.graph_structure(loss)
    assert numbers.data == [v.data for v in order]
    assert numbers.grad == [v.grad for v in order]
    assert [len(p) for p in numbers.partials] == [len(v.children) for v in order]
    assert chain_rule(numbers, nodes) == numbers.grad  # to the last bit
    # dL/da = dL/dc · (b + tanh'(a)), the sum over a's two uses
    expected = 2 / c.data * (b.data + 1 - math.tanh(a.data) ** 2)
    assert numbers.grad[order.index(a)] == pytest.approx(expected, rel=1e-12)


def test_graph_numbers_have_no_nan_for_json() -> None:
    x = Value(-3.0)
    loss = x**2  # the exponent's derivative is undefined for a negative base
    loss.backward()
    numbers = page.graph_numbers(loss)
    assert numbers.partials[-1][0] == -6.0
    assert numbers.partials[-1][1] is None  # undefined: null in the JSON, "undefined" on the page


# --- the deep page's numbers --------------------------------------------------------------


def test_the_deep_page_records_the_snapshots_asked_for(deep_run: deep.DeepResult) -> None:
    path, data = page_of(deep_run)
    assert path.name == "interactive.html" and path in deep_run.files
    updates = [s["update"] for s in data["snapshots"]]
    assert updates == page.chosen_updates(deep_run.updates, QUICK_SNAPSHOTS)
    assert data["totalUpdates"] == deep_run.updates
    assert len(data["batchLosses"]) == deep_run.updates
    assert deep_run.page is not None
    assert deep_run.page.bytes == path.stat().st_size < 5_000_000
    assert (deep_run.page.snapshots, deep_run.page.recorded) == (QUICK_SNAPSHOTS, QUICK_SNAPSHOTS)
    assert "interactive.html" in deep.report(deep_run)


def followed(data: dict[str, Any]) -> list[tuple[list[float], int]]:
    """The followed examples' points and classes, from the page's data."""
    out = []
    for example in data["examples"]:
        label = int(re.search(r"class (\d)", example["name"])[1])  # type: ignore[index]
        out.append((example["point"], label))
    return out


def test_the_deep_page_numbers_are_fresh_forward_and_backward_passes(
    deep_run: deep.DeepResult,
) -> None:
    path, data = page_of(deep_run)
    initial = nn.MLP(2, [8, 8, 2], seed=0)  # the quick network before training
    final = nn.load(path.parent / "model.json")
    for snapshot, model in ((data["snapshots"][0], initial), (data["snapshots"][-1], final)):
        for k, (point, label) in enumerate(followed(data)):
            root = deep._example_graph(model, point, label)
            model.zero_grad()
            root.backward()
            order = topological_order(root)
            recorded = snapshot["graphs"][k]
            assert recorded["data"] == [v.data for v in order]
            assert recorded["grad"] == [v.grad for v in order]
            assert data["examples"][k]["nodes"] == page.graph_structure(root)


def test_the_page_graph_has_the_whole_networks_grads(deep_run: deep.DeepResult) -> None:
    # The page's graph starts at the last hidden layer; its output-layer weights' grads are
    # the ones backward() gives through the whole network.
    path, data = page_of(deep_run)
    model: Any = nn.load(path.parent / "model.json")
    point, label = followed(data)[0]
    loss = cross_entropy(model(point), label)
    model.zero_grad()
    loss.backward()
    whole = {id(p): p.grad for p in model.layers[-1].parameters()}
    order = topological_order(deep._example_graph(model, point, label))
    recorded = data["snapshots"][-1]["graphs"][0]["grad"]
    compared = [(recorded[i], whole[id(v)]) for i, v in enumerate(order) if id(v) in whole]
    assert len(compared) == len(whole) > 0
    for mine, theirs in compared:
        assert mine == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_the_deep_page_loss_is_the_training_loss(deep_run: deep.DeepResult) -> None:
    path, data = page_of(deep_run)
    final = nn.load(path.parent / "model.json")
    points = data["boundary"]["points"]
    xs = [[x, y] for x, y, _, held_out in points if not held_out]
    ys = [c for _, _, c, held_out in points if not held_out]
    expected = cross_entropy([final(x) for x in xs], ys).data
    assert data["snapshots"][-1]["loss"] == pytest.approx(expected, rel=1e-9)
    assert data["snapshots"][0]["loss"] > 2 * data["snapshots"][-1]["loss"]  # it learned


def test_the_deep_page_boundary_is_the_models_probability(deep_run: deep.DeepResult) -> None:
    path, data = page_of(deep_run)
    final = nn.load(path.parent / "model.json")
    x0, x1, y0, y1 = data["boundary"]["extent"]
    size = data["boundary"]["size"]
    grid = data["snapshots"][-1]["boundary"]
    assert len(grid) == size * size and set(grid) <= set(range(101))
    for i, j in ((0, 0), (size - 1, 0), (size // 2, size // 3), (size - 1, size - 1)):
        x = x0 + (x1 - x0) * i / (size - 1)
        y = y0 + (y1 - y0) * j / (size - 1)
        p = deep._probability_of_class_1(final, [x, y])
        assert grid[j * size + i] == round(100 * p)


def test_the_page_is_self_contained(deep_run: deep.DeepResult) -> None:
    text = deep_run.files[-1].read_text(encoding="utf-8")
    assert not re.search(r"\b(src|href)\s*=", text)  # nothing to load: no scripts, no links
    # the only URLs are XML namespace names, which nothing fetches
    urls = set(re.findall(r"https?://[^\s\"'<>]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert text.count("<svg") >= len(page_of(deep_run)[1]["examples"])
    assert "<script>" in text and "function" in text and "</html>" in text


# --- the backprop page ----------------------------------------------------------------------


def test_the_backprop_page_starts_at_the_demos_neuron(
    backprop_run: backprop.BackpropResult,
) -> None:
    _, data = page_of(backprop_run)
    nodes = data["examples"][0]["nodes"]
    first = data["snapshots"][0]["graphs"][0]
    o = [n["label"] for n in nodes].index("o")
    assert first["data"][o] == backprop_run.output  # the demo's o = sigmoid(w·x + b)
    parameters = [Value(v) for v in backprop.DEFAULT_POINT[2:]]
    root = backprop.page_loss(parameters, backprop.DEFAULT_POINT[:2], 1)
    root.backward()
    assert first["grad"] == [v.grad for v in topological_order(root)]
    assert first["data"][-1] == pytest.approx((backprop_run.output - 1) ** 2, rel=1e-15)
    assert [s["update"] for s in data["snapshots"]] == page.chosen_updates(
        backprop.PAGE_UPDATES, 9
    )
    losses = [s["loss"] for s in data["snapshots"]]
    assert losses == sorted(losses, reverse=True)  # full-batch descent: the loss falls


def test_the_backprop_page_loss_is_the_mean_squared_error(
    backprop_run: backprop.BackpropResult,
) -> None:
    _, data = page_of(backprop_run)
    first = data["snapshots"][0]
    squared = [g["data"][-1] for g in first["graphs"]]  # each point's L = (o - y)²
    assert first["loss"] == pytest.approx(sum(squared) / len(squared), rel=1e-12)


# --- the size cap and the options ---------------------------------------------------------


@pytest.mark.usefixtures("graphviz_dot")
def test_past_the_size_cap_fewer_snapshots_are_kept(tmp_path: Path) -> None:
    full = backprop.run(tmp_path / "full", html=True).page
    assert full is not None and full.snapshots == full.recorded == page.DEFAULT_SNAPSHOTS
    cap = full.bytes * 0.7
    small = backprop.run(tmp_path / "small", html=True, max_html_mb=cap / 1e6).page
    assert small is not None
    assert small.bytes == small.path.stat().st_size <= cap
    assert 2 <= small.snapshots < full.recorded == small.recorded
    assert small.updates[0] == 0 and small.updates[-1] == backprop.PAGE_UPDATES
    kept = page.read_page_data(small.path.read_text(encoding="utf-8"))["snapshots"]
    assert [s["update"] for s in kept] == small.updates
    assert "did not fit the size cap" in page.describe(small)


@pytest.mark.usefixtures("graphviz_dot")
def test_a_cap_too_small_for_two_snapshots_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=r"^page: the interactive page would be .* MB even with 2"):
        backprop.run(tmp_path, html=True, max_html_mb=0.01)
    assert main(["backprop", "--out", str(tmp_path), "--html", "--max-html-mb", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "raise the cap (--max-html-mb)" in err and len(err.splitlines()) == 1


@pytest.mark.usefixtures("graphviz_dot")
def test_the_command_line_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backprop", "--out", str(tmp_path), "--html", "--snapshots", "3"]) == 0
    out = capsys.readouterr().out
    assert "Interactive page: interactive.html" in out and "3 snapshots" in out
    data = page.read_page_data((tmp_path / "interactive.html").read_text(encoding="utf-8"))
    assert [s["update"] for s in data["snapshots"]] == [0, 30, 60]
    assert main(["backprop", "--out", str(tmp_path / "plain")]) == 0
    assert not (tmp_path / "plain" / "interactive.html").exists()  # only with --html


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--snapshots", "1"], "argument --snapshots: the value must be >= 2, got 1"),
        (["--max-html-mb", "0"], "argument --max-html-mb: the value must be a finite number > 0"),
    ],
)
def test_bad_page_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["deep", "--html", *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_page_arguments_name_the_demo_and_the_argument(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"^deep: html must be True or False, got str"):
        deep.run(tmp_path, html="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^backprop: snapshots must be >= 2, got 1"):
        backprop.run(tmp_path, html=True, snapshots=1)
    with pytest.raises(ValueError, match=r"^backprop: max_html_mb must be a finite number > 0"):
        backprop.run(tmp_path, html=True, max_html_mb=-1)


def test_reading_a_page_that_is_not_one_is_an_error() -> None:
    with pytest.raises(ValueError, match="read_page_data: the text has no page data"):
        page.read_page_data("<html></html>")


# --- in the browser -----------------------------------------------------------------------

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # no connections of its own: the page must work with no network at all
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1000",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Selenium, with the console log recorded."""
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if importlib.util.find_spec("selenium") is None:
        missing("Selenium (pip install selenium)")
    if chromium is None or driver_path is None:
        missing("Chromium with chromedriver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium or ""
    with tempfile.TemporaryDirectory() as profile:
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(driver_path or ""), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def open_page(browser: Any, path: Path) -> None:
    browser.get(path.resolve().as_uri())
    assert browser.find_element("id", "status").text.startswith("update 0 of ")


def console_errors(browser: Any) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def shown_nodes(browser: Any) -> list[dict[str, str]]:
    """The visible graph's Value nodes, in topological order: name, text, full numbers."""
    nodes: list[dict[str, str]] = browser.execute_script(
        """
        const box = document.getElementById('graph-view');
        return Array.from(box.querySelectorAll('g.node[data-node]'), g => ({
          node: g.getAttribute('data-node'),
          text: Array.from(g.querySelectorAll('text'), t => t.textContent).join(' | '),
          value: g.getAttribute('data-value'),
          grad: g.getAttribute('data-grad'),
        })).sort((a, b) => a.node.slice(1) - b.node.slice(1));
        """
    )
    return nodes


def number_after(word: str, text: str) -> float:
    return float(re.search(rf"{word} (\S+)", text)[1])  # type: ignore[index]


def assert_shows(nodes: list[dict[str, str]], recorded: dict[str, Any]) -> None:
    assert [n["node"] for n in nodes] == [f"v{i}" for i in range(len(recorded["data"]))]
    for node, data, grad in zip(nodes, recorded["data"], recorded["grad"]):
        assert float(node["value"]) == data and float(node["grad"]) == grad
        # the label shows 4 significant digits (or more)
        assert number_after("data", node["text"]) == pytest.approx(data, rel=6e-4, abs=1e-300)
        assert number_after("grad", node["text"]) == pytest.approx(grad, rel=6e-4, abs=1e-300)


def test_moving_the_slider_shows_the_recorded_update(
    browser: Any, deep_run: deep.DeepResult
) -> None:
    from selenium.webdriver.common.keys import Keys

    path, data = page_of(deep_run)
    open_page(browser, path)
    slider = browser.find_element("css selector", "input#update")
    status = browser.find_element("id", "status")
    assert_shows(shown_nodes(browser), data["snapshots"][0]["graphs"][0])
    seen = []
    for snapshot in data["snapshots"][1:]:
        slider.send_keys(Keys.ARROW_RIGHT)  # as a learner does, from the keyboard
        match = re.fullmatch(r"update (\d+) of (\d+), loss (\S+)", status.text)
        assert match is not None, status.text
        assert (int(match[1]), int(match[2])) == (snapshot["update"], deep_run.updates)
        assert float(match[3]) == pytest.approx(snapshot["loss"], rel=6e-4)
        assert_shows(shown_nodes(browser), snapshot["graphs"][0])
        seen.append(status.text)
    assert len(set(seen)) == len(seen) == QUICK_SNAPSHOTS - 1
    marker = browser.find_element("id", "loss-marker")
    assert float(marker.get_attribute("cx")) > 400  # at the last update, on the right
    assert console_errors(browser) == []


def test_choosing_an_example_shows_its_graph(browser: Any, deep_run: deep.DeepResult) -> None:
    from selenium.webdriver.support.ui import Select

    path, data = page_of(deep_run)
    open_page(browser, path)
    choose = Select(browser.find_element("css selector", "select#example"))
    assert len(choose.options) == len(data["examples"]) >= 2
    for k in range(len(data["examples"])):
        choose.select_by_index(k)
        assert_shows(shown_nodes(browser), data["snapshots"][0]["graphs"][k])
        # the document holds the followed example's graph only: one element per node
        elements = browser.find_elements("css selector", "[data-node]")
        assert len(elements) == len(data["examples"][k]["nodes"])
        assert all(re.search(r"data \S+\ngrad \S+$", e.text) for e in elements)
        title = browser.find_element("id", "graph-title").text
        assert data["examples"][k]["name"] in title
    assert console_errors(browser) == []


def step_through(browser: Any, count: int) -> list[list[str]]:
    """Click the step button ``count`` times; after each click, the nodes with a grad."""
    button = browser.find_element("css selector", "button#backprop-step")
    filled = []
    for _ in range(count):
        button.click()
        filled.append([n["node"] for n in shown_nodes(browser) if n["grad"] != ""])
    return filled


@pytest.mark.parametrize("demo", ["deep", "backprop"])
def test_stepping_fills_the_grads_in_reverse_topological_order(
    browser: Any, demo: str, request: pytest.FixtureRequest
) -> None:
    result = request.getfixturevalue(f"{demo}_run")
    path, data = page_of(result)
    open_page(browser, path)
    from selenium.webdriver.common.keys import Keys

    browser.find_element("css selector", "input#update").send_keys(Keys.ARROW_RIGHT)
    snapshot = data["snapshots"][1]
    n = len(data["examples"][0]["nodes"])
    filled = step_through(browser, n)
    for k, names in enumerate(filled):  # root first, then one more each click, downwards
        assert names == [f"v{i}" for i in range(n - 1 - k, n)]
    grads = [float(node["grad"]) for node in shown_nodes(browser)]
    assert grads == snapshot["graphs"][0]["grad"]  # backward()'s, to the last bit
    caption = browser.find_element("id", "backprop-caption").text
    assert "equals the grad backward() computed" in caption
    assert browser.find_element("id", "backprop-step").get_attribute("disabled") is not None
    assert console_errors(browser) == []


def test_a_step_shows_the_chain_rule_product(browser: Any, deep_run: deep.DeepResult) -> None:
    path, data = page_of(deep_run)
    open_page(browser, path)
    nodes = data["examples"][0]["nodes"]
    numbers = data["snapshots"][0]["graphs"][0]
    # h1 feeds both output neurons: its grad is a sum over two uses
    h1 = [node["label"] for node in nodes].index("h1")
    filled = step_through(browser, len(nodes) - h1)
    assert filled[-1][0] == f"v{h1}"
    caption = browser.find_element("id", "backprop-caption").text
    assert "grad of h1 = the sum over its 2 uses of local derivative × upstream grad" in caption
    users = [p for p in range(len(nodes) - 1, -1, -1) if h1 in nodes[p]["children"]]
    lines = re.findall(r"local derivative ∂.*= (\S+), × upstream grad (\S+) = (\S+)", caption)
    assert len(lines) == len(users) == 2  # one line per use, in the order backward() adds them
    for p, (local, upstream, product) in zip(users, lines):
        expected = numbers["partials"][p][nodes[p]["children"].index(h1)]
        assert float(local) == pytest.approx(expected, rel=6e-4)
        assert float(upstream) == pytest.approx(numbers["grad"][p], rel=6e-4)
        assert float(product) == pytest.approx(expected * numbers["grad"][p], rel=6e-4)
    shown = number_after("grad", shown_nodes(browser)[h1]["text"])
    assert shown == pytest.approx(numbers["grad"][h1], rel=6e-4)
    assert console_errors(browser) == []


def test_the_page_looks_like_something(
    browser: Any, deep_run: deep.DeepResult, tmp_path: Path
) -> None:
    image_module = pytest.importorskip("PIL.Image")
    stat_module = pytest.importorskip("PIL.ImageStat")
    path, _ = page_of(deep_run)
    open_page(browser, path)
    png = browser.get_screenshot_as_png()
    (tmp_path / "page.png").write_bytes(png)
    image = image_module.open(io.BytesIO(png)).convert("RGB")
    assert image.size[0] >= 1000
    spread = stat_module.Stat(image).stddev
    assert min(spread) > 20  # not one flat colour
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 200  # text, curves, shading
    # the decision boundary is drawn: both classes' shades are on the canvas
    canvas = browser.find_element("id", "boundary")
    assert canvas.size["width"] > 300
    shades = browser.execute_script(
        """
        const c = document.getElementById('boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let blue = 0, red = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 2] > d[i] + 20) blue++; else if (d[i] > d[i + 2] + 20) red++;
        }
        return [blue, red];
        """
    )
    assert min(shades) > 1000
    assert math.isfinite(float(browser.find_element("id", "status").text.rsplit(" ", 1)[1]))
    assert console_errors(browser) == []


def test_without_graphviz_the_page_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(RuntimeError, match=r"^page: the interactive page draws its graphs with"):
        backprop.run(tmp_path / "out", html=True)
    assert not (tmp_path / "out" / "interactive.html").exists()
