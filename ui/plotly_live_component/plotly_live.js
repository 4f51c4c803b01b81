// A plotly figure drawn in place (ui/plotly_live.py). The figure comes as its JSON text with a
// token (a digest of that text): a new token is drawn with Plotly.react into the same element,
// so plotly updates what changed instead of building the chart from scratch; a token already
// drawn costs nothing (the text is not even parsed); a rerun that changes no figure sends its
// token alone, and a token without its figure that this element lacks is asked for, once.
// The layout gets the room st.plotly_chart would give it (automargin, a legend below at the figure's foot) and the page's theme
// (``theme``, below). An optional mark is laid over the plot and follows the stage's β and lr
// while they are dragged (the stage's "momentum-viz-scrub" event): a ring at (x, y) or a
// vertical line at x with its label, elements laid over the plot and moved without plotly
// redrawing anything (a drag's every step costs a few style writes). A chart out of sight
// (scrolled away) draws a new figure only when it comes into sight (its first one at once): a
// change at the top of a long page does not wait for charts nobody sees.

const CHARTS = new WeakMap();
const CONFIG = { displaylogo: false, responsive: true };
const SCRUB_EVENT = "momentum-viz-scrub"; // sent by the stage (ui/stage_component/stage.js)
const IN_SIGHT = "0px"; // a chart is in sight when any of it is on the screen

function build(parent) {
  // parentElement also holds the component's <style>: add to it, never overwrite it
  const root = document.createElement("div");
  root.className = "mvp";
  root.innerHTML = '<div class="mvp-plot"></div><div class="mvp-ring"></div>' +
    '<div class="mvp-line"><span class="mvp-note"></span></div>';
  parent.appendChild(root);
  const $ = (q) => root.querySelector(q);
  const s = { root, plot: $(".mvp-plot"), ring: $(".mvp-ring"), line: $(".mvp-line"),
              note: $(".mvp-note"),
              parent, token: null, data: null, at: null,
              drawing: Promise.resolve(), Plotly: null, near: true, waiting: null };
  new IntersectionObserver((seen) => {
    s.near = seen[seen.length - 1].isIntersecting;
    if (s.near && s.waiting) { const data = s.waiting; s.waiting = null; queue(s, data); }
  }, { root: scroller(parent), rootMargin: IN_SIGHT }).observe(root);
  document.addEventListener(SCRUB_EVENT, (e) => {
    const mark = s.data && s.data.mark;
    if (mark && mark.follow) { s.at = mark.follow.map((name) => e.detail[name]); placeMark(s); }
  });
  return s;
}

// The page's theme (Streamlit's: its text colour and body font, inherited by the component).
// A figure drawn with theme "streamlit" is dressed as st.plotly_chart dresses it: the body font
// at 12 px in the faded text colour, axis titles at 14 px, the legend in the text colour; any
// other figure keeps its own fonts and sizes, in the theme's font and colour where it sets none.
function theme(parent) {
  const css = getComputedStyle(parent);
  const rgb = css.color.match(/[\d.]+/g) || ["0", "0", "0"];
  return { text: css.color, faded: `rgba(${rgb.slice(0, 3).join(",")},0.6)`, font: css.fontFamily };
}

function titled(title) {
  return typeof title === "string" ? { text: title } : { ...(title || {}) };
}

function dressed(layout, t, streamlit) {
  if (!streamlit) {
    return { ...layout, font: { color: t.text, family: t.font, ...(layout.font || {}) } };
  }
  const axis = (a) => ({ ...a, title: { ...titled(a.title), font: { size: 14, color: t.faded } },
                         tickfont: { size: 12, color: t.faded } });
  return { ...layout, font: { ...(layout.font || {}), family: t.font, size: 12, color: t.faded },
           xaxis: axis(layout.xaxis || {}), yaxis: axis(layout.yaxis || {}),
           legend: { ...(layout.legend || {}), font: { size: 12, color: t.text } },
           hoverlabel: { font: { family: t.font } } };
}

function roomy(layout, parent, streamlit) {
  layout = dressed(layout, theme(parent), streamlit);
  const below = layout.legend && layout.legend.y < 0 && !layout.legend.yref;
  return { ...layout, paper_bgcolor: layout.paper_bgcolor || "rgba(0,0,0,0)",
    xaxis: { automargin: true, ...layout.xaxis }, yaxis: { automargin: true, ...layout.yaxis },
    legend: below ? { ...layout.legend, yref: "container", y: 0, yanchor: "bottom" }
      : layout.legend };
}

function placeMark(s) {
  const mark = s.data && s.data.mark;
  const full = s.plot._fullLayout;
  if (!mark || !s.at || !full) return;
  set(s.root.dataset, "at", s.at.join(","));
  const px = (axis, v) => axis.l2p(axis.type === "log" ? Math.log10(v) : v);
  const xa = full.xaxis, ya = full.yaxis;
  const x = px(xa, s.at[0]);
  if (mark.kind === "line") {
    const inside = x >= 0 && x <= xa._length;
    set(s.line.style, "display", inside ? "block" : "none");
    set(s.line.style, "left", `${xa._offset + x}px`);
    set(s.line.style, "top", `${ya._offset}px`);
    set(s.line.style, "height", `${ya._length}px`);
    set(s.note, "textContent", mark.text.replace("{x}", s.at[0].toFixed(mark.digits)));
    return;
  }
  const y = px(ya, s.at[1]);
  const inside = x >= 0 && x <= xa._length && y >= 0 && y <= ya._length;
  set(s.ring.style, "display", inside ? "block" : "none");
  set(s.ring.style, "left", `${xa._offset + x}px`);
  set(s.ring.style, "top", `${ya._offset + y}px`);
}

// A line mark's look: its shape's colour and width, its label's font (the figure's) and place
// (the note's y along the line, on the note's side of it).
function styleLine(s, mark, layout) {
  const line = (mark.line && mark.line.line) || {};
  const width = line.width || 2;
  s.line.style.borderLeft = `${width}px solid ${line.color || "#000"}`;
  s.line.style.marginLeft = `${-width / 2}px`;
  const note = mark.note || {};
  const font = layout.font || {};
  Object.assign(s.note.style, {
    top: `${100 * (1 - (note.y === undefined ? 0.5 : note.y))}%`,
    transform: `translate(${note.xanchor === "right" ? "calc(-100% - 4px)" : "4px"}, -50%)`,
    fontFamily: font.family || "", fontSize: `${font.size || 12}px`, color: font.color || "",
    background: note.bgcolor || "transparent",
  });
}

// Only a value that changes is written: a rerun that moves nothing changes nothing on the page.
function set(target, name, value) {
  if (target[name] !== value) target[name] = value;
}

function draw(s, data, Plotly) {
  s.Plotly = Plotly;
  if (s.token === data.token) { placeMark(s); return null; }
  const text = data.figure !== undefined ? data.figure
    : s.text && s.text.token === data.token ? s.text.figure : null;
  if (text === null) return null; // asked for: it comes with the next run
  s.token = data.token;
  const figure = JSON.parse(text);
  const layout = roomy(figure.layout || {}, s.parent, data.theme === "streamlit");
  if (data.mark && data.mark.kind === "line") styleLine(s, data.mark, layout);
  s.plot.style.minHeight = `${layout.height || 450}px`; // its room kept from the start
  return Plotly.react(s.plot, figure.data || [], layout, CONFIG).then(() => {
    if (!s.listening) {
      s.plot.on("plotly_afterplot", () => placeMark(s)); // a resize moves the axes
      s.listening = true;
    }
    placeMark(s);
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let s = CHARTS.get(parentElement);
  if (!s) {
    s = build(parentElement);
    CHARTS.set(parentElement, s);
  }
  s.data = data;
  if (data.figure !== undefined) {
    s.text = { token: data.token, figure: data.figure };
  } else if (data.token !== s.token && !(s.text && s.text.token === data.token)) {
    if (s.asked !== data.token) { s.asked = data.token; setTriggerValue("missing", data.token); }
    return;
  }
  set(s.root.dataset, "mark", data.mark ? data.mark.kind : "");
  if (data.mark) s.at = data.mark.at;
  if (s.token !== null && s.token !== data.token && !s.near) {
    s.waiting = data; // drawn when it comes into sight
    return;
  }
  s.waiting = null;
  queue(s, data);
}

// One drawing at a time: a figure that arrives while the last is drawn waits for it.
function queue(s, data) {
  s.drawing = s.drawing.then(() => loadPlotly(data.plotly)).then((Plotly) => draw(s, data, Plotly))
    .catch((e) => console.error("plotly live", e));
}
