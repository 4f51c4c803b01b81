// plotly.min.js, loaded once per page as a classic UMD script (a <script>, not an import).
// Shared by the stage (stage.js) and the early start on a page's first message (ui/stage.py).
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
