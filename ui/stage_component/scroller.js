// The element the page scrolls in (Streamlit's main area, which clips the document's viewport),
// or null when the document itself scrolls. Shared by the stage (stage.js: the map's room is
// measured from its place in the page, not on the screen) and the charts drawn in place
// (ui/plotly_live_component/plotly_live.js: whether a chart is in sight).
function scroller(el) {
  for (let e = el.parentElement; e; e = e.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(e).overflowY)) return e;
  }
  return null;
}
