// The static site's SPARQL console: Oxigraph's WebAssembly build, copied into the site by
// `dialoguekg static`, loads the N-Quads dump and answers queries in the browser, with no
// server. Included by console.html inside <script type="module">, after ROOT (the relative
// path to the site's root), DUMP (the dump's file name) and BASE_IRI (the graph's IRI base).
// Everything from the data or the query goes into the page as text (textContent), never HTML.

const box = document.getElementById("query");
const runButton = document.getElementById("run");
const statusLine = document.getElementById("console-status");
const problem = document.getElementById("console-error");
const answerSection = document.getElementById("console-answer");
const countLine = document.getElementById("console-count");
const answer = document.getElementById("answer");
const table = document.getElementById("console-results");
const XSD = "http://www.w3.org/2001/XMLSchema#";
const PLAIN = [XSD + "string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"];
const UPDATES = ["INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"];
const SHOWN_ROWS = 5000; // a bigger table makes the page crawl; the count says how many there are
let store = null;

const messageOf = (error) => (error instanceof Error ? error.message : String(error));
const elapsed = (started) => `${Math.round(performance.now() - started).toLocaleString("en")} ms`;

function fail(text) {
  problem.textContent = text;
  problem.hidden = false;
}

function clear() {
  problem.hidden = true;
  problem.textContent = "";
  answerSection.hidden = true;
  answer.hidden = true;
  answer.textContent = "";
  countLine.textContent = "";
  table.replaceChildren();
}

// The query's prologue (comments, BASE, PREFIX), read only to know the query's form and to
// print IRIs with its prefixes; the engine reads the query itself and reports its errors.
const PROLOGUE = /^(?:\s+|#[^\n]*|BASE\s*<[^>]*>|PREFIX\s*([^\s:]*):\s*<([^>]*)>)/i;

function prologueOf(query) {
  const prefixes = [];
  let rest = query;
  for (let m = PROLOGUE.exec(rest); m !== null && m[0] !== ""; m = PROLOGUE.exec(rest)) {
    if (m[2] !== undefined) prefixes.push([m[1], m[2]]);
    rest = rest.slice(m[0].length);
  }
  const word = /^[A-Za-z]+/.exec(rest);
  return { form: word ? word[0].toUpperCase() : "", prefixes };
}

// Terms, from SPARQL JSON results or from the engine's RDF/JS terms, as one shape.
function fromJson(t) {
  if (!t) return null;
  if (t.type === "triple") {
    return { kind: "triple", parts: [t.value.subject, t.value.predicate, t.value.object].map(fromJson) };
  }
  const kind = t.type === "typed-literal" ? "literal" : t.type;
  return { kind, value: t.value, lang: t["xml:lang"] || "", datatype: t.datatype || "" };
}

function fromTerm(t) {
  if (t.termType === "Quad") {
    return { kind: "triple", parts: [t.subject, t.predicate, t.object].map(fromTerm) };
  }
  const kind = { NamedNode: "uri", BlankNode: "bnode", Literal: "literal" }[t.termType] || "literal";
  return { kind, value: t.value, lang: t.language || "", datatype: t.datatype ? t.datatype.value : "" };
}

const ESCAPES = {
  "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\",
};

// The term in N-Triples, as Oxigraph prints it (shown when the pointer rests on a value).
function nTriples(term) {
  if (term.kind === "uri") return `<${term.value}>`;
  if (term.kind === "bnode") return `_:${term.value}`;
  if (term.kind === "triple") return `<<( ${term.parts.map(nTriples).join(" ")} )>>`;
  const quoted = term.value.replace(/[\u0000-\u001f\u007f"\\]/g, (c) =>
    ESCAPES[c] || "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0"));
  if (term.lang) return `"${quoted}"@${term.lang}`;
  const typed = term.datatype && !PLAIN.includes(term.datatype);
  return typed ? `"${quoted}"^^<${term.datatype}>` : `"${quoted}"`;
}

function compact(iri, prefixes) {
  for (const [name, namespace] of prefixes) {
    const local = iri.slice(namespace.length);
    if (namespace && iri.startsWith(namespace) && /^[\w.-]*$/.test(local)) return `${name}:${local}`;
  }
  return iri;
}

function badge(text) {
  const span = document.createElement("span");
  span.className = "badge";
  span.textContent = text;
  return span;
}

// One value: the graph's own IRIs link to their page in this site, other web IRIs link out,
// literals show their language or datatype.
function cell(term, prefixes) {
  const td = document.createElement("td");
  if (!term) return td;
  td.title = nTriples(term);
  if (term.kind === "uri") {
    const own = term.value.startsWith(BASE_IRI) ? term.value.slice(BASE_IRI.length) : "";
    if (own || /^https?:\/\//i.test(term.value)) {
      const link = document.createElement("a");
      link.href = own ? `${ROOT}id/${own.replace(/[?#]/g, encodeURIComponent)}.html` : term.value;
      link.textContent = own || compact(term.value, prefixes);
      td.append(link);
    } else {
      td.textContent = compact(term.value, prefixes);
    }
  } else if (term.kind === "literal") {
    td.append(term.value);
    if (term.lang) td.append(badge(`@${term.lang}`));
    else if (term.datatype && !PLAIN.includes(term.datatype)) {
      td.append(badge(compact(term.datatype, [["xsd", XSD], ...prefixes])));
    }
  } else {
    td.textContent = nTriples(term);
  }
  return td;
}

function row(values, prefixes) {
  const tr = document.createElement("tr");
  tr.append(...values.map((value) => cell(value, prefixes)));
  return tr;
}

function headerRow(names) {
  const tr = document.createElement("tr");
  for (const name of names) {
    const th = document.createElement("th");
    th.textContent = name;
    tr.append(th);
  }
  return tr;
}

function showTable(header, rows, prefixes, noun, took) {
  const shown = rows.slice(0, SHOWN_ROWS);
  const count = `${rows.length.toLocaleString("en")} ${noun}${rows.length === 1 ? "" : "s"}`;
  countLine.textContent = rows.length > shown.length
    ? `${count} in ${took}; the first ${SHOWN_ROWS.toLocaleString("en")} shown`
    : `${count} in ${took}`;
  table.replaceChildren(headerRow(header), ...shown.map((values) => row(values, prefixes)));
}

function execute(query) {
  clear();
  const { form, prefixes } = prologueOf(query);
  if (UPDATES.includes(form)) {
    fail("This is a SPARQL update; this page only reads the graph.");
    return;
  }
  const started = performance.now();
  let result;
  try {
    const graph = form === "CONSTRUCT" || form === "DESCRIBE";
    result = graph
      ? store.query(query) // the triples, as RDF/JS quads
      : JSON.parse(store.query(query, { results_format: "application/sparql-results+json" }));
  } catch (error) {
    const message = messageOf(error);
    const syntax = /^error at \d+:\d+/.test(message);
    fail(`${syntax ? "The query is not valid SPARQL" : "The query failed"}: ${message}`);
    return;
  }
  const took = elapsed(started);
  answerSection.hidden = false;
  if (Array.isArray(result)) {
    const triples = result.map((quad) => [quad.subject, quad.predicate, quad.object].map(fromTerm));
    showTable(["subject", "predicate", "object"], triples, prefixes, "triple", took);
  } else if (typeof result.boolean === "boolean") {
    answer.textContent = String(result.boolean);
    answer.hidden = false;
    countLine.textContent = `answered in ${took}`;
  } else {
    const names = result.head.vars;
    const rows = result.results.bindings.map((binding) => names.map((name) => fromJson(binding[name])));
    showTable(names, rows, prefixes, "row", took);
  }
}

// The query is in the address (?query=), so that a query, an example, a result can be linked to.
function runAndRecord(query) {
  const address = new URL(window.location.href);
  if (address.searchParams.get("query") !== query) {
    address.searchParams.set("query", query);
    window.history.pushState(null, "", address);
  }
  execute(query);
}

function runAsked() {
  const asked = new URLSearchParams(window.location.search).get("query");
  if (asked !== null) {
    box.value = asked;
    execute(asked);
  }
}

document.getElementById("console").addEventListener("submit", (event) => {
  event.preventDefault();
  if (store) runAndRecord(box.value);
});

document.getElementById("console-examples").addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link || !store) return;
  event.preventDefault();
  box.value = new URL(link.href).searchParams.get("query") || "";
  runAndRecord(box.value);
  statusLine.scrollIntoView({ block: "nearest" });
});

window.addEventListener("popstate", () => { if (store) runAsked(); });

async function start() {
  const started = performance.now();
  let oxigraph;
  try {
    oxigraph = await import(`${ROOT}assets/oxigraph/web.js`);
    // the .wasm by its URL: wasm-bindgen falls back from streaming compilation by itself
    // when the host does not serve it as application/wasm
    const wasm = new URL(`${ROOT}assets/oxigraph/web_bg.wasm`, document.baseURI);
    await oxigraph.default({ module_or_path: wasm });
  } catch (error) {
    statusLine.textContent = "the query engine could not be loaded";
    const hint = window.location.protocol === "file:"
      ? " (a page opened as a file cannot load it: serve the folder, python3 -m http.server say)"
      : "";
    fail(`The query engine could not be loaded: ${messageOf(error)}${hint}`);
    return;
  }
  statusLine.textContent = "loading the graph…";
  try {
    const response = await fetch(`${ROOT}dumps/${DUMP}`);
    if (!response.ok) throw new Error(`${response.status} ${response.statusText} for ${response.url}`);
    const loaded = new oxigraph.Store();
    loaded.load(new Uint8Array(await response.arrayBuffer()), { format: "application/n-quads" });
    store = loaded;
  } catch (error) {
    statusLine.textContent = "the graph could not be loaded";
    fail(`The graph could not be loaded: ${messageOf(error)}`);
    return;
  }
  statusLine.textContent = `${store.size.toLocaleString("en")} quads loaded in ${elapsed(started)}`;
  runButton.disabled = false;
  runAsked();
}

start();
