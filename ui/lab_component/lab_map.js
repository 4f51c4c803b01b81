// The Tuning lab's map: the sweep's figure, drawn by Plotly.react only when a new map arrives
// (a new token), and the visitor's (lr, β) as a ring laid over the plot, moved by setting its
// position (plotly redraws nothing). A click on a cell sends that cell's lr and β.
// Data: ui/lab_map.py.

const LAB_MAPS = new WeakMap();
const CONFIG = { displaylogo: false, responsive: true };
const MINE_LEGEND = { type: "scatter", x: [null], y: [null], mode: "markers",
  name: "your lr, β", hoverinfo: "skip",
  marker: { symbol: "circle-open", size: 16, color: "#000000", line: { width: 2.5 } } };

function build(parent) {
  // parentElement also holds the component's <style>: add to it, never overwrite it
  const root = document.createElement("div");
  root.className = "mvl";
  root.innerHTML = '<div class="mvl-map"></div><div class="mvl-mine" title="your lr, β"></div>';
  parent.appendChild(root);
  const s = { root, map: root.querySelector(".mvl-map"), ring: root.querySelector(".mvl-mine"),
              token: null, api: null, cells: null, mine: null, drawing: Promise.resolve() };
  return s;
}

// The ring's place: (lr, β) through the plot's own axes (lr on a log axis), hidden outside them.
function placeMine(s) {
  const full = s.map._fullLayout;
  if (!full || !s.mine) return;
  const xa = full.xaxis, ya = full.yaxis;
  const px = xa.l2p(Math.log10(s.mine[0])), py = ya.l2p(s.mine[1]);
  const inside = px >= 0 && px <= xa._length && py >= 0 && py <= ya._length;
  s.ring.style.display = inside ? "block" : "none";
  s.ring.style.left = `${xa._offset + px}px`;
  s.ring.style.top = `${ya._offset + py}px`;
  s.root.dataset.mine = `${s.mine[0]},${s.mine[1]}`;
}

function cellClicked(s, e) {
  const point = e.points.find((p) => p.data.type === "heatmap");
  if (!point || !s.cells) return;
  const [row, col] = point.pointNumber; // every layer has the same cells
  s.api.setTriggerValue("cell", { lr: s.cells.lrs[col], beta: s.cells.betas[row] });
}

function draw(s, data, Plotly) {
  s.mine = data.mine;
  if (s.token === data.token) {
    placeMine(s);
    return null;
  }
  s.token = data.token;
  const { data: traces, layout } = data.figure;
  s.cells = traces.find((t) => t.meta && t.meta.lrs).meta;
  return Plotly.react(s.map, traces.concat([MINE_LEGEND]), layout, CONFIG).then(() => {
    if (!s.listening) {
      s.map.on("plotly_click", (e) => cellClicked(s, e));
      s.map.on("plotly_afterplot", () => placeMine(s)); // a resize or a new map moves the axes
      s.listening = true;
    }
    placeMine(s);
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let s = LAB_MAPS.get(parentElement);
  if (!s) {
    s = build(parentElement);
    LAB_MAPS.set(parentElement, s);
  }
  s.api = { setTriggerValue };
  // one drawing at a time: a mark moved while the map is still being drawn waits for it
  s.drawing = s.drawing.then(() => loadPlotly(data.plotly)).then((Plotly) => draw(s, data, Plotly))
    .catch((e) => console.error("lab map", e));
}
