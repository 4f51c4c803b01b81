// The Tuning lab's (lr, β) map: the figure, drawn by Plotly.react only when a new map arrives (a
// new token; the server sends a figure only with a new token, and again when asked: "missing"),
// and the visitor's (lr, β) as a ring laid over the plot, moved by setting its position (plotly
// redraws nothing). Its β and lr sliders move the ring and the sentence about the run there
// while they are dragged and send the value on release, and a click on a cell sends that cell's
// lr and β. Data: ui/lab_map.py.

const LAB_MAPS = new WeakMap();
const CONFIG = { displaylogo: false, responsive: true };
const NAMES = ["beta", "lr"];
const shown = { beta: (b) => String(+b.toFixed(4)), lr: (v) => String(+v.toPrecision(4)) };

function build(parent) {
  // parentElement also holds the component's <style>: add to it, never overwrite it
  const root = document.createElement("div");
  root.className = "mvl";
  root.innerHTML = `
    <div class="mvl-sliders">
      <label class="mvl-slider mvl-beta"><span>β <b></b></span>
        <input type="range" min="0" step="1" aria-label="your momentum β"></label>
      <label class="mvl-slider mvl-lr"><span>lr <b></b></span>
        <input type="range" min="0" step="1" aria-label="your learning rate"></label>
    </div>
    <div class="mvl-said"><b>Your setting</b> (○): <span></span></div>
    <div class="mvl-plot"><div class="mvl-map"></div>
      <div class="mvl-mine" title="your lr, β"></div></div>`;
  parent.appendChild(root);
  const $ = (q) => root.querySelector(q);
  const s = { root, map: $(".mvl-map"), ring: $(".mvl-mine"), said: $(".mvl-said span"),
              input: { beta: $(".mvl-beta input"), lr: $(".mvl-lr input") },
              value: { beta: $(".mvl-beta b"), lr: $(".mvl-lr b") },
              token: null, api: null, cells: null, data: null, moved: "beta", sent: null,
              drawing: Promise.resolve() };
  for (const name of NAMES) {
    const input = s.input[name];
    input.addEventListener("input", () => { s.moved = name; show(s); });
    input.addEventListener("change", () => {
      const value = s.data.sliders[name].values[+input.value];
      s.sent = { name, value };
      s.input[name === "beta" ? "lr" : "beta"].disabled = true; // its positions are for the old value
      s.api.setStateValue(name, value);
    });
  }
  return s;
}

// The slider last moved decides: its value under the pointer, the other slider's own value.
function setting(s) {
  const at = {};
  for (const name of NAMES) {
    const slider = s.data.sliders[name];
    at[name] = name === s.moved ? +s.input[name].value : slider.index;
  }
  const other = s.moved === "beta" ? "lr" : "beta";
  const sliders = s.data.sliders;
  return { beta: sliders.beta.values[at.beta], lr: sliders.lr.values[at.lr],
           said: sliders[s.moved].said[at[s.moved]], reset: other };
}

function show(s) {
  const now = setting(s);
  const other = s.data.sliders[now.reset];
  s.input[now.reset].value = other.index; // the other slider shows the setup's own value
  for (const name of NAMES) {
    s.value[name].textContent = shown[name](now[name]);
    s.input[name].dataset.value = now[name];
  }
  s.said.textContent = now.said;
  s.mine = [now.lr, now.beta];
  placeMine(s);
}

// The ring's place at (lr, β) (lr on a log axis), through the plot's own axes, hidden outside
// them.
function placeMine(s) {
  const full = s.map._fullLayout;
  if (!full || !s.mine) return;
  const xa = lrAxis(s), ya = full.yaxis;
  s.root.dataset.mine = `${s.mine[0]},${s.mine[1]}`;
  const px = xa.l2p(Math.log10(s.mine[0])), py = ya.l2p(s.mine[1]);
  const inside = px >= 0 && px <= xa._length && py >= 0 && py <= ya._length;
  s.ring.style.display = inside ? "block" : "none";
  s.ring.style.left = `${xa._offset + px}px`;
  s.ring.style.top = `${ya._offset + py}px`;
}

function cellClicked(s, e) {
  const point = e.points.find((p) => p.data.type === "heatmap");
  if (!point || !s.cells) return;
  const [row, col] = point.pointNumber; // every layer has the same cells
  s.api.setTriggerValue("cell", { lr: s.cells.lrs[col], beta: s.cells.betas[row] });
}

function update(s, data) {
  s.data = data;
  // data from a rerun older than the value sent: keep showing the value sent (its rerun's data
  // follows), so quick key presses are not undone
  const sent = s.sent && data.sliders[s.sent.name];
  const waiting = sent && sent.values[sent.index] !== s.sent.value;
  if (!waiting) s.sent = null;
  for (const name of NAMES) {
    const slider = data.sliders[name];
    const keep = waiting && s.sent.name === name ? slider.values.indexOf(s.sent.value) : -1;
    s.input[name].max = slider.values.length - 1;
    s.input[name].value = keep >= 0 ? keep : slider.index;
    s.input[name].disabled = !!waiting && s.sent.name !== name;
  }
  s.moved = waiting ? s.sent.name : "beta";
  show(s);
}

// The layout with room for every label, as st.plotly_chart gives it: the axes' tick labels and
// titles inside the figure (automargin), and a legend below the plot at the figure's foot, so
// that on a narrow screen turned tick labels never run into it.
function roomy(layout) {
  const below = layout.legend && layout.legend.y < 0 && !layout.legend.yref;
  const lr = layout.xaxis2 ? "xaxis2" : "xaxis"; // the visible lr axis (see onCategories)
  return { ...layout,
    [lr]: { automargin: true, ...layout[lr] }, yaxis: { automargin: true, ...layout.yaxis },
    legend: below ? { ...layout.legend, yref: "container", y: 0, yanchor: "bottom" }
      : layout.legend };
}

// The map's cells, drawn cheaply. On a log axis plotly paints every cell of every heatmap into
// a plot-sized canvas and encodes it as a PNG at each draw; on a linear axis with evenly spaced
// cells it paints one pixel per cell and lets the browser stretch the image (its "fast" path),
// several times quicker. So in a map whose cells list their lrs (meta.lrs, evenly spaced in
// log lr) the heatmaps go on a hidden category axis x, one category per lr (its label is what
// the hover shows), and everything else on the visible log axis, now x2, laid over it (and so
// drawn above the cells), with ranges that put each cell where it was. A zoom moves both
// (``alignCells`` checks). Their z, meta and names are unchanged.
function cellLabels(lrs) {
  for (let digits = 4; digits < 17; digits++) {
    const labels = lrs.map((v) => v.toPrecision(digits));
    if (new Set(labels).size === labels.length) return labels;
  }
  return null;
}

function onCategories(traces, layout) {
  const cells = traces.find((t) => t.type === "heatmap" && t.meta && t.meta.lrs);
  const lrs = cells && cells.meta.lrs;
  const labels = lrs && lrs.length > 1 && layout.xaxis && layout.xaxis.type === "log"
    && layout.xaxis.range && cellLabels(lrs);
  if (!labels) return { traces, layout, toCell: null };
  const c0 = Math.log10(lrs[0]), step = (Math.log10(lrs[lrs.length - 1]) - c0) / (lrs.length - 1);
  const toCell = (logLr) => (logLr - c0) / step; // position on the log axis → cell index
  const moved = traces.map((t) => (t.type === "heatmap" ? { ...t, x: labels,
    hovertemplate: t.hovertemplate && t.hovertemplate.replace("%{x:.4g}", "%{x}") }
    : { ...t, xaxis: "x2" }));
  return { traces: moved, toCell, layout: { ...layout,
    xaxis: { type: "category", visible: false, range: layout.xaxis.range.map(toCell) },
    xaxis2: { ...layout.xaxis, overlaying: "x", anchor: "y", side: "bottom" } } };
}

// The axis lr is drawn on: the log axis, x2 when the cells have their own.
function lrAxis(s) {
  const full = s.map._fullLayout;
  return s.toCell ? full.xaxis2 : full.xaxis;
}

// After a zoom, a pan or a reset: the cells' axis follows the lr axis, if it did not already.
function alignCells(s) {
  const full = s.map._fullLayout;
  if (!s.toCell || !full || !full.xaxis2) return;
  const want = full.xaxis2.range.map(s.toCell), have = full.xaxis.range;
  if (Math.abs(want[0] - have[0]) + Math.abs(want[1] - have[1]) > 1e-6) {
    s.Plotly.relayout(s.map, { "xaxis.range": want });
  }
}

function draw(s, data, Plotly) {
  s.Plotly = Plotly;
  if (s.token === data.token) return null;
  if (!data.figure) { // sent once per map: this one was drawn elsewhere (an element mounted anew)
    if (s.asked !== data.token) s.api.setTriggerValue("missing", data.token);
    s.asked = data.token;
    return null;
  }
  s.token = data.token;
  const cells = data.figure.data.find((t) => t.meta && t.meta.lrs);
  s.cells = cells ? cells.meta : null; // a map whose cells can be clicked lists them
  const { traces, layout, toCell } = onCategories(data.figure.data, data.figure.layout);
  s.toCell = toCell;
  s.map.style.minHeight = `${layout.height}px`; // its room kept from the start: no jump
  return Plotly.react(s.map, traces, roomy(layout), CONFIG).then(() => {
    if (!s.listening) {
      s.map.on("plotly_click", (e) => cellClicked(s, e));
      s.map.on("plotly_afterplot", () => placeMine(s)); // a resize or a new map moves the axes
      s.map.on("plotly_relayout", () => alignCells(s));
      s.listening = true;
    }
    placeMine(s);
  });
}

export default function (component) {
  const { data, parentElement, setStateValue, setTriggerValue } = component;
  let s = LAB_MAPS.get(parentElement);
  if (!s) {
    s = build(parentElement);
    LAB_MAPS.set(parentElement, s);
  }
  s.api = { setStateValue, setTriggerValue };
  update(s, data);
  // one drawing at a time: a map that arrives while the last is being drawn waits for it
  s.drawing = s.drawing.then(() => loadPlotly(data.plotly)).then((Plotly) => draw(s, data, Plotly))
    .catch((e) => console.error("lab map", e));
}
