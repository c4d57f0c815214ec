// The exercise panel's script: a little plain JavaScript, no library. The pages work without it (forms post
// and redirect); with it, runs stream live, hints and the verdict update in place, and graphs draw.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const page = document.querySelector(".scenario-page");

  // Copy buttons on code blocks.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    const code = button.parentElement.querySelector("pre")?.innerText || "";
    try { await navigator.clipboard.writeText(code); button.textContent = "Copied"; }
    catch { button.textContent = "Select and copy"; }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });

  // The reference page: hide the lines that differ only in comments.
  document.getElementById("hide-comments")?.addEventListener("change", (event) => {
    for (const row of document.querySelectorAll("table.diff tr.comment")) row.classList.toggle("hidden-comment", event.target.checked);
  });

  if (!page) return;
  const number = page.dataset.scenario;
  const $ = (id) => document.getElementById(id);

  async function post(url, fields) {
    return fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
  }

  async function refresh(id, url) {
    const response = await fetch(url, { cache: "no-store" });
    if (response.ok) $(id).innerHTML = await response.text();
  }

  // What is running, every 3 s.
  async function status() {
    try {
      const s = await (await fetch(`/scenarios/${number}/status.json`, { cache: "no-store" })).json();
      const state = $("server-state");
      state.textContent = s.server;
      // Rebuilding or starting: the old server may still answer, but what you saved is not running yet.
      const busy = /rebuilding|building|starting/.test(s.server);
      // The last save did not compile (the old build answers), or the server is down: red, whatever /health says.
      const broken = /previous build|failed|waiting for a fix|exited/.test(s.server);
      state.className = "state " + (broken ? "down" : busy ? "busy" : s.healthy ? "healthy" : "down");
      $("services").replaceChildren(...s.services.map((line) => { const li = document.createElement("li"); li.textContent = line; return li; }));
      const elsewhere = s.run && !s.run.finished && s.run.id !== following;
      if (elsewhere && s.run.scenario === number) follow(s.run);
      else if (elsewhere) $("run-message").textContent = `A ${s.run.kind} of scenario ${s.run.scenario} is running (started in another tab): one run at a time.`;
      setBusy(elsewhere);
    } catch { $("server-state").textContent = "The panel does not answer: is ./lab panel still running?"; }
  }
  let following = null;
  function setBusy(busy) {
    for (const button of document.querySelectorAll(".run-form button")) button.disabled = busy || following !== null;
  }

  // Run check / Run load test: start, then stream the output.
  document.querySelector(".run-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const kind = event.submitter?.value || "check";
    const response = await post(`/scenarios/${number}/runs`, { kind });
    const run = await response.json();
    if (response.status === 409) { $("run-message").textContent = run.refusal; return; }
    follow(run);
  });

  // Streams a run's output (all of it from the start, so a finished run is shown again after a reload).
  function follow(run, replay = false) {
    following = run.id;
    setBusy(true);
    const output = $("run-output");
    $("output-box").hidden = false;
    output.textContent = "";
    if (!replay) $("result").innerHTML = "";
    $("run-message").textContent = replay
      ? `Your last ${run.kind === "check" ? "check" : "load test"} on this scenario:`
      : run.kind === "check" ? "Checking: the standard load, then the known problems…" : "Load test running…";
    const log = $("run-log");
    log.textContent = "";
    if (!replay) $("run-message").focus();
    const events = new EventSource(`/runs/${run.id}/events`);
    events.onmessage = (message) => {
      const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      output.textContent += message.data + "\n";
      if (atBottom) output.scrollTop = output.scrollHeight;
    };
    events.addEventListener("done", async () => {
      events.close();
      following = null;
      if (!replay) $("run-message").textContent = "Finished: the verdict is below.";
      log.textContent = `This output is kept in ${run.log}` +
        (run.kind === "load" ? `; the results in ${run.results}, for ./lab compare (two load tests: ./lab compare ${run.results.replace(/run-\d+/, "run-1")} ${run.results}).` : ".");
      await refresh("result", `/scenarios/${number}/result`);
      if (!replay) {
        $("result").scrollIntoView({ block: "nearest" });
        document.getElementById("verdict")?.setAttribute("tabindex", "-1");
        document.getElementById("verdict")?.focus({ preventScroll: true });
      }
      await refresh("hints-body", `/scenarios/${number}/hints`);
      await refreshPage();
      setBusy(false);
    });
    events.onerror = () => { /* the browser reconnects by itself; a finished run ends with "done" */ };
  }

  // Wide view of the output, and back (Escape closes it too).
  const expand = $("expand-output");
  function setExpanded(on) {
    $("output-box").classList.toggle("expanded", on);
    expand.setAttribute("aria-expanded", String(on));
    expand.textContent = on ? "Close wide view" : "Wide view";
    if (on) $("run-output").focus();
  }
  expand?.addEventListener("click", () => setExpanded(!$("output-box").classList.contains("expanded")));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && $("output-box").classList.contains("expanded")) { setExpanded(false); expand.focus(); } });

  // The parts of the page a check changes: the chart of runs and the reveal.
  async function refreshPage() {
    const response = await fetch(location.pathname, { cache: "no-store" });
    if (!response.ok) return;
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ["runs-chart", "reveal-body"]) {
      const fresh = html.getElementById(id);
      if (fresh) $(id).innerHTML = fresh.innerHTML;
    }
  }

  // Show next hint, in place: from the Hints box or from a problem the check observed. The hint appears in the
  // Hints box, which comes into view; the verdict's buttons are refreshed so they offer the level after it.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form.hint-form");
    if (!form) return;
    event.preventDefault();
    const response = await post(form.action, new FormData(form));
    if (!response.ok) { $("run-message").textContent = await response.text(); return; }
    $("hints-body").innerHTML = await response.text();
    const inResult = form.closest("#result") !== null;
    if (inResult) await refresh("result", `/scenarios/${number}/result`);
    const problem = form.querySelector('input[name="problem"]').value;
    // The new hint where the button was: under the problem in the verdict, or in the Hints box.
    const where = inResult ? $("result") : $("hints-body");
    const shown = [...where.querySelectorAll(`[data-problem="${CSS.escape(problem)}"] .hint`)].at(-1);
    if (shown) { shown.tabIndex = -1; shown.scrollIntoView({ block: "nearest" }); shown.focus({ preventScroll: true }); }
  });

  // Live graphs, every 2 s, drawn as SVG polylines.
  async function graphs() {
    try {
      const data = await (await fetch(`/scenarios/${number}/live.json`, { cache: "no-store" })).json();
      if (!data.graphs.length) return;
      $("graphs").replaceChildren(...data.graphs.map(drawGraph));
    } catch { /* the panel is gone; status() says so */ }
  }
  // One graph: the last 5 minutes, newest on the right, 0 at the bottom and the highest value at the top. A gap
  // in the samples (nothing answered) breaks the line; a value older than a few seconds shows as "—".
  function drawGraph(graph) {
    const box = document.createElement("div");
    box.className = "graph";
    const now = Date.now() / 1000, span = 300;
    const lastPoint = graph.points.at(-1);
    const fresh = lastPoint && now - lastPoint.t < 5;
    const title = document.createElement("div");
    title.className = "title";
    title.innerHTML = "<span></span><strong></strong>";
    title.firstChild.textContent = graph.name;
    title.lastChild.textContent = fresh ? `${format(lastPoint.v)} ${graph.unit}` : "— (no traffic now)";
    box.append(title);
    const max = Math.max(...graph.points.map((p) => p.v), graph.unit === "%" ? 100 : 1e-9);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 300 70");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${graph.name}: ${fresh ? "now " + format(lastPoint.v) + " " + graph.unit : "no traffic now"}, highest ${format(max)} ${graph.unit} in the last 5 minutes`);
    let segment = [];
    const draw = () => {
      if (segment.length === 0) return;
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", segment.join(" "));
      svg.append(line);
      segment = [];
    };
    let previous = null;
    for (const p of graph.points) {
      if (previous && p.t - previous.t > 3.5) draw();
      segment.push(`${(300 * (1 - (now - p.t) / span)).toFixed(1)},${(68 - 66 * p.v / max).toFixed(1)}`);
      previous = p;
    }
    draw();
    box.append(svg);
    const scale = document.createElement("div");
    scale.className = "scale";
    scale.innerHTML = "<span>5 min ago</span><span></span><span>now</span>";
    scale.children[1].textContent = `top: ${format(max)} ${graph.unit}`;
    box.append(scale);
    return box;
  }
  function format(value) { return value >= 100 ? Math.round(value).toLocaleString("en") : value.toFixed(value >= 10 ? 1 : 2); }

  status();
  graphs();
  setInterval(status, 3000);
  setInterval(graphs, 2000);
  // A run started in another tab (or before a reload) is followed here too.
  fetch(`/scenarios/${number}/status.json`).then((r) => r.json()).then((s) => {
    if (s.run && !s.run.finished && s.run.scenario === number) follow(s.run);
    else if (s.last) follow(s.last, true);
  }).catch(() => {});
  refresh("result", `/scenarios/${number}/result`);
})();
