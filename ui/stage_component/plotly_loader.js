// plotly.min.js, loaded once per page as a classic UMD script (a script element, not an
// import). Shared by the stage (stage.js) and the early start in the page's first messages
// (ui/stage.py). No angle brackets in this file: it is also sent inside st.html, whose
// sanitizer drops a script whose text contains one.
function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__mvPlotly) {
    window.__mvPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  return window.__mvPlotly;
}
