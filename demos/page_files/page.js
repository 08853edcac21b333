// The interactive page: the slider picks a recorded update, the selector an example, and the
// step buttons walk one backward pass node by node.  Plain JavaScript, no library: every
// number comes from the JSON that demos/page.py wrote into the page.
"use strict";

(function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const slider = document.getElementById("update");
  const status = document.getElementById("status");
  const select = document.getElementById("example");
  const stepButton = document.getElementById("backprop-step");
  const playButton = document.getElementById("backprop-play");
  const finishButton = document.getElementById("backprop-finish");
  const resetButton = document.getElementById("backprop-reset");
  const stepCaption = document.getElementById("backprop-caption");
  const SVG = "http://www.w3.org/2000/svg";

  // ----- numbers --------------------------------------------------------------------------

  function significant(text) {
    return text.split("e")[0].replace("-", "").replace(".", "").replace(/^0+/, "").length;
  }

  // 4 significant digits, or more where 4 would pass a number off as a rounder one
  // (-0.99998 is not -1): the rule autograd/render.py uses for the same labels.
  function fmt(x) {
    if (x === null || x === undefined) return "undefined";
    if (x === 0) return "0";
    let digits = 4;
    let text = String(Number(x.toPrecision(digits)));
    while (digits < 15 && significant(text) < digits && Number(text) !== x) {
      digits += 1;
      text = String(Number(x.toPrecision(digits)));
    }
    return text;
  }

  function el(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ----- the graphs -----------------------------------------------------------------------

  // Each example's uses of each node, (parent, operand position), in the order backward()
  // adds them: parents from the root down, operands in argument order.
  const uses = page.examples.map(function (example) {
    const out = example.nodes.map(function () { return []; });
    for (let p = example.nodes.length - 1; p >= 0; p--) {
      example.nodes[p].children.forEach(function (c, j) { out[c].push([p, j]); });
    }
    return out;
  });

  // The followed example's graph, copied into the page from its <template>: its svg, its
  // nodes' <g> elements by topological index, its operations and its edges by their
  // titles ("v3->op7").
  const view = document.getElementById("graph-view");
  let graph = null;

  function mount(k) {
    const copy = document.querySelector('template[data-example="' + k + '"]').content;
    view.replaceChildren(copy.cloneNode(true));
    const nodes = page.examples[k].nodes.map(function (_, i) {
      return view.querySelector('g.node[data-node="v' + i + '"]');
    });
    const ops = {};
    view.querySelectorAll("g.node[data-op]").forEach(function (g) {
      ops[g.getAttribute("data-op")] = g;
    });
    const edges = {};
    view.querySelectorAll("g.edge").forEach(function (g) {
      edges[g.querySelector("title").textContent] = g;
    });
    graph = { example: k, svg: view.querySelector("svg"), nodes: nodes, ops: ops, edges: edges };
    zoomTo(zoom);
  }

  // what the step captions call node i of example k
  function name(k, i) {
    const node = page.examples[k].nodes[i];
    if (node.label) return node.label;
    if (node.constant) return "the constant " + fmt(snapshot().graphs[k].data[i]);
    return node.op ? "v" + i + " (" + node.op + ")" : "v" + i;
  }

  function setNode(g, data, grad) {
    const texts = g.querySelectorAll("text");
    // a record is "label | data | grad": the number fields are its last two texts
    texts[texts.length - 2].textContent = "data " + fmt(data);
    texts[texts.length - 1].textContent = grad === undefined ? "grad ?" : "grad " + fmt(grad);
    g.setAttribute("data-value", String(data));
    g.setAttribute("data-grad", grad === undefined ? "" : String(grad));
    g.classList.toggle("pending", grad === undefined);
  }

  // ----- state ----------------------------------------------------------------------------

  let stepping = null; // during a step-through: {next: index to fill, grads: [...]}
  let playing = null;
  let zoom = 1;

  function snapshot() { return page.snapshots[Number(slider.value)]; }
  function example() { return Number(select.value); }

  function clearHighlights() {
    document.querySelectorAll(".current, .user, .flow").forEach(function (g) {
      g.classList.remove("current", "user", "flow");
    });
  }

  function showGraph() {
    const k = example();
    const numbers = snapshot().graphs[k];
    if (graph === null || graph.example !== k) mount(k);
    graph.nodes.forEach(function (g, i) {
      setNode(g, numbers.data[i], stepping ? stepping.grads[i] : numbers.grad[i]);
    });
    document.getElementById("graph-title").textContent =
      "The computation graph of " + page.examples[k].name + ", at update " +
      snapshot().update;
  }

  function stopPlaying() {
    if (playing !== null) clearInterval(playing);
    playing = null;
    playButton.textContent = "Play";
  }

  function resetStepping() {
    stopPlaying();
    stepping = null;
    stepCaption.textContent = "";
    clearHighlights();
    stepButton.disabled = false;
    finishButton.disabled = false;
    playButton.disabled = false;
  }

  function caption(key) {
    const words = page.captions[key];
    const box = document.createDocumentFragment();
    box.append(words.en);
    const zh = document.createElement("span");
    zh.className = "zh";
    zh.lang = "zh";
    zh.textContent = "“" + words.zh + "”";
    box.append(zh);
    return box;
  }

  function showStatus() {
    const snap = snapshot();
    status.textContent = "update " + snap.update + " of " + page.totalUpdates +
      ", loss " + fmt(snap.loss);
    const key = snap.update === 0 ? "start" :
      snap.update === page.totalUpdates ? "end" : "update";
    const box = document.getElementById("update-caption");
    box.replaceChildren(caption(key));
  }

  // ----- the loss curve (inline SVG) ------------------------------------------------------

  const curve = document.getElementById("loss-curve");
  const W = 540, H = 260, LEFT = 58, RIGHT = 12, TOP = 12, BOTTOM = 40;
  let toX, toY;

  function drawCurve() {
    curve.setAttribute("viewBox", "0 0 " + W + " " + H);
    const losses = page.batchLosses.filter(function (x) { return x !== null && x > 0; });
    const marks = page.snapshots.map(function (s) { return s.loss; }).filter(function (x) {
      return x !== null && x > 0;
    });
    const all = losses.concat(marks);
    const lo = Math.log10(Math.min.apply(null, all)), hi = Math.log10(Math.max.apply(null, all));
    const span = Math.max(hi - lo, 0.3);
    const n = Math.max(page.totalUpdates, 1);
    toX = function (u) { return LEFT + (W - LEFT - RIGHT) * u / n; };
    toY = function (loss) {
      return TOP + (H - TOP - BOTTOM) * (hi - Math.log10(Math.max(loss, 1e-300))) / span;
    };
    curve.append(el("rect", { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM,
                              fill: "none", stroke: "#ccc" }));
    for (let e = Math.ceil(lo); e <= Math.floor(lo + span); e++) {
      const y = toY(Math.pow(10, e));
      curve.append(el("line", { x1: LEFT, x2: W - RIGHT, y1: y, y2: y, stroke: "#eee" }));
      curve.append(el("text", { x: LEFT - 6, y: y + 4, "text-anchor": "end", "font-size": 11 },
                      e >= -3 && e < 4 ? String(Math.pow(10, e)) : "1e" + e));
    }
    [0, Math.round(n / 2), n].forEach(function (u) {
      curve.append(el("text", { x: toX(u), y: H - BOTTOM + 16, "text-anchor": "middle",
                                "font-size": 11 }, String(u)));
    });
    curve.append(el("text", { x: (LEFT + W - RIGHT) / 2, y: H - 6, "text-anchor": "middle",
                              "font-size": 12 }, "update"));
    curve.append(el("text", { x: 14, y: (TOP + H - BOTTOM) / 2, "text-anchor": "middle",
                              "font-size": 12,
                              transform: "rotate(-90 14 " + (TOP + H - BOTTOM) / 2 + ")" },
                    page.lossName + " (log scale)"));
    // update i's batch loss was computed before its step, i.e. by the parameters after i - 1
    const points = page.batchLosses.map(function (x, i) {
      return x === null ? null : toX(i) + "," + toY(x).toFixed(1);
    }).filter(Boolean);
    curve.append(el("polyline", { points: points.join(" "), fill: "none", stroke: "#9ec5e8",
                                  "stroke-width": 0.8 }));
    const dark = page.snapshots.filter(function (s) { return s.loss !== null; })
      .map(function (s) { return toX(s.update) + "," + toY(s.loss).toFixed(1); });
    curve.append(el("polyline", { points: dark.join(" "), fill: "none", stroke: "#1f4e79",
                                  "stroke-width": 1.8 }));
    curve.append(el("circle", { id: "loss-marker", r: 6, fill: "#e8590c", stroke: "white",
                                "stroke-width": 1.5 }));
  }

  function moveMarker() {
    const snap = snapshot();
    const marker = document.getElementById("loss-marker");
    marker.setAttribute("cx", toX(snap.update));
    marker.setAttribute("cy", snap.loss === null ? TOP : toY(snap.loss));
  }

  // ----- the decision boundary (canvas) ---------------------------------------------------

  const canvas = document.getElementById("boundary");
  // the shades of demos/deep.py's plot: P(class 1) in bands 0-.1-.3-.5-.7-.9-1
  const LEVELS = [10, 30, 50, 70, 90];
  const SHADES = [[158, 197, 232], [198, 220, 240], [230, 239, 248], [248, 227, 227],
                  [240, 192, 192], [229, 154, 154]];
  const CLASS_COLOURS = ["#1f77b4", "#d62728"];

  function sizeCanvas() {
    const [x0, x1, y0, y1] = page.boundary.extent;
    canvas.width = 420;
    canvas.height = Math.round(420 * (y1 - y0) / (x1 - x0));
  }

  function drawBoundary() {
    if (!page.boundary) return;
    const ctx = canvas.getContext("2d");
    const grid = snapshot().boundary;
    const G = page.boundary.size, w = canvas.width, h = canvas.height;
    const [x0, x1, y0, y1] = page.boundary.extent;
    // P at a canvas pixel: bilinear between the grid's points (row 0 is the bottom)
    function at(px, py) {
      const gx = px / (w - 1) * (G - 1), gy = (h - 1 - py) / (h - 1) * (G - 1);
      const i = Math.min(Math.floor(gx), G - 2), j = Math.min(Math.floor(gy), G - 2);
      const fx = gx - i, fy = gy - j;
      const p00 = grid[j * G + i], p10 = grid[j * G + i + 1];
      const p01 = grid[(j + 1) * G + i], p11 = grid[(j + 1) * G + i + 1];
      return (p00 * (1 - fx) + p10 * fx) * (1 - fy) + (p01 * (1 - fx) + p11 * fx) * fy;
    }
    const image = ctx.createImageData(w, h);
    for (let py = 0; py < h; py++) {
      for (let px = 0; px < w; px++) {
        const p = at(px, py);
        let band = 0;
        while (band < LEVELS.length && p >= LEVELS[band]) band++;
        const o = 4 * (py * w + px);
        image.data.set(SHADES[band], o);
        image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
    // the 50% line: marching squares over the grid's cells
    const sx = function (i) { return i / (G - 1) * (w - 1); };
    const sy = function (j) { return h - 1 - j / (G - 1) * (h - 1); };
    ctx.strokeStyle = "black";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let j = 0; j < G - 1; j++) {
      for (let i = 0; i < G - 1; i++) {
        const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
        const crossings = [];
        for (let c = 0; c < 4; c++) {
          const [ai, aj] = corners[c], [bi, bj] = corners[(c + 1) % 4];
          const a = grid[aj * G + ai] - 50, b = grid[bj * G + bi] - 50;
          if ((a < 0) !== (b < 0)) {
            const t = a / (a - b);
            crossings.push([sx(ai + t * (bi - ai)), sy(aj + t * (bj - aj))]);
          }
        }
        for (let c = 0; c + 1 < crossings.length; c += 2) {
          ctx.moveTo(crossings[c][0], crossings[c][1]);
          ctx.lineTo(crossings[c + 1][0], crossings[c + 1][1]);
        }
      }
    }
    ctx.stroke();
    const toPx = function (x, y) {
      return [(x - x0) / (x1 - x0) * (w - 1), (y1 - y) / (y1 - y0) * (h - 1)];
    };
    page.boundary.points.forEach(function ([x, y, label, heldOut]) {
      const [px, py] = toPx(x, y);
      ctx.fillStyle = CLASS_COLOURS[label];
      ctx.strokeStyle = heldOut ? "black" : "white";
      ctx.lineWidth = 0.8;
      ctx.beginPath();
      if (heldOut) {
        ctx.moveTo(px, py - 4.5); ctx.lineTo(px + 4, py + 3); ctx.lineTo(px - 4, py + 3);
        ctx.closePath();
      } else {
        ctx.arc(px, py, 3.2, 0, 2 * Math.PI);
      }
      ctx.fill();
      ctx.stroke();
    });
    page.examples.forEach(function (ex, k) {
      if (!ex.point) return;
      const [px, py] = toPx(ex.point[0], ex.point[1]);
      const chosen = k === example();
      ctx.strokeStyle = chosen ? "#e8590c" : "black";
      ctx.lineWidth = chosen ? 3 : 1;
      ctx.beginPath();
      ctx.arc(px, py, chosen ? 9 : 7, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillStyle = "black";
      ctx.font = (chosen ? "bold " : "") + "12px Helvetica, Arial, sans-serif";
      ctx.fillText(String(k + 1), px + 9, py - 8);
    });
  }

  // ----- the backward pass, node by node --------------------------------------------------

  function li(text) {
    const item = document.createElement("li");
    item.textContent = text;
    return item;
  }

  function step() {
    const k = example(), numbers = snapshot().graphs[k];
    const nodes = page.examples[k].nodes, n = nodes.length;
    if (stepping === null) {
      stepping = { next: n - 1, grads: new Array(n).fill(undefined) };
      showGraph();
    }
    const i = stepping.next, grads = stepping.grads;
    clearHighlights();
    const lines = document.createDocumentFragment();
    const head = document.createElement("p");
    if (i === n - 1) {
      grads[i] = 1;
      head.textContent = "Step 1: the output " + name(k, i) + " is where backward() starts: " +
        "d " + name(k, i) + " / d " + name(k, i) + " = 1.";
      lines.append(head);
    } else {
      const list = document.createElement("ul");
      let sum = 0, terms = [];
      uses[k][i].forEach(function ([p, j]) {
        const local = numbers.partials[p][j], upstream = grads[p];
        const product = local === null || upstream === null ? null : upstream * local;
        sum = sum === null || product === null ? null : sum + product;
        terms.push(fmt(product));
        list.append(li("used by " + nodes[p].op + " → " + name(k, p) + ": local derivative ∂" +
          name(k, p) + "/∂" + name(k, i) + " = " + fmt(local) + ", × upstream grad " +
          fmt(upstream) + " = " + fmt(product)));
        graph.nodes[p].classList.add("user");
        ["v" + i + "->op" + p, "op" + p + "->v" + p].forEach(function (title) {
          if (graph.edges[title]) graph.edges[title].classList.add("flow");
        });
        if (graph.ops["op" + p]) graph.ops["op" + p].classList.add("user");
      });
      grads[i] = sum;
      const count = uses[k][i].length;
      head.textContent = "Step " + (n - i) + " of " + n + ": grad of " + name(k, i) + " = " +
        (count > 1 ? "the sum over its " + count + " uses of " : "") +
        "local derivative × upstream grad" +
        (count > 1 ? " = " + terms.join(" + ") : "") + " = " + fmt(sum);
      lines.append(head, list);
      if (nodes[i].parameter && sum === 0) {
        const zero = document.createElement("p");
        zero.append(caption("zero"));
        lines.append(zero);
      }
    }
    graph.nodes[i].classList.add("current");
    setNode(graph.nodes[i], numbers.data[i], grads[i]);
    graph.nodes[i].classList.remove("pending");
    stepping.next -= 1;
    if (stepping.next < 0) {
      // an undefined grad (a derivative that does not exist, e.g. of a^b in b for a < 0)
      // can only be a constant's, which backward() leaves as it was: nobody asks for it
      const same = grads.every(function (g, m) { return g === null || g === numbers.grad[m]; });
      const undefinedGrads = grads.filter(function (g) { return g === null; }).length;
      const done = document.createElement("p");
      done.textContent = "Done: every node has its grad, in reverse topological order" +
        (same ? ", and each equals the grad backward() computed." :
          "; some differ from backward()'s grads (see the numbers).") +
        (undefinedGrads ? "  (" + undefinedGrads + " undefined: backward() leaves a " +
          "constant's grad as it was.)" : "");
      lines.append(done);
      stepButton.disabled = finishButton.disabled = playButton.disabled = true;
      stopPlaying();
    }
    stepCaption.replaceChildren(lines);
    reveal(graph.nodes[i]);
  }

  // Scroll the graph's box, not the page, so that the node is in view (centred).
  function reveal(g) {
    const box = document.getElementById("graphs");
    const node = g.getBoundingClientRect(), view = box.getBoundingClientRect();
    if (node.top < view.top || node.bottom > view.bottom) {
      box.scrollTop += (node.top + node.bottom - view.top - view.bottom) / 2;
    }
    if (node.left < view.left || node.right > view.right) {
      box.scrollLeft += (node.left + node.right - view.left - view.right) / 2;
    }
  }

  function play() {
    if (playing !== null) { stopPlaying(); return; }
    playButton.textContent = "Pause";
    playing = setInterval(function () {
      if (stepping !== null && stepping.next < 0) { stopPlaying(); return; }
      step();
    }, 450);
  }

  function finish() {
    stopPlaying();
    do { step(); } while (stepping.next >= 0);
  }

  // ----- wiring ---------------------------------------------------------------------------

  function zoomTo(factor) {
    zoom = Math.min(4, Math.max(0.25, factor));
    const box = graph.svg.viewBox.baseVal;
    graph.svg.setAttribute("width", (box.width * zoom).toFixed(0) + "pt");
    graph.svg.setAttribute("height", (box.height * zoom).toFixed(0) + "pt");
  }

  function refresh() {
    resetStepping();
    showStatus();
    moveMarker();
    drawBoundary();
    showGraph();
  }

  slider.max = String(page.snapshots.length - 1);
  slider.value = "0";
  document.querySelectorAll("[data-caption]").forEach(function (box) {
    box.replaceChildren(caption(box.getAttribute("data-caption")));
  });
  if (page.boundary) sizeCanvas();
  // start with the first graph as wide as its box, unless that makes its text too small
  mount(0);
  const first = graph.svg.viewBox.baseVal.width * 4 / 3; // pt to CSS px
  zoomTo(Math.min(1, Math.max(0.6, document.getElementById("graphs").clientWidth / first)));
  drawCurve();
  // "input" while dragging, "change" when let go (or set by a script): both show the update
  slider.addEventListener("input", refresh);
  slider.addEventListener("change", refresh);
  select.addEventListener("change", refresh);
  stepButton.addEventListener("click", function () { stopPlaying(); step(); });
  playButton.addEventListener("click", play);
  finishButton.addEventListener("click", finish);
  resetButton.addEventListener("click", function () { resetStepping(); showGraph(); });
  document.getElementById("zoom-in").addEventListener("click", function () {
    zoomTo(zoom * 1.25);
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoomTo(zoom / 1.25);
  });
  refresh();
}());
