/* Name search in the browser, over the index the site publishes at search/index.json.
   It folds and ranks as the server's search does (dialoguekg.web.names and
   pages.SearchIndex, tested against each other): whole name first, then the name's start,
   then every query word starting a word of the name; things before the records about them,
   those before sources; then by label. The names' keys come made in the index; only the
   query is folded here. */
(function (exports) {
  "use strict";

  var UNSPACED = /[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]/;

  function casefold(text) {
    return text.toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }

  function fold(name) {
    return casefold(name.normalize("NFKD").replace(/\p{Mn}/gu, "")).trim();
  }

  function normal(name) {
    return fold(name).replace(/[^\p{L}\p{N}_]+/gu, " ").trim();
  }

  function variants(name, cyrillic) {
    var lower = name.toLowerCase(), latin = "";
    for (var c of lower) { latin += Object.prototype.hasOwnProperty.call(cyrillic, c) ? cyrillic[c] : c; }
    return latin !== lower ? [name, latin] : [name];
  }

  function keys(name, cyrillic) {
    var found = [];
    variants(name, cyrillic).forEach(function (v) {
      var k = normal(v);
      if (k && found.indexOf(k) < 0) { found.push(k); }
    });
    return found;
  }

  function rank(query, name) {
    if (name === query) { return 0; }
    if (name.startsWith(query)) { return 1; }
    if (UNSPACED.test(query)) { return name.indexOf(query) >= 0 ? 2 : null; }
    var starts = name.split(" ");
    var all = query.split(" ").every(function (part) {
      return starts.some(function (word) { return word.startsWith(part); });
    });
    return all ? 2 : null;
  }

  function compare(a, b) {
    for (var i = 0; i < 3; i++) {
      if (a[i] < b[i]) { return -1; }
      if (a[i] > b[i]) { return 1; }
    }
    return 0;
  }

  function hit(row) { return { label: row[0], matched: row[1], href: row[2], kind: row[3] }; }

  /* One page of hits for `query`, and how many there are in all: {count, hits}. */
  function search(index, query, limit, page) {
    var wanted = keys(query, index.cyrillic);
    var firstWords = wanted.map(function (q) { return q.split(" ")[0]; });
    var group = function (kind) { return index.groups[kind] || 0; };
    var best = new Map();
    index.entries.forEach(function (entry) {
      var names = entry[0];
      var held = firstWords.some(function (w) { return names.some(function (k) { return k.indexOf(w) >= 0; }); });
      if (!held) { return; }
      var ranks = [];
      wanted.forEach(function (q) {
        names.forEach(function (k) { var r = rank(q, k); if (r !== null) { ranks.push(r); } });
      });
      if (!ranks.length) { return; }
      var found = hit(entry.slice(1));
      var order = [Math.min.apply(null, ranks), group(found.kind), casefold(found.label), found];
      var before = best.get(found.href);
      if (before === undefined || compare(order, before) < 0) { best.set(found.href, order); }
    });
    wanted.forEach(function (q) {
      var row = Object.prototype.hasOwnProperty.call(index.ids, q) ? index.ids[q] : null;
      if (row) { var found = hit(row); best.set(found.href, [0, group(found.kind), casefold(found.label), found]); }
    });
    var ranked = Array.from(best.values()).sort(compare).map(function (e) { return e[3]; });
    return { count: ranked.length, hits: ranked.slice((page - 1) * limit, page * limit) };
  }

  exports.fold = fold;
  exports.normal = normal;
  exports.keys = keys;
  exports.search = search;

  if (typeof document === "undefined") { return; }

  /* The page's root (its relative path to the site's root), from this script's own address. */
  var script = document.currentScript;
  var root = script ? script.getAttribute("src").replace(/assets\/search\.js$/, "") : "";
  var loading = null;
  function index() {
    if (loading === null) {
      loading = fetch(root + "search/index.json").then(function (r) { return r.json(); });
    }
    return loading;
  }
  function local(href) { return root + href.replace(/^\//, ""); }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("search"), list = document.getElementById("search-hits");
    if (box && list) {
      box.addEventListener("input", function () {
        if (box.value.length < 2) { return; }
        var asked = box.value;
        index().then(function (idx) {
          if (box.value !== asked) { return; }
          list.replaceChildren();
          search(idx, asked, 10, 1).hits.forEach(function (h) {
            var o = document.createElement("option"); o.value = h.label; list.appendChild(o);
          });
        });
      });
    }
    var table = document.getElementById("hits");
    if (!table || !table.hasAttribute("data-in-browser")) { return; }
    var params = new URLSearchParams(window.location.search);
    var q = params.get("q") || "", page = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
    if (box) { box.value = q; }
    var status = document.getElementById("search-status");
    index().then(function (idx) {
      var found = search(idx, q, 10, page);
      document.title = "Search: " + q + " · dialoguekg";
      status.textContent = found.count + (found.count === 1 ? " hit" : " hits") + " for “" + q + "”";
      found.hits.forEach(function (h) {
        var row = table.insertRow(), name = row.insertCell(), kind = row.insertCell();
        var a = document.createElement("a"); a.href = local(h.href); a.textContent = h.label;
        name.appendChild(a);
        if (h.matched !== h.label) {
          var m = document.createElement("span"); m.className = "muted"; m.textContent = " (" + h.matched + ")";
          name.appendChild(m);
        }
        kind.className = "muted"; kind.textContent = h.kind;
      });
      var nav = document.getElementById("search-pages");
      [["previous", page - 1, page > 1], ["next", page + 1, page * 10 < found.count]].forEach(function (p) {
        if (!p[2]) { return; }
        var a = document.createElement("a");
        a.href = "?" + new URLSearchParams({ q: q, page: String(p[1]) }).toString();
        a.rel = p[0] === "next" ? "next" : "prev"; a.textContent = p[0] + " ";
        nav.appendChild(a);
      });
    }).catch(function (e) { status.textContent = "The search index could not be read: " + e; });
  });
})(typeof module !== "undefined" && module.exports ? module.exports : (window.dialoguekgSearch = {}));
