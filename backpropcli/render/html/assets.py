"""The page's style and script, inline: every selector starts at .bp and the script touches only the
views it finds (each once), so two reports in one notebook do not interfere. Only a whole page
(data-page) keeps the step in the URL fragment (#step-7) and hears the arrow keys anywhere on it.
"""

STYLE = """
.bp{--ink:#1f2937;--soft:#6b7280;--line:#9ca3af;--hi:#1d4ed8;--pos:#dcfce7;--pos-ink:#166534;--neg:#fee2e2;
--neg-ink:#991b1b;--zero:#f3f4f6;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--ink);max-width:1400px;margin:0 auto;padding:12px}
.bp h1{font-size:1.5em;margin:.2em 0}.bp .lede{color:var(--soft);margin:.2em 0 .8em}
.bp .warning{color:var(--neg-ink);margin:.2em 0}
.bp code{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.95em}
.bp .controls{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:6px;align-items:center;
background:#fff;padding:6px 0;border-bottom:1px solid #e5e7eb}
.bp button{font:inherit;font-weight:600;padding:6px 14px;border:2px solid var(--hi);border-radius:8px;background:#fff;
color:var(--hi);cursor:pointer;min-height:44px;min-width:44px}
.bp button:disabled{border-color:#d1d5db;color:#9ca3af;cursor:default}
.bp button:focus-visible,.bp input:focus-visible,.bp .row:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.bp .counter{font-weight:600;margin-left:6px}
.bp .graph{margin:8px 0;border:1px solid #e5e7eb;border-radius:10px;background:#fcfcfd}
.bp .pane{overflow:auto}
.bp .graph.fit svg{display:block;width:100%;height:auto;max-height:62vh;margin:0 auto}
.bp .graph.wide .pane{max-height:75vh}.bp .graph.wide svg{display:block;max-width:none;height:auto}
.bp figcaption{font-size:.85em;color:var(--soft);padding:6px 10px;border-top:1px solid #e5e7eb}
.bp .node rect{fill:#fff;stroke:var(--line);stroke-width:1.5}
.bp .node text{font:13px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:var(--ink)}
.bp .node .nm{font-weight:700}.bp .node .what{fill:var(--soft)}.bp .node .gr{font-weight:600}
.bp .node .sign{font-weight:800;font-size:15px}
.bp .k-positive rect{fill:var(--pos)}.bp .k-positive .gr,.bp .k-positive .sign{fill:var(--pos-ink)}
.bp .k-negative rect{fill:var(--neg)}.bp .k-negative .gr,.bp .k-negative .sign{fill:var(--neg-ink)}
.bp .k-zero rect{fill:var(--zero)}.bp .k-constant rect,.bp .k-unused rect{stroke-dasharray:5 4}
.bp .node.copy{filter:drop-shadow(4px 4px 0 #94a3b8)}
.bp .node .unk{display:none}
.bp[data-live] .node.novalue .val{display:none}
.bp[data-live] .node.nograd .gr,.bp[data-live] .node.nograd .sign{visibility:hidden}
.bp[data-live] .node.novalue .unk{display:inline}
.bp[data-live] .node.novalue rect,.bp[data-live] .node.nograd rect{fill:#fff}
.bp .node.current rect{stroke:var(--hi);stroke-width:4}
.bp .node.touched rect{stroke:var(--hi);stroke-width:2.5;stroke-dasharray:6 3}
.bp .edge path{fill:none;stroke:var(--line);stroke-width:1.5}.bp .edge polygon{fill:var(--line)}
.bp .edge.quiet path{stroke-dasharray:4 3}
.bp .edge .lbl,.bp .edge .fwd{display:none;font:600 13px system-ui,sans-serif;fill:var(--hi);paint-order:stroke;
stroke:#fff;stroke-width:5px;stroke-linejoin:round}
.bp .edge.active path{stroke:var(--hi);stroke-width:3.5}.bp .edge.active polygon{fill:var(--hi)}
.bp[data-phase=backward] .edge.active .lbl,.bp[data-phase=forward] .edge.active .fwd{display:inline}
.bp .edge .fwd{fill:#6d28d9}
.bp .steps{list-style:none;padding:0;margin:0}
.bp .step{border:1px solid #e5e7eb;border-left:6px solid var(--hi);border-radius:8px;padding:8px 14px;margin:8px 0;
background:#fff}
.bp .step h2{font-size:1.15em;margin:.2em 0 .4em}.bp .step .no{color:var(--soft);font-weight:600;margin-right:.4em}
.bp .step[data-phase=forward]{border-left-color:#7c3aed}.bp .step .eq{font-size:1.25em;margin:.3em 0}
.bp .flows{border-collapse:collapse;margin:.4em 0;font-size:1.05em}
.bp .flows th,.bp .flows td{padding:4px 10px;text-align:left;vertical-align:top;border-bottom:1px solid #e5e7eb}
.bp .flows thead th{font-size:.8em;color:var(--soft);text-transform:uppercase;letter-spacing:.04em}
.bp .flows .sym{display:block;font-size:.85em;color:var(--soft)}.bp .flows .num{font-size:1.15em}
.bp .flows .op{font-size:1.3em;color:var(--soft)}
.bp .total{background:#eff6ff;border-radius:6px;padding:4px 8px}
.bp .kink{background:#fef3c7;border-radius:6px;padding:4px 8px}
.bp .claims{list-style:none;padding:0}.bp .claim{padding:4px 8px;border-radius:6px;margin:4px 0}
.bp .claim.ok{background:var(--pos)}.bp .claim.bad{background:var(--neg)}.bp .claim .verdict{font-weight:700}
.bp .plain{padding-left:1.2em}
.bp .key{padding:0 6px;border-radius:4px;border:1px solid var(--line)}
.bp .key.k-positive{background:var(--pos)}.bp .key.k-negative{background:var(--neg)}
.bp .key.k-zero{background:var(--zero)}
.bp .search{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.bp .search input{font:inherit;padding:6px 10px;min-height:40px;border:2px solid var(--line);border-radius:8px;
min-width:16em}
.bp .ledger{width:100%;border-collapse:collapse;font-size:.95em}
.bp .ledger th,.bp .ledger td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left}
.bp .ledger tbody tr{cursor:pointer}.bp .ledger tbody tr:hover,.bp .ledger tr.chosen{background:#eff6ff}
.bp .hood svg{max-width:100%;height:auto}
.bp .hood .nb{cursor:pointer}
@media (max-width:700px){.bp{font-size:15px;padding:6px}.bp button{padding:4px 9px}.bp .flows thead{display:none}
.bp .flows tr{display:block;padding:6px 0;border-bottom:1px solid #e5e7eb}
.bp .flows th,.bp .flows td{display:inline-block;border:0;padding:2px 4px}}
@media print{.bp .controls,.bp .search{display:none}.bp .step{display:block!important;break-inside:avoid}
.bp .step[hidden]{display:block!important}.bp[data-live] .node.novalue .val{display:inline}
.bp[data-live] .node.nograd .gr,.bp[data-live] .node.nograd .sign{visibility:visible}
.bp[data-live] .node.novalue .unk{display:none}
.bp .node.current rect,.bp .node.touched rect{stroke:var(--line);stroke-width:1.5;stroke-dasharray:none}
.bp .edge.active path{stroke:var(--line);stroke-width:1.5}.bp .edge .lbl,.bp .edge .fwd{display:none!important}
.bp .graph,.bp .pane{overflow:visible;break-inside:avoid}
.bp .node rect{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
"""

SCRIPT = """
(function () {
  "use strict";
  function steps(root) {
    var items = root.querySelectorAll(".step"), nodes = root.querySelectorAll(".node");
    var edges = root.querySelectorAll(".edge"), counter = root.querySelector(".counter");
    var page = root.hasAttribute("data-page"), pane = root.querySelector(".pane"), at = 0;
    function show(k, record) {
      k = Math.max(0, Math.min(items.length - 1, k));
      at = k;
      var step = items[k], gate = step.getAttribute("data-gate");
      var lit = {}, touched = {};
      step.getAttribute("data-edges").split(" ").forEach(function (e) { if (e) { lit[e] = true; } });
      step.querySelectorAll(".flow").forEach(function (f) { touched[f.getAttribute("data-node")] = true; });
      for (var i = 0; i < items.length; i++) { items[i].hidden = i !== k; }
      root.setAttribute("data-phase", step.getAttribute("data-phase"));
      nodes.forEach(function (n) {
        var id = n.getAttribute("data-node");
        n.classList.toggle("novalue", k < +n.getAttribute("data-v"));
        n.classList.toggle("nograd", k < +n.getAttribute("data-g"));
        n.classList.toggle("current", id === gate);
        n.classList.toggle("touched", touched[id] === true && id !== gate);
      });
      edges.forEach(function (e) { e.classList.toggle("active", lit[e.getAttribute("data-edge")] === true); });
      var here = gate !== "" && root.querySelector('.node[data-node="' + gate + '"]');
      if (here && (pane.scrollWidth > pane.clientWidth || pane.scrollHeight > pane.clientHeight)) {
        var box = here.getBoundingClientRect(), frame = pane.getBoundingClientRect();
        pane.scrollLeft += box.left + box.width / 2 - (frame.left + frame.width / 2);
        pane.scrollTop += box.top + box.height / 2 - (frame.top + frame.height / 2);
      }
      counter.textContent = step.querySelector("h2").textContent;
      root.querySelector("[data-go=first]").disabled = root.querySelector("[data-go=prev]").disabled = k === 0;
      root.querySelector("[data-go=last]").disabled = root.querySelector("[data-go=next]").disabled =
        k === items.length - 1;
      if (page && record) { history.replaceState(null, "", "#step-" + (k + 1)); }
    }
    var moves = {first: function () { return 0; }, prev: function () { return at - 1; },
      next: function () { return at + 1; }, last: function () { return items.length - 1; }};
    root.querySelectorAll("[data-go]").forEach(function (b) {
      b.addEventListener("click", function () { show(moves[b.getAttribute("data-go")](), true); });
    });
    var keys = {ArrowRight: "next", ArrowDown: "next", PageDown: "next", ArrowLeft: "prev", ArrowUp: "prev",
      PageUp: "prev", Home: "first", End: "last"};
    (page ? document : root).addEventListener("keydown", function (e) {
      var t = e.target && e.target.tagName;
      if (!keys[e.key] || e.altKey || e.ctrlKey || e.metaKey || t === "INPUT" || t === "TEXTAREA") { return; }
      e.preventDefault();
      show(moves[keys[e.key]](), true);
    });
    function fromHash() {
      var m = /^#step-(\\d+)$/.exec(location.hash);
      return m ? +m[1] - 1 : 0;
    }
    if (page) { window.addEventListener("hashchange", function () { show(fromHash(), false); }); }
    if (!page) { root.tabIndex = 0; }
    show(page ? fromHash() : 0, false);
  }
  function start(root) {
    root.setAttribute("data-live", "");
    if (root.getAttribute("data-mode") === "large") { root.bpLarge(root); } else { steps(root); }
  }
  document.querySelectorAll(".bp:not([data-live])").forEach(function (root) {
    if (root.getAttribute("data-mode") === "large") { root.bpLarge = LARGE; }
    start(root);
  });
  function LARGE(root) {
    var data = JSON.parse(root.querySelector(".bp-data").textContent), nodes = data.nodes, users = [];
    var input = root.querySelector(".search input"), rows = root.querySelector(".ledger tbody");
    var found = root.querySelector(".found"), hood = root.querySelector(".hood"), SHOWN = 50, NS = "http://www.w3.org/2000/svg";
    nodes.forEach(function () { users.push([]); });
    nodes.forEach(function (n, id) { n[4].forEach(function (a) { users[a].push(id); }); });
    function flows(id) {
      var n = nodes[id];
      return n[4].map(function (a, k) {
        return n[5][k] ? nodes[a][0] + ": " + n[3] + " \u00d7 " + n[5][k] + " = " + n[6][k] : nodes[a][0];
      }).join("; ");
    }
    function cell(tr, text) { var td = document.createElement("td"); td.textContent = text; tr.appendChild(td); }
    function search() {
      var q = input.value.trim().toLowerCase(), hits = 0;
      rows.textContent = "";
      data.order.forEach(function (id, k) {
        var n = nodes[id];
        if (q && n[0].toLowerCase().indexOf(q) < 0 && n[1].toLowerCase().indexOf(q) < 0) { return; }
        hits += 1;
        if (hits > SHOWN) { return; }
        var tr = document.createElement("tr");
        tr.className = "row"; tr.tabIndex = 0; tr.setAttribute("data-node", id);
        cell(tr, k < data.gates ? String(k + 1) : "input");
        cell(tr, n[0]); cell(tr, n[1]); cell(tr, n[2]); cell(tr, n[3]); cell(tr, flows(id));
        tr.addEventListener("click", function () { choose(id); });
        tr.addEventListener("keydown", function (e) { if (e.key === "Enter") { choose(id); } });
        rows.appendChild(tr);
      });
      found.textContent = hits + (hits === 1 ? " matching node" : " matching nodes") +
        (hits > SHOWN ? ", the first " + SHOWN + " shown" : "");
    }
    function box(svg, id, x, y, chosen) {
      var g = document.createElementNS(NS, "g"), r = document.createElementNS(NS, "rect"), n = nodes[id];
      g.setAttribute("class", "node nb" + (chosen ? " current" : ""));
      g.setAttribute("transform", "translate(" + x + "," + y + ")");
      r.setAttribute("width", 230); r.setAttribute("height", 56); r.setAttribute("rx", 9); g.appendChild(r);
      [n[0] === n[2] ? n[0] : n[0] + " = " + n[2], n[1], n[3] ? "\u2202" + data.out + " = " + n[3] : ""]
      .forEach(function (line, k) {
        var t = document.createElementNS(NS, "text");
        t.setAttribute("x", 10); t.setAttribute("y", 18 + 16 * k); t.textContent = line.slice(0, 30);
        if (k === 0) { t.setAttribute("class", "nm"); }
        g.appendChild(t);
      });
      if (!chosen) { g.addEventListener("click", function () { choose(id); }); }
      svg.appendChild(g);
    }
    function choose(id) {
      var left = nodes[id][4].slice(0, 12), right = users[id].slice(0, 12);
      var tall = Math.max(left.length, right.length, 1);
      var svg = document.createElementNS(NS, "svg"), list = document.createElement("p");
      svg.setAttribute("viewBox", "0 0 760 " + (tall * 66 + 10));
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", "the neighbourhood of " + nodes[id][0]);
      hood.textContent = "";
      var h2 = document.createElement("h2");
      h2.textContent = "Neighbourhood of " + nodes[id][0] + ": " + nodes[id][4].length + " inputs; " +
        users[id].length + " gates read it";
      hood.appendChild(h2);
      box(svg, id, 265, (tall * 66 - 56) / 2 + 5, true);
      [[left, 5], [right, 525]].forEach(function (side) {
        side[0].forEach(function (other, k) {
          box(svg, other, side[1], k * 66 + 5 + (tall - side[0].length) * 33, false);
          var b = document.createElement("button");
          b.type = "button"; b.textContent = nodes[other][0];
          b.addEventListener("click", function () { choose(other); });
          list.appendChild(b); list.appendChild(document.createTextNode(" "));
        });
      });
      hood.appendChild(svg);
      hood.appendChild(list);
      root.querySelectorAll(".ledger tr.chosen").forEach(function (r) { r.classList.remove("chosen"); });
      var row = root.querySelector('.ledger tr[data-node="' + id + '"]');
      if (row) { row.classList.add("chosen"); }
    }
    input.addEventListener("input", search);
    search();
    choose(data.order[0]);
  }
})();
"""
