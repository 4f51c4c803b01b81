// The Playground's stage: the map with every run's path, the balls and arrows at the current
// step, and the loss chart, redrawn by Plotly.react from precomputed exact families while the
// β or lr slider is dragged. Data: momentum_viz/stage.py (stage_data). No build step.

const STAGES = new WeakMap();
const SPEEDS = [0.25, 0.5, 1, 2, 4];
// ▶ and ⏸ as drawings, not characters: a font without ⏸ (U+23F8) showed an empty box, and an
// emoji font draws it in colour beside a plain ▶.
const PLAY_ICON = '<svg viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true">' +
  '<path d="M4 2.5v11l9.5-5.5z" fill="currentColor"/></svg>';
const PAUSE_ICON = '<svg viewBox="0 0 16 16" width="1em" height="1em" aria-hidden="true">' +
  '<path d="M3.5 2.5h3v11h-3zm6 0h3v11h-3z" fill="currentColor"/></svg>';
const BASE_FPS = 25; // frames a second at 1×: 200 steps in 8 s
const ARROW_FRACTION = 0.12;
const MAX_DOTS = 600; // a path of up to this many points shows a dot at every step
const DOT_RADIUS = 2;

// -- decoding ----------------------------------------------------------------------------------
function bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function float48(b64) {
  const six = bytes(b64);
  const n = six.length / 6;
  const full = new Uint8Array(8 * n);
  for (let i = 0; i < n; i++) full.set(six.subarray(6 * i, 6 * i + 6), 8 * i + 2);
  return new Float64Array(full.buffer);
}
const f32 = (b64) => new Float32Array(bytes(b64).buffer);
const f64 = (b64) => new Float64Array(bytes(b64).buffer);
const i32 = (b64) => new Int32Array(bytes(b64).buffer);

// A run's path, velocity and gradient. Sent: positions (exact to 7e-12) and f − f*. With every
// step sent, v and ∇f follow from the positions by inverting the update rule
// (optimizers.update): d_k = (θ_k − θ_{k+1})/lr is g_k for SGD, v_{k+1} for momentum and EMA,
// and (1+β)v_{k+1} − βv_k for Nesterov.
function decodeRun(p, noise) {
  if (p._run) return p._run;
  const xy = float48(p.xy);
  const n = p.n;
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0; i < n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
  const run = { x, y, f: f32(p.f), n };
  if (p.step) {
    const s = f32(p.step), g = f32(p.grad);
    run.sx = new Float64Array(n); run.sy = new Float64Array(n);
    run.gx = new Float64Array(n); run.gy = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      run.sx[i] = s[2 * i]; run.sy[i] = s[2 * i + 1]; run.gx[i] = g[2 * i]; run.gy[i] = g[2 * i + 1];
    }
    run.speed = f32(p.speed);
    run.rows = p.rows ? i32(p.rows) : null; // thinned: the steps shown
  } else {
    const { lr, beta, opt } = p;
    run.sx = new Float64Array(n); run.sy = new Float64Array(n);
    run.gx = new Float64Array(n); run.gy = new Float64Array(n);
    run.speed = new Float64Array(n);
    let vx = 0, vy = 0; // v_k, the velocity that carried the run to θ_k
    for (let k = 0; k < n; k++) {
      run.speed[k] = Math.hypot(vx, vy);
      if (k === n - 1) {
        if (p.gLast) { run.gx[k] = p.gLast[0]; run.gy[k] = p.gLast[1]; }
        break;
      }
      run.sx[k] = x[k + 1] - x[k]; run.sy[k] = y[k + 1] - y[k];
      const dx = -run.sx[k] / lr, dy = -run.sy[k] / lr;
      let nx, ny, gx, gy;
      if (opt === "sgd") { gx = dx; gy = dy; nx = dx; ny = dy; }
      else if (opt === "nesterov") {
        nx = (beta * vx + dx) / (1 + beta); ny = (beta * vy + dy) / (1 + beta);
        gx = nx - beta * vx; gy = ny - beta * vy;
      } else if (opt === "ema") {
        nx = dx; ny = dy; gx = (nx - beta * vx) / (1 - beta); gy = (ny - beta * vy) / (1 - beta);
      } else { nx = dx; ny = dy; gx = nx - beta * vx; gy = ny - beta * vy; }
      if (noise) { gx -= noise[2 * k]; gy -= noise[2 * k + 1]; } // the exact ∇f, as drawn
      run.gx[k] = gx; run.gy[k] = gy;
      vx = nx; vy = ny;
    }
  }
  p._run = run;
  return run;
}

const fmt = (v) => (v === null || !Number.isFinite(v) ? "—" : v === 0 ? "0" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toPrecision(4));
const ordinal = (n) => n + ((n % 100 >= 11 && n % 100 <= 13) ? "th" : ({ 1: "st", 2: "nd", 3: "rd" })[n % 10] || "th");
const fmtBeta = (b) => String(+b.toFixed(4));
const fmtLr = (v) => String(+v.toPrecision(4));

// -- the stage ---------------------------------------------------------------------------------
function build(parent, api) {
  // parentElement also holds the component's <style>: add to it, never overwrite it
  const root = document.createElement("div");
  parent.appendChild(root);
  root.innerHTML = `
  <div class="mvs" tabindex="0" aria-label="Paths: space plays, arrow keys step">
    <div class="mvs-sliders">
      <label class="mvs-slider mvs-beta"><span>β <b class="mvs-val"></b></span>
        <input type="range" min="0" step="1" aria-label="momentum β"></label>
      <label class="mvs-slider mvs-lr"><span>lr <b class="mvs-val"></b></span>
        <input type="range" min="0" step="1" aria-label="learning rate"></label>
    </div>
    <div class="mvs-player">
      <button class="mvs-play" title="Play / pause (space)" aria-label="Play">${PLAY_ICON}</button>
      <button class="mvs-back" title="Step −1 (←)">−1</button>
      <button class="mvs-fwd" title="Step +1 (→)">+1</button>
      <input class="mvs-scrub" type="range" min="0" step="1" value="0" aria-label="step">
      <span class="mvs-step"></span>
      <select class="mvs-speed" title="Speed">${SPEEDS.map((s) => `<option value="${s}"${s === 1 ? " selected" : ""}>${s}×</option>`).join("")}</select>
      <label class="mvs-dir" title="Draw both arrows the same length"><input type="checkbox"> direction only</label>
    </div>
    <div class="mvs-main">
      <div class="mvs-mapbox"><div class="mvs-map"></div><div class="mvs-cbar"></div></div>
      <div class="mvs-side">
        <div class="mvs-readout"></div>
        <div class="mvs-work"><div class="mvs-work-head">This step in numbers
          <select class="mvs-work-pick" aria-label="the run to show in numbers"></select></div>
          <div class="mvs-work-body"></div></div>
        <div class="mvs-loss"></div>
        <div class="mvs-note"></div>
      </div>
    </div>
  </div>`;
  const $ = (s) => root.querySelector(s);
  const el = {
    stage: $(".mvs"), map: $(".mvs-map"), cbar: $(".mvs-cbar"), loss: $(".mvs-loss"), readout: $(".mvs-readout"),
    play: $(".mvs-play"), back: $(".mvs-back"), fwd: $(".mvs-fwd"), scrub: $(".mvs-scrub"),
    step: $(".mvs-step"), speed: $(".mvs-speed"), dir: $(".mvs-dir input"), note: $(".mvs-note"),
    beta: $(".mvs-beta input"), betaLabel: $(".mvs-beta"), betaVal: $(".mvs-beta .mvs-val"),
    lr: $(".mvs-lr input"), lrLabel: $(".mvs-lr"), lrVal: $(".mvs-lr .mvs-val"),
    work: $(".mvs-work"), workPick: $(".mvs-work-pick"), workBody: $(".mvs-work-body"),
  };
  const s = { api, el, data: null, token: null, frame: 0, playing: false, family: "beta",
              index: { beta: 0, lr: 0 }, pending: null, Plotly: null, raf: 0,
              scroller: scroller(parent) };

  const setFrame = (i) => {
    const last = s.shown.length - 1;
    s.frame = Math.max(0, Math.min(last, i));
    draw(s, false);
  };
  el.play.addEventListener("click", () => toggle(s));
  el.back.addEventListener("click", () => { stop(s); setFrame(s.frame - 1); });
  el.fwd.addEventListener("click", () => { stop(s); setFrame(s.frame + 1); });
  el.scrub.addEventListener("input", () => { stop(s); setFrame(+el.scrub.value); });
  el.dir.addEventListener("change", () => draw(s, false));
  el.workPick.addEventListener("change", () => {
    s.workPick = +el.workPick.value;
    draw(s, false);
    api.setStateValue("worked", s.workPick); // the server works that run out (−1: none)
  });
  el.speed.addEventListener("change", () => { s.clock = null; });
  for (const name of ["beta", "lr"]) {
    const input = el[name];
    // a key's "input" and "change" come together: its redraw waits for the value to be sent
    input.addEventListener("keydown", () => { s.keyed = true; });
    input.addEventListener("pointerdown", () => { s.keyed = false; });
    input.addEventListener("input", () => {
      if (!s.scrubbing) s.lossDrawnFor = null; // a drag's loss chart fits the whole family
      s.family = name;
      s.index[name] = +input.value;
      s.scrubbing = true; // while dragging: the seeds' cloud gives way to the family's paths
      if (s.keyed) { showValues(s); drawSoon(s); } // the value at once, the paths next
      else draw(s, true); // a drag: at once, the pointer's position
      // the (lr, β) shown, for the page's other pictures that follow it (the theory page's
      // rate map and critical-damping chart, ui/plotly_live_component/plotly_live.js)
      const shown = (n) => {
        const fam = s.data.families[n];
        return fam.values[n === name ? s.index[n] : fam.index];
      };
      document.dispatchEvent(new CustomEvent("momentum-viz-scrub",
        { detail: { beta: shown("beta"), lr: shown("lr") } }));
    });
    input.addEventListener("change", () => {
      const value = s.data.families[name].values[+input.value];
      s.pending = name; // the other family is for the old value until the rerun's data comes
      s.sent = { name, value };
      el[name === "beta" ? "lr" : "beta"].disabled = true;
      api.setStateValue(name, value); // first: the server's run starts while the map redraws
      s.scrubbing = false;
      drawSoon(s);
    });
  }
  s.setFrame = setFrame;
  el.stage.addEventListener("keydown", (e) => { if (!s.present) onKey(s, e); });
  el.map.addEventListener("click", (e) => clickStart(s, e));
  new ResizeObserver(() => { if (s.Plotly && s.data) relayout(s); }).observe(el.stage);
  // what is above the map can change its height (a row of the page settling after the first
  // draw) without the stage changing its own size: the page's content is watched too, and the
  // map laid out again when its room changed
  const content = s.scroller ? s.scroller.firstElementChild : document.body;
  if (content) {
    new ResizeObserver(() => {
      if (s.Plotly && s.data && s.mapLayout && !narrow(s) && roomBelow(s) !== s.room) relayout(s);
    }).observe(content);
  }
  return s;
}

function update(s, data) {
  s.api = s.api || {};
  s.tour = !!data.tour;
  present(s, !!data.present);
  if (s.token === data.token) {
    if (s.data && s.data.partial && !data.partial) withFamilies(s, data);
    return;
  }
  const same = samePicture(s, data);
  s.token = data.token;
  s.el.stage.dataset.token = data.token;
  s.data = data;
  s.pending = null;
  s.shown = i32(data.shown);
  s.noise = data.noise ? f64(data.noise) : null;
  s.cloud = data.cloud ? decodeCloud(data) : null;
  s.cloudSteps = data.cloud ? i32(data.cloud.steps) : null;
  const { el } = s;
  // data from a rerun older than the last value sent: keep showing the value sent (its rerun's
  // data follows), so quick key presses are not undone
  const newer = s.sent && data.families[s.sent.name].values[data.families[s.sent.name].index] !== s.sent.value
    ? s.sent : null;
  if (!newer) s.sent = null;
  for (const name of ["beta", "lr"]) {
    const fam = data.families[name];
    const keep = newer && newer.name === name ? fam.values.indexOf(newer.value) : -1;
    s.index[name] = keep >= 0 ? keep : fam.index;
    el[name].max = fam.values.length - 1;
    el[name].value = s.index[name];
    el[name].disabled = !!newer && newer.name !== name;
    el[name + "Label"].style.display = fam.scrub ? "" : "none";
  }
  s.family = newer ? newer.name : "beta";
  s.lossRanges = {};
  if (!same) s.lossDrawnFor = null;
  el.stage.classList.toggle("mvs-quiz-hidden", hidden(data));
  el.scrub.max = s.shown.length - 1;
  if (s.frame > s.shown.length - 1) s.frame = 0;
  workPicker(s);
  el.note.textContent = data.thinned
    ? `${data.steps} steps: ${s.shown.length} of them are drawn and animated (every ` +
      `${ordinal(Math.round(data.steps / (s.shown.length - 1)))} or so), each at its exact position.`
    : "";
  loadPlotly(data.plotly).then((Plotly) => {
    s.Plotly = Plotly;
    if (same) draw(s, false); // the map shows these paths already: only the balls, readout and panel
    else relayout(s);
    el.stage.dataset.families = data.partial ? "loading" : "ready";
    // the setup's own runs are drawn: now ask for the families (the stage's rerun sends them)
    if (data.partial) {
      Promise.resolve(s.drawn).then(() => {
        if (s.data === data) s.api.setStateValue("families", data.familiesToken);
      });
    }
  });
}

// Whether new data would draw the very map the stage shows (a released β or lr, whose paths
// were drawn from the family while the slider moved): the same picture, view and runs, the
// runs shown now at exactly the new data's released positions. Then the map is not drawn again.
const PICTURE_KEYS = ["bounds", "axes", "image", "minima", "start", "steps", "shown", "thinned",
  "noise", "loss", "runs", "arrowsFor", "present"];
function samePicture(s, data) {
  const old = s.data;
  if (!old || !s.mapData || old.cloud || data.cloud || old.quiz || data.quiz) return false;
  if (PICTURE_KEYS.some((k) => JSON.stringify(old[k]) !== JSON.stringify(data[k]))) return false;
  const fam = old.families[s.family];
  const drawn = fam.rows[s.index[s.family]] || fam.rows[fam.index];
  const next = data.families.beta.rows[data.families.beta.index];
  return !!drawn && !!next && drawn.length === next.length && drawn.every((ref, j) => {
    const a = old.pool[ref], b = data.pool[next[j]];
    return ["xy", "f", "label", "opt", "lr", "beta", "diverged", "last", "step", "grad", "speed",
      "rows"].every((k) => a[k] === b[k]) && JSON.stringify(a.gLast) === JSON.stringify(b.gLast);
  });
}

// The families arrive (the same runs as drawn, and every other row): scrubbing can show any
// value now; a slider moved while they were on their way is drawn at its value.
function withFamilies(s, data) {
  s.data = data;
  s.lossRanges = {};
  s.el.stage.dataset.families = "ready";
  const f = data.families;
  if (s.scrubbing || s.index.beta !== f.beta.index || s.index.lr !== f.lr.index) draw(s, true);
}

// The many-seed view (stage.py cloud_data): per run, every seed's path at the cloud's steps
// (NaN between paths: one trace), the mean path and the loss's median and 10–90 % band at the
// shown steps, as a run the ball rides (its "loss" the median).
function decodeCloud(data) {
  const { cloud } = data;
  const shown = i32(data.shown);
  return cloud.runs.map((c) => {
    const flat = f32(c.paths), m = cloud.count, n = cloud.seeds;
    const fx = new Float64Array(n * (m + 1)), fy = new Float64Array(n * (m + 1));
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < m; k++) {
        fx[i * (m + 1) + k] = flat[2 * (i * m + k)]; fy[i * (m + 1) + k] = flat[2 * (i * m + k) + 1];
      }
      fx[i * (m + 1) + m] = NaN; fy[i * (m + 1) + m] = NaN;
    }
    const xy = float48(c.mean), median = f32(c.median);
    let len = 0; // the mean path ends where a seed diverged (the mean of all paths ends there)
    while (len < shown.length && Number.isFinite(xy[2 * len]) && Number.isFinite(xy[2 * len + 1])) len++;
    const x = new Float64Array(len), y = new Float64Array(len);
    for (let k = 0; k < len; k++) { x[k] = xy[2 * k]; y[k] = xy[2 * k + 1]; }
    const nan = new Float64Array(len).fill(NaN);
    return { fx, fy, low: f32(c.low), high: f32(c.high), median, diverged: c.diverged, spread: c.spread,
             run: { x, y, n: Math.max(len, 1), f: median, speed: nan, sx: nan, sy: nan, gx: nan, gy: nan, rows: null } };
  });
}

// The cloud shows at the setup's own β and lr (the released values), not while dragging.
function cloudOn(s) {
  const f = s.data.families;
  return !!s.cloud && !s.scrubbing && s.index.beta === f.beta.index && s.index.lr === f.lr.index;
}

// The runs shown now: the family and position of the slider last moved (with the cloud: each
// run's mean path, the ball riding it).
function current(s) {
  const fam = s.data.families[s.family];
  // before the families arrive (data.partial) only the released row is there
  const row = fam.rows[s.index[s.family]] || fam.rows[fam.index];
  if (cloudOn(s)) {
    const n = s.data.cloud.seeds;
    return row.map((ref, j) => ({ p: { ...s.data.pool[ref], diverged: null,
      label: `${s.data.pool[ref].label} · mean of ${n}` }, run: s.cloud[j].run, cloud: s.cloud[j] }));
  }
  return row.map((ref) => ({ p: s.data.pool[ref], run: decodeRun(s.data.pool[ref], s.noise) }));
}

function rowAt(s, run) {
  // the row of this run for the current frame: the step shown, or its last drawable one
  return Math.min(s.frame, run.n - 1);
}

// Redraw the paths in a task of their own, after those already queued (Streamlit sends a
// released value from a task it queues: the value goes first), once for however many slider
// events came before it.
function drawSoon(s) {
  clearTimeout(s.drawTimer);
  s.drawTimer = setTimeout(() => draw(s, true), 0);
}

// The β and lr the sliders are at, written beside them (and in their data-value).
function showValues(s) {
  for (const name of ["beta", "lr"]) {
    const value = s.data.families[name].values[s.index[name]];
    s.el[name + "Val"].textContent = name === "beta" ? fmtBeta(value) : fmtLr(value);
    s.el[name].dataset.value = value;
  }
}

function draw(s, paths) {
  if (!s.Plotly) return;
  const { el, data } = s;
  const runs = current(s);
  showValues(s);
  if (s.family === "beta") {
    el.lrVal.textContent = fmtLr(data.families.lr.values[data.families.lr.index]);
    el.lr.value = data.families.lr.index;
  } else {
    el.betaVal.textContent = fmtBeta(data.families.beta.values[data.families.beta.index]);
    el.beta.value = data.families.beta.index;
  }
  const step = s.shown[s.frame];
  el.scrub.value = s.frame;
  el.step.textContent = `step ${step} / ${data.steps}`;
  el.stage.dataset.step = step;
  const config = { displayModeBar: false, responsive: true };
  if (hidden(data)) { // a quiz before its reveal: the map, the start, the minima and the guess
    s.mapData = [...fixedTraces(s), ...quizMarks(s)];
    s.drawnLayout = null;
    s.dots = [];
    s.Plotly.react(el.map, s.mapData, s.mapLayout, config).then(() => drawDots(s));
    return;
  }
  // Scatter-only updates go through Plotly.animate without a redraw (the fast path: no axes,
  // no layout pass); a full Plotly.react only when the traces or the axes change.
  const quick = { transition: { duration: 0 }, frame: { duration: 0, redraw: false },
                  mode: "immediate" };
  if (paths || !s.lossData) s.lossData = lossData(s, runs);
  else moveLoss(s, runs);
  readout(s, runs, step);
  worked(s, step);
  if (paths || !s.mapData) {
    // the map first, its dots and the loss chart once it is on screen
    const next = mapData(s, runs);
    const layout = JSON.stringify(s.mapLayout);
    const moved = !s.pointsMoving && s.drawnLayout === layout && pointsMoved(s.mapData, next);
    s.mapData = next;
    s.drawnLayout = layout;
    const react = () => s.Plotly.react(el.map, s.mapData, s.mapLayout, config);
    const drawing = moved ? movePoints(s, next, quick, react) : react();
    const drawn = s.drawn = drawing.then(() => {
      drawDots(s);
      if (s.drawn === drawn) drawLoss(s, config, quick, true);
    });
  } else {
    // the balls and markers where they are already (a released value whose paths are drawn)
    // are not animated again: nothing on the page would change
    if (moveMap(s, runs) && !s.pointsMoving) moveBalls(s, quick); // else they move with the points
    drawLoss(s, config, quick, false);
  }
}

// The balls and arrows moved to their places in ``s.mapData`` (``moveMap``).
function moveBalls(s, quick) {
  const moving = [s.moving, s.moving + 1, s.moving + 2];
  // a newer frame interrupts this one ("immediate"): its promise rejects, which is fine
  s.Plotly.animate(s.el.map, { data: moving.map((i) => s.mapData[i]), traces: moving }, quick)
    .catch(() => {});
}

// The map's traces moved to the points of ``next`` (the map's data now) without a redraw.
// Nothing else animates the map meanwhile (``s.pointsMoving``: the balls' frames wait, new
// paths are redrawn): an animation that another interrupts may never settle, and the
// families are asked for once this one has. Should it not settle within MOVE_MS all the
// same, ``react`` redraws the map.
const MOVE_MS = 250;
function movePoints(s, next, quick, react) {
  s.pointsMoving = true;
  const moved = s.Plotly.animate(s.el.map, { data: next.map(({ x, y }) => ({ x, y })),
                                             traces: next.map((_, i) => i) }, quick);
  const late = new Promise((_, fail) => { setTimeout(fail, MOVE_MS); });
  return Promise.race([moved, late])
    .catch(() => (s.mapData === next ? react() : null))
    .finally(() => {
      s.pointsMoving = false;
      if (s.mapData === next) moveBalls(s, quick); // frames that waited
    });
}

// Whether the map can go from traces ``old`` to ``next`` by moving their points alone
// (Plotly.animate without a redraw, about half the time of Plotly.react): the same traces, the
// same names, styles and hover texts, only x and y changed (as a new step count, start or
// noise mostly leaves them). The caller checks first that the layout is the one drawn (a
// string compare, where this stringifies every trace: it runs on each move of a scrub).
function pointsMoved(old, next) {
  const rest = (t) => JSON.stringify({ ...t, x: null, y: null });
  return !!old && old.length === next.length && next.every((t, i) => rest(t) === rest(old[i]));
}

// The loss chart: its curves redrawn when the runs or the family change, else only its
// markers moved to the step shown (``paths``: whether the curves are new), and not even they
// when they are there already.
function drawLoss(s, config, quick, paths) {
  const lossKey = cloudOn(s) ? "cloud" : s.family;
  const marker = s.lossData[s.lossData.length - 1];
  if (s.lossDrawnFor === lossKey) {
    if (!paths && sameXY(marker, s.lossMarkerDrawn)) return;
    const traces = paths ? s.lossData.map((_, i) => i) : [s.lossData.length - 1];
    s.Plotly.animate(s.el.loss, { data: traces.map((i) => s.lossData[i]), traces }, quick)
      .catch(() => {});
  } else {
    const range = lossRange(s);
    s.Plotly.react(s.el.loss, s.lossData, { ...s.lossLayout,
      yaxis: { ...s.lossLayout.yaxis, range, autorange: false } }, config);
    s.lossDrawnFor = lossKey;
  }
  s.lossMarkerDrawn = marker;
}

// Whether traces ``a`` and ``b`` have the same points (NaN and null alike).
function sameXY(a, b) {
  const same = (p, q) => !!p && !!q && p.length === q.length
    && Array.prototype.every.call(p, (v, i) => Object.is(v ?? NaN, q[i] ?? NaN));
  return !!a && !!b && same(a.x, b.x) && same(a.y, b.y);
}

// "This step in numbers": the lines momentum_viz/worked.py wrote for each shown step of the
// runs at the released β and lr (stage_data's "worked"); only shown here, never computed.
function workPicker(s) {
  const { data, el } = s;
  const on = "worked" in data; // the Playground's stage, not the theory page's
  el.work.style.display = on ? "" : "none";
  if (!on) return;
  const fam = data.families.beta;
  const labels = fam.rows[fam.index].map((ref) => data.pool[ref].label);
  s.workPick = data.workedFor === null ? -1 : data.workedFor;
  el.workPick.innerHTML = `<option value="-1">choose a run</option>` +
    labels.map((label, j) => `<option value="${j}">${escape(label)}</option>`).join("");
  el.workPick.value = s.workPick;
  el.work.title = (data.worked && data.worked.rounding) || "";
}

function worked(s, step) {
  const { el, data } = s;
  el.work.dataset.step = step;
  if (!("worked" in data)) return;
  const note = (text) => { el.workBody.innerHTML = `<div class="mvs-work-note">${escape(text)}</div>`; };
  const w = data.workedFor === s.workPick ? data.worked : null;
  if (s.workPick < 0) return note("Choose a run to see θ, ∇f, its state and its update rule with the numbers of each step.");
  if (!w) return note("Working out the numbers…");
  if (w.missing) return note(w.missing);
  const fam = data.families[s.family];
  if (s.index[s.family] !== fam.index) {
    const name = s.family === "beta" ? "β" : "lr";
    const value = fam.values[s.index[s.family]];
    return note(`The numbers are worked out for the released ${name}: release the slider to ` +
      `see them for ${name} = ${s.family === "beta" ? fmtBeta(value) : fmtLr(value)}.`);
  }
  const [values, lines, end] = w.steps[s.frame];
  const given = values.map((v, i) => (v === null ? ""
    : `<span><i>${escape(w.given[i])}</i> = ${escape(v)}</span>`)).join("");
  const body = lines.map(([numbers, eq, result], i) =>
    `<div class="mvs-work-line"><span class="mvs-work-rule">${escape(w.rules[i])}</span> = ${escape(numbers)} ` +
    `${eq} <b>${escape(result)}</b></div>`).join("");
  el.workBody.innerHTML = `<div class="mvs-work-given">k = ${step}: ${given}</div>${body}` +
    (end ? `<div class="mvs-work-note">${escape(end)}</div>` : "");
}

// The loss chart's y range over the whole family, so that moving along it needs no new axes:
// from the lowest value any of its runs reaches to a little above the start's f (runs that
// diverge leave through the top).
function lossRange(s) {
  s.lossRanges = s.lossRanges || {};
  const key = cloudOn(s) ? "cloud" : s.family;
  if (s.lossRanges[key]) return s.lossRanges[key];
  const log = s.data.loss.log;
  let lo = Infinity, hi = -Infinity, top = -Infinity;
  const series = key === "cloud" ? s.cloud.flatMap((c) => [c.low, c.high])
    : s.data.families[s.family].rows.filter((row) => row).flatMap((row) => row.map((ref) => {
      const p = s.data.pool[ref];
      return p._f || (p._f = f32(p.f));
    }));
  for (const f of series) {
    if (Number.isFinite(f[0])) top = Math.max(top, f[0]);
    for (const v of f) {
      if (!Number.isFinite(v) || (log && v <= 0)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) { lo = log ? 1e-3 : 0; hi = 1; }
  if (Number.isFinite(top)) hi = Math.min(hi, log ? top * 100 : top + (top - lo) * 0.5);
  let range;
  if (log) {
    const a = Math.max(Math.log10(lo), Math.log10(hi) - 30), b = Math.log10(hi);
    const pad = (b - a) * 0.04 || 0.5;
    range = [a - pad, b + pad];
  } else {
    const pad = (hi - lo) * 0.04 || 1;
    range = [lo - pad, hi + pad];
  }
  return (s.lossRanges[key] = range);
}

// How many of a run's rows the map draws: all of a run that did not diverge; a diverged run up
// to its last position on the map, whose later, ever larger swings would only draw lines across
// it (as momentum_viz.figures.paths._last_drawn).
function onMap(s, p, run) {
  if (p.diverged === null) return run.n;
  const [x0, x1, y0, y1] = s.data.bounds;
  for (let i = run.n - 1; i >= 0; i--) {
    if (run.x[i] >= x0 && run.x[i] <= x1 && run.y[i] >= y0 && run.y[i] <= y1) return i + 1;
  }
  return run.n;
}

// Every seed's position at the step shown (the cloud's nearest step at or before it): small
// dots under the balls, so that playing shows the seeds spread or gather.
function seedDots(s, runs) {
  const x = [], y = [], color = [];
  if (!cloudOn(s)) return { x, y, color };
  const steps = s.cloudSteps, step = s.shown[s.frame], m = s.data.cloud.count;
  let fi = 0;
  while (fi + 1 < steps.length && steps[fi + 1] <= step) fi++;
  runs.forEach(({ cloud }, j) => {
    if (!cloud) return;
    for (let i = 0; i < s.data.cloud.seeds; i++) {
      x.push(cloud.fx[i * (m + 1) + fi]); y.push(cloud.fy[i * (m + 1) + fi]);
      color.push(s.data.runs[j].color);
    }
  });
  return { x, y, color };
}

function ballsAndArrows(s, runs) {
  const dots = seedDots(s, runs);
  const bx = dots.x, by = dots.y;
  for (const { run } of runs) { const r = rowAt(s, run); bx.push(run.x[r]); by.push(run.y[r]); }
  const arrows = [[[], []], [[], []]];
  const j = s.data.arrowsFor;
  if (j !== null && j !== undefined && runs[j] && !runs[j].cloud) {
    const { p, run } = runs[j];
    const r = rowAt(s, run);
    const width = s.data.bounds[1] - s.data.bounds[0];
    let longest = 0;
    for (let k = 0; k < run.n; k++) {
      const m = Math.hypot(run.sx[k], run.sy[k]);
      if (Number.isFinite(m) && m > longest) longest = m;
    }
    const gx = -p.lr * run.gx[r], gy = -p.lr * run.gy[r];
    const vecs = [[gx, gy], [run.sx[r], run.sy[r]]];
    const scale = longest > 0 ? ARROW_FRACTION * width / longest : 0;
    vecs.forEach(([dx, dy], a) => {
      if (!Number.isFinite(dx) || !Number.isFinite(dy)) return;
      let k = scale;
      if (s.el.dir.checked) { const m = Math.hypot(dx, dy); k = m > 0 ? 0.08 * width / m : 0; }
      arrows[a] = [[run.x[r], run.x[r] + k * dx], [run.y[r], run.y[r] + k * dy]];
    });
    s.arrowScale = scale;
  }
  return { bx, by, arrows, dots: dots.color };
}

// The quiz (data.quiz, ui/quiz.py): hidden paths until the reveal, the guess, and once
// revealed where the ball the guess is about was after k steps.
const hidden = (data) => !!(data.quiz && data.quiz.hidden);

function quizMarks(s) {
  const q = s.data.quiz;
  if (!q) return [];
  const traces = [];
  const mark = (x, y, name, symbol, color, textposition) => ({ type: "scatter", x: [x], y: [y],
    mode: "markers+text", name, text: [name], textposition, showlegend: false,
    textfont: { color, size: 13, weight: "bold", shadow: "auto" }, // readable over the paths
    hovertemplate: `${escape(name)} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    marker: { symbol, size: 15, color, line: { width: 1.5, color: "#fff" } } });
  if (q.answer && q.guess) {
    traces.push({ type: "scatter", x: [q.guess[0], q.answer[0]], y: [q.guess[1], q.answer[1]],
      mode: "lines", name: "guess to answer", showlegend: false, hoverinfo: "skip",
      line: { color: "#000", width: 1.5, dash: "dot" } });
  }
  if (q.guess) traces.push(mark(q.guess[0], q.guess[1], "your guess", "x", "#000", "top center"));
  if (q.answer) {
    traces.push(mark(q.answer[0], q.answer[1], `step ${q.k}`, "diamond", s.data.runs[q.ball].color,
      "bottom center"));
  }
  return traces;
}

// The start and the minima: drawn in every mode.
function fixedTraces(s) {
  const { data } = s;
  const traces = [];
  if (data.minima.length) {
    traces.push({ type: "scatter", x: data.minima.map((m) => m[0]), y: data.minima.map((m) => m[1]),
      mode: "markers", name: "minima", showlegend: false,
      marker: { symbol: "star", size: 15, color: "#F0E442", line: { width: 1.2, color: "#000" } },
      hovertemplate: "minimum (%{x:.4g}, %{y:.4g})<extra></extra>" });
  }
  traces.push({ type: "scatter", x: [data.start[0]], y: [data.start[1]], mode: "markers",
    name: "start", showlegend: false, hovertemplate: "start (%{x:.4g}, %{y:.4g})<extra></extra>",
    marker: { symbol: "circle-open", size: 16, color: "#000", line: { width: 2.5 } } });
  return traces;
}

function mapData(s, runs) {
  const { data } = s;
  const traces = fixedTraces(s);
  s.dots = [];
  // the widest cloud at the bottom, so that a tight one stays visible on top of it
  const clouds = runs.map(({ cloud }, j) => ({ cloud, j })).filter((c) => c.cloud)
    .sort((a, b) => b.cloud.spread - a.cloud.spread);
  for (const { cloud, j } of clouds) {
    traces.push({ type: "scatter", x: cloud.fx, y: cloud.fy, mode: "lines", name: "seeds",
      showlegend: false, hoverinfo: "skip", opacity: 0.22, connectgaps: false,
      line: { color: data.runs[j].color, width: 1 } });
  }
  runs.forEach(({ p, run, cloud }, j) => {
    const color = data.runs[j].color;
    const m = onMap(s, p, run);
    traces.push({ type: "scatter", x: run.x.subarray(0, m), y: run.y.subarray(0, m), name: p.label,
      showlegend: false, mode: "lines", line: { color, width: cloud ? 4 : 2.5 },
      hovertemplate: `${p.label}<br>(%{x:.4g}, %{y:.4g})<extra></extra>` });
    if (m <= MAX_DOTS && !cloud) s.dots.push({ x: run.x, y: run.y, m, color });
    if (p.diverged !== null) {
      const [x0, x1, y0, y1] = data.bounds, ex = run.x[m - 1], ey = run.y[m - 1];
      const step = run.rows ? run.rows[m - 1] : m - 1;
      const text = m === run.n ? `diverged at step ${p.diverged}`
        : `left the map after step ${step},<br>diverged at step ${p.diverged}`;
      traces.push({ type: "scatter", x: [ex], y: [ey], mode: "markers+text", showlegend: false,
        text: [text], textfont: { color }, hoverinfo: "skip",
        textposition: `${ey > (y0 + y1) / 2 ? "bottom" : "top"} ${ex > (x0 + x1) / 2 ? "left" : "right"}`,
        marker: { symbol: "x", size: 14, color, line: { width: 1 } } });
    }
  });
  traces.push(...quizMarks(s));
  s.moving = traces.length;
  const { bx, by, arrows, dots } = ballsAndArrows(s, runs);
  const big = (small, large) => [...dots.map(() => small), ...data.runs.map(() => large)];
  traces.push({ type: "scatter", x: bx, y: by, mode: "markers", name: "position",
    showlegend: false, hoverinfo: "skip",
    marker: { size: big(6, 15), color: [...dots, ...data.runs.map((r) => r.color)],
              line: { width: big(0.5, 2), color: "#fff" } } });
  const j = data.arrowsFor;
  const color = j !== null && j !== undefined ? data.runs[j].color : "#000";
  [["#000000", "−lr·∇f (downhill)", "dot"], [color, "next step", "solid"]].forEach(([c, name, dash], a) => {
    traces.push({ type: "scatter", x: arrows[a][0], y: arrows[a][1], mode: "lines+markers",
      name, showlegend: false, hoverinfo: "skip", line: { color: c, width: 3, dash },
      marker: { symbol: "arrow", angleref: "previous", size: [0, 14], color: c } });
  });
  return traces;
}

// The step dots of the paths (``s.dots``, set by mapData), on a canvas laid between plotly's
// plot and its hover layer: as plotly markers every dot is an SVG node styled on each redraw,
// which made a redraw several times slower; on a canvas they cost about a millisecond. Drawn
// after every full redraw of the map (the axes are plotly's own: l2p of the drawn axes).
function drawDots(s) {
  const gd = s.el.map, L = gd._fullLayout;
  const box = gd.querySelector(".svg-container");
  if (!L || !box || !L.xaxis || !L.yaxis) return;
  let c = s.el.dots;
  if (!c || c.parentNode !== box) {
    c = s.el.dots = c || document.createElement("canvas");
    c.className = "mvs-dots";
    box.insertBefore(c, box.querySelector(".main-svg").nextSibling);
  }
  const ratio = window.devicePixelRatio || 1, w = L.width, h = L.height;
  if (c.width !== Math.round(w * ratio) || c.height !== Math.round(h * ratio)) {
    c.width = Math.round(w * ratio); c.height = Math.round(h * ratio);
    c.style.width = `${w}px`; c.style.height = `${h}px`;
  }
  const ctx = c.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const xa = L.xaxis, ya = L.yaxis;
  ctx.save();
  ctx.beginPath();
  ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
  ctx.clip();
  for (const { x, y, m, color } of s.dots || []) {
    ctx.fillStyle = color;
    ctx.beginPath();
    for (let i = 0; i < m; i++) {
      if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
      const px = xa._offset + xa.l2p(x[i]), py = ya._offset + ya.l2p(y[i]);
      ctx.moveTo(px + DOT_RADIUS, py);
      ctx.arc(px, py, DOT_RADIUS, 0, 2 * Math.PI);
    }
    ctx.fill();
  }
  ctx.restore();
}

// The balls and arrows in ``s.mapData`` put at the step shown; whether any of them moved.
function moveMap(s, runs) {
  const { bx, by, arrows } = ballsAndArrows(s, runs);
  const t = s.mapData;
  const next = [{ x: bx, y: by }, { x: arrows[0][0], y: arrows[0][1] },
    { x: arrows[1][0], y: arrows[1][1] }];
  let moved = false;
  next.forEach((xy, i) => {
    const k = s.moving + i;
    if (sameXY(t[k], xy)) return;
    t[k] = { ...t[k], ...xy };
    moved = true;
  });
  return moved;
}

function lossXY(s, run) {
  const rows = run.rows || s.shown;
  const x = new Float64Array(run.n), y = new Float64Array(run.n);
  for (let i = 0; i < run.n; i++) {
    x[i] = run.rows ? run.rows[i] : (s.data.thinned ? rows[i] : i);
    const v = run.f[i];
    y[i] = Number.isFinite(v) && (!s.data.loss.log || v > 0) ? v : NaN;
  }
  return { x, y };
}

function lossData(s, runs) {
  const traces = [];
  runs.forEach(({ cloud }, j) => {
    if (!cloud) return;
    const color = s.data.runs[j].color;
    const band = (f) => lossXY(s, { f, n: f.length, rows: null });
    const low = band(cloud.low), high = band(cloud.high);
    traces.push({ type: "scatter", x: low.x, y: low.y, mode: "lines", showlegend: false,
      hoverinfo: "skip", line: { width: 0, color } });
    traces.push({ type: "scatter", x: high.x, y: high.y, mode: "lines", fill: "tonexty",
      fillcolor: color + "33", showlegend: false, name: "10–90 %", line: { width: 0, color },
      hoverinfo: "skip" });
  });
  runs.forEach(({ p, run, cloud }, j) => {
    const { x, y } = lossXY(s, run);
    const what = cloud ? "median over seeds" : "";
    traces.push({ type: "scatter", x, y, mode: "lines", name: p.label, showlegend: false,
      line: { color: s.data.runs[j].color, width: 2.5 },
      hovertemplate: `${escape(p.label)}${what ? " " + what : ""}<br>step %{x}<br>%{y:.4g}<extra></extra>` });
  });
  traces.push(lossMarker(s, runs));
  return traces;
}

function lossMarker(s, runs) {
  const x = [], y = [];
  for (const { run } of runs) {
    const { x: lx, y: ly } = run._loss || (run._loss = lossXY(s, run));
    const r = rowAt(s, run);
    x.push(lx[r]); y.push(Number.isFinite(ly[r]) ? ly[r] : null);
  }
  return { type: "scatter", x, y, mode: "markers", name: "now", showlegend: false,
    hoverinfo: "skip", marker: { size: 11, color: s.data.runs.map((r) => r.color),
      line: { width: 2, color: "#fff" } } };
}

function moveLoss(s, runs) {
  s.lossData[s.lossData.length - 1] = lossMarker(s, runs);
}

function readout(s, runs, step) {
  const gap = s.data.loss.title.startsWith("f − f*") ? " − f*" : "";
  const rows = runs.map(({ p, run, cloud }, j) => {
    const r = rowAt(s, run);
    const head = `<div class="mvs-run"><i style="background:${s.data.runs[j].color}"></i>` +
      `<span class="mvs-name">${escape(p.label)}</span>`;
    if (cloud) {
      const k = Math.min(s.frame, cloud.median.length - 1);
      const over = cloud.diverged ? `${cloud.diverged} of ${s.data.cloud.seeds} diverged` : "";
      return head + `<span>median f${gap} = ${fmt(cloud.median[k])}</span>` +
        `<span>${over}</span></div>`;
    }
    const ended = p.diverged !== null && r === run.n - 1 && step > p.last;
    return head +
      `<span>f${gap} = ${ended ? "—" : fmt(run.f[r])}</span>` +
      `<span>|v| = ${ended ? "—" : fmt(run.speed[r])}</span></div>`;
  });
  const scale = s.el.dir.checked ? "direction only" : `×${fmt(s.arrowScale || 0)}`;
  s.el.readout.innerHTML = `<div class="mvs-now">step <b>${step}</b> of ${s.data.steps}</div>` +
    rows.join("") +
    (s.data.arrowsFor !== null && !cloudOn(s) ? `<div class="mvs-arrows"><span class="mvs-dot"></span> −lr·∇f (downhill) ` +
      `<span class="mvs-solid" style="border-color:${s.data.runs[s.data.arrowsFor].color}"></span> next step, arrows ${scale}</div>` : "");
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

// -- layout --------------------------------------------------------------------------------------
function colorBar(s, phone, length, offset) {
  const bar = s.data.colorbar.marker;
  const { cmin, cmax } = bar;
  const ticks = bar.colorbar.tickvals.map((v, i) => [(v - cmin) / (cmax - cmin || 1), bar.colorbar.ticktext[i]]);
  const stops = bar.colorscale.map(([p, c]) => `${c} ${p * 100}%`).join(", ");
  const el = s.el.cbar;
  el.className = "mvs-cbar" + (phone ? " mvs-cbar-h" : "");
  el.style.cssText = phone ? "" : `height:${length}px;margin-top:${offset}px`;
  el.innerHTML = `<span class="mvs-cbar-title">f</span><div class="mvs-cbar-ramp" style="background:linear-gradient(${phone ? "to right" : "to top"}, ${stops})">` +
    ticks.map(([t, label]) => `<span style="${phone ? "left" : "bottom"}:${(t * 100).toFixed(2)}%">${escape(label)}</span>`).join("") + "</div>";
}

function narrow(s) { return s.el.stage.clientWidth < 760; }


// Presenter mode: type at least 18 px on the charts, and the side column (sliders, player,
// readout, loss chart) at least this wide beside the map.
const PRESENT_FONT = 18;
const PRESENT_SIDE = 360;

function mapLayout(s) {
  const [x0, x1, y0, y1] = s.data.bounds;
  const phone = narrow(s);
  const big = s.present && !phone; // presenter mode: the controls beside the map (stage.css)
  const full = s.el.stage.clientWidth || 600;
  // the colour bar is HTML beside (below, on a phone) the plot: drawn once, not at every redraw
  const margin = s.present ? { l: 62, r: phone ? 6 : 10, t: 8, b: 54 }
    : phone ? { l: 40, r: 8, t: 6, b: 40 } : { l: 54, r: 10, t: 8, b: 44 };
  // as tall as the window leaves below the map's top (at least a 400 px plot area, in presenter
  // mode all of it); on a phone the map spans the width
  const room = s.room = roomBelow(s);
  const aspect = (x1 - x0) / (y1 - y0);
  let height = phone ? Math.round((full - margin.l - margin.r) / aspect) + margin.t + margin.b
    : big ? Math.max(300, room) : Math.max(400 + margin.t + margin.b, Math.min(720, room));
  let width = Math.min(full, Math.round((height - margin.t - margin.b) * aspect) + margin.l + margin.r);
  if (phone) width = full;
  if (big) width = Math.min(width, full - PRESENT_SIDE - s.el.cbar.offsetWidth - 24);
  s.sideBySide = !phone && full - width - 80 >= 250;
  if (!phone && width + 80 > full) width = full - 80;
  s.el.stage.classList.toggle("mvs-wide", s.sideBySide);
  colorBar(s, phone, height - margin.t - margin.b, margin.t);
  return {
    height, width, margin,
    font: { family: "Inter, Segoe UI, Helvetica, Arial, sans-serif",
            size: s.present ? PRESENT_FONT : phone ? 12 : 14 },
    plot_bgcolor: "#fff", paper_bgcolor: "rgba(0,0,0,0)", showlegend: false,
    hovermode: "closest", dragmode: false, uirevision: "map",
    images: [s.data.image],
    xaxis: { range: [x0, x1], title: { text: s.data.axes[0], standoff: 2 }, constrain: "domain",
             showgrid: false, zeroline: false, fixedrange: true },
    yaxis: { range: [y0, y1], title: { text: s.data.axes[1], standoff: 2 }, scaleanchor: "x", scaleratio: 1,
             constrain: "domain", showgrid: false, zeroline: false, fixedrange: true },
  };
}

function lossLayout(s) {
  const phone = narrow(s);
  return {
    height: phone ? 220 : 250, margin: s.present ? { l: 114, r: 10, t: 8, b: 50 } : { l: 72, r: 10, t: 8, b: 40 },
    font: { family: "Inter, Segoe UI, Helvetica, Arial, sans-serif", size: s.present ? PRESENT_FONT : 12 },
    plot_bgcolor: "#fff", paper_bgcolor: "rgba(0,0,0,0)", showlegend: false,
    dragmode: false, uirevision: "loss",
    xaxis: { title: { text: "step", standoff: 2 }, range: [0, s.data.steps], gridcolor: "#e5e5e5",
             fixedrange: true },
    yaxis: { title: { text: s.data.loss.title, standoff: 6 }, type: s.data.loss.log ? "log" : "linear",
             gridcolor: "#e5e5e5", exponentformat: "power", fixedrange: true,
             // a log axis draws its 2s and 5s at 3/4 of the tick font (and a power's exponent
             // at 7/8): 24 px keeps them at 18 px, and few ticks so that the large labels do not crowd
             ...(s.present ? { tickfont: { size: Math.ceil(PRESENT_FONT / 0.75) }, nticks: 5 } : {}) },
  };
}

// The window's height below the map's top with the page scrolled to its top (wherever it is
// scrolled now), in whole px: a shift by a fraction of a pixel above the map leaves its layout
// as drawn.
function roomBelow(s) {
  const scrolled = s.scroller ? s.scroller.scrollTop : window.scrollY;
  return Math.round(window.innerHeight - Math.max(0, s.el.map.getBoundingClientRect().top + scrolled) - 6);
}

function relayout(s) {
  const phone = narrow(s);
  s.el.stage.classList.toggle("mvs-narrow", phone);
  s.mapLayout = mapLayout(s);
  s.lossLayout = lossLayout(s);
  s.lossDrawnFor = null;
  draw(s, true);
}

// -- keys --------------------------------------------------------------------------------------
// Space plays and pauses, ← → step, n and p go to the guided tour's next and previous lesson
// where the page has a tour (in presenter mode also a presentation remote's Page Down and Page
// Up). A form field keeps its keys (a slider its arrows). Outside presenter mode the keys work
// while the stage has the focus; in presenter mode anywhere on the page, even on a focused button
// (space plays, it does not click the button again).
const TOUR_KEYS = { n: 1, p: -1 };
const REMOTE_KEYS = { PageDown: 1, PageUp: -1 };
let PRESENTING = null; // the stage in presenter mode, which takes the page's keys

function onKey(s, e) {
  const t = e.target;
  if (t && t.closest && t.closest("input, select, textarea, [contenteditable='true']")) return;
  if (e.ctrlKey || e.metaKey || e.altKey || !s.data) return;
  if (e.key === " ") { toggle(s); }
  else if (e.key === "ArrowRight") { stop(s); s.setFrame(s.frame + 1); }
  else if (e.key === "ArrowLeft") { stop(s); s.setFrame(s.frame - 1); }
  else if (s.tour && (TOUR_KEYS[e.key] || (s.present && REMOTE_KEYS[e.key]))) {
    stop(s);
    s.api.setTriggerValue("tour", TOUR_KEYS[e.key] || REMOTE_KEYS[e.key]);
  }
  else return;
  e.preventDefault();
  e.stopPropagation();
}

document.addEventListener("keydown", (e) => {
  if (PRESENTING && PRESENTING.el.stage.isConnected) onKey(PRESENTING, e);
}, true);

// Presenter mode on or off: large type, the controls beside the map, the page's keys.
function present(s, on) {
  if (on) PRESENTING = s;
  else if (PRESENTING === s) PRESENTING = null;
  if (s.present === on) return;
  s.present = on;
  s.el.stage.classList.toggle("mvs-present", on);
  if (s.Plotly && s.data) relayout(s);
}

// -- play ------------------------------------------------------------------------------------------
function showPlaying(s) {
  s.el.play.innerHTML = s.playing ? PAUSE_ICON : PLAY_ICON;
  s.el.play.setAttribute("aria-label", s.playing ? "Pause" : "Play");
}
function toggle(s) { if (s.playing) stop(s); else play(s); }
function stop(s) {
  s.playing = false; showPlaying(s); cancelAnimationFrame(s.raf);
}
function play(s) {
  if (s.frame >= s.shown.length - 1) s.frame = 0;
  s.playing = true; showPlaying(s); s.clock = null;
  let position = s.frame;
  const tick = (now) => {
    if (!s.playing) return;
    if (s.clock !== null && s.clock !== undefined) {
      position += (now - s.clock) / 1000 * BASE_FPS * +s.el.speed.value;
    }
    s.clock = now;
    const next = Math.min(Math.floor(position), s.shown.length - 1);
    if (next !== s.frame) { s.frame = next; draw(s, false); }
    if (s.frame >= s.shown.length - 1) { stop(s); return; }
    s.raf = requestAnimationFrame(tick);
  };
  s.raf = requestAnimationFrame(tick);
}

function clickStart(s, e) {
  if (s.data.fixedStart) return; // a page whose start is not the visitor's to move
  if (s.data.quiz && !s.data.quiz.hidden) return; // the guess is made before the reveal
  const gd = s.el.map;
  const full = gd._fullLayout;
  if (!full) return;
  const rect = gd.getBoundingClientRect();
  const xa = full.xaxis, ya = full.yaxis;
  const px = e.clientX - rect.left - xa._offset, py = e.clientY - rect.top - ya._offset;
  if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
  // snapped to a round grid (1/120 of the view or so: 0.05 on a 6-wide map), so a start set
  // by a click reads well in the URL and in the sidebar
  const raw = (s.data.bounds[1] - s.data.bounds[0]) / 120;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const grid = [1, 2, 5, 10].find((m) => m * pow >= raw) * pow;
  const digits = Math.max(0, -Math.floor(Math.log10(grid)) + 1);
  const snap = (v) => +(Math.round(v / grid) * grid).toFixed(digits);
  // in quiz mode the click is the guess, not a new start
  s.api.setTriggerValue(s.data.quiz ? "guess" : "click", { x: snap(xa.p2l(px)), y: snap(ya.p2l(py)) });
}

// The data comes as the UTF-8 JSON of a list of objects (ui/stage.py ``payload``): the shared
// data, then the run's own fields over it.
function received(bytes) {
  return Object.assign({}, ...JSON.parse(new TextDecoder().decode(bytes)));
}

export default function (component) {
  const { parentElement, setStateValue, setTriggerValue } = component;
  const data = received(component.data);
  let s = STAGES.get(parentElement);
  if (!s) {
    s = build(parentElement, { setStateValue, setTriggerValue });
    STAGES.set(parentElement, s);
  }
  s.api = { setStateValue, setTriggerValue };
  update(s, data);
  return () => { stop(s); };
}
