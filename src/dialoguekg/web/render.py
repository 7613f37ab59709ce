"""The pages and documents that depend only on the build: one renderer for ``serve`` and
``static``, so that both give the same bytes for the same page.

Templates write site paths (``href="/id/meeting/2017.html"``); ``relative`` turns them into
paths relative to the page (``../meeting/2017.html``), so a site copied under any sub-path
(a project page at ``/dialoguekg/``) keeps working, with or without a server.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..coverage import coverage
from ..query import select
from ..tables import DESCRIPTOR, FOLDER
from ..vocab import ID, ONTOLOGY_IRI, PREFIXES
from . import conneg, schemaorg, serialize
from .conneg import Format
from .documents import Rendered, describe, rebase, rebase_iri
from .pages import page_of, timeline_svg, view
from .site import DEFAULT, MEETING, PARTY, PERSON, RDF_TYPE, Site

HTML = "text/html; charset=utf-8"
#: The site's own scripts, served by ``serve`` and copied by ``static``.
ASSETS = {
    path.name: path for path in (Path(__file__).parent / "assets").iterdir() if path.is_file()
}
ASSET_MEDIA = {".js": "text/javascript; charset=utf-8"}
#: Attributes holding a site path (one starting with a single "/") in our templates.
SITE_PATH = re.compile(r'\b(href|src|action)="/(?!/)([^"]*)"')


def root_of(path: str) -> str:
    """The relative path from the page at site path ``path`` to the site's root."""
    return "../" * (path.count("/") - 1)


def relative(html: str, path: str) -> str:
    """``html`` of the page at ``path`` with every site path made relative to it."""
    root = root_of(path)
    return SITE_PATH.sub(lambda m: f'{m[1]}="{root + m[2] or "./"}"', html)


def alternates(path: str, shown: Format) -> list[tuple[Format, str]]:
    """Every other format of the document at ``/id/{path}.{suffix}``, with its site path."""
    return [(f, f"/id/{quote(path)}.{f.suffix}") for f in conneg.RESOURCE_FORMATS if f is not shown]


class Renderer:
    """Renders the site's pages and documents from its store."""

    def __init__(self, site: Site, context: dict[str, Any]) -> None:
        self.site = site
        self.context = context
        self.templates = Environment(
            loader=PackageLoader("dialoguekg", "web/templates"),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,  # the templates of the installed package, read once
        )

    def html(self, template: str, at: str | None, **values: Any) -> str:
        """The page ``template`` as it is served at site path ``at``; with no path (a page
        only the server answers, at any path: an error), its site paths stay absolute."""
        root = "/" if at is None else root_of(at)
        page = self.templates.get_template(template).render(root=root, **values)
        return page if at is None else relative(page, at)

    def page(self, template: str, at: str, **values: Any) -> Rendered:
        return Rendered(self.html(template, at, **values).encode(), HTML)

    # -- the home page -----------------------------------------------------------------------

    def home(self) -> Rendered:
        site = self.site
        meetings = select(site.store, """
            PREFIX dkg: <https://w3id.org/dialoguekg/def#> PREFIX schema: <http://schema.org/>
            PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
            SELECT ?m ?label ?type (MIN(?s) AS ?start) (MAX(?e) AS ?end) WHERE {
              ?m a dkg:Meeting ; rdfs:label ?label ; schema:startDate ?s .
              OPTIONAL { ?m schema:endDate ?e }
              VALUES (?class ?type) { (dkg:PartyDialogue "party dialogue")
                (dkg:ThinkTankForum "think-tank forum") (dkg:Briefing "briefing")
                (dkg:ForeignHostedPartyEvent "hosted by another party") }
              ?m a ?class }
            GROUP BY ?m ?label ?type ORDER BY ?start ?label""")
        counts = select(site.store, """
            SELECT ?class (COUNT(DISTINCT ?s) AS ?n)
            WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class""")
        return self.page(
            "home.html",
            "/",
            title="dialoguekg",
            timeline=Markup(timeline_svg(site.meetings())),
            meetings=[
                (page_of(m["m"]), m["label"], m["type"], m["start"], m.get("end", ""))
                for m in meetings
            ],
            counts=[
                (
                    site.label_of_term(c["class"]),
                    int(c["n"]),
                    "/classes/" + c["class"][len(PREFIXES["dkg"]) :] + ".html"
                    if c["class"].startswith(PREFIXES["dkg"])
                    else None,
                )
                for c in counts
            ],
            triples=site.size,
            # the tables by their descriptor only; the downloads page lists every file
            dumps=[n for n in site.dump_names if "/" not in n or n == f"{FOLDER}/{DESCRIPTOR}"],
            dataset=Markup(schemaorg.script(site)),
        )

    # -- entity documents --------------------------------------------------------------------

    def document(
        self, iri: str, path: str, fmt: Format, page: int, base: str | None, whole: bool = False
    ) -> Rendered:
        """The document about ``iri`` (site path ``/id/{path}.{suffix}``), page ``page``, in
        ``fmt``, its IRIs rebased on ``base``; ``whole``: every value on one page."""
        size = sys.maxsize if whole else None
        triples, more = describe(self.site, ox.NamedNode(iri), page, size)
        links = [
            f'<{href}>; rel="alternate"; type="{f.media_type}"' for f, href in alternates(path, fmt)
        ]
        links.append(f'<{rebase_iri(iri, base)}>; rel="describes"')
        if more:
            links.append(f'</id/{quote(path)}.{fmt.suffix}?page={page + 1}>; rel="next"')
        if page > 1:
            links.append(f'</id/{quote(path)}.{fmt.suffix}?page={page - 1}>; rel="prev"')
        headers = (("Link", ", ".join(links)),)
        if fmt is not conneg.HTML:
            body = serialize.graph(rebase(triples, base), fmt.name, self.context)
            return Rendered(body, fmt.media_type, headers)
        site = self.site
        is_party = ox.Triple(ox.NamedNode(iri), RDF_TYPE, PARTY) in triples
        is_meeting = ox.Triple(ox.NamedNode(iri), RDF_TYPE, MEETING) in triples
        is_person = ox.Triple(ox.NamedNode(iri), RDF_TYPE, PERSON) in triples
        attended = site.meetings(iri) if is_party else []
        shown = view(site, iri, triples)
        html = self.html(
            "resource.html",
            f"/id/{quote(path)}.html",
            title=shown["label"],
            timeline=Markup(timeline_svg(attended)) if attended else "",
            attended=attended,
            parties=site.parties_at(iri) if is_meeting else [],
            coverage=next(iter(coverage(site.store, iri)), None) if is_meeting else None,
            took_part=site.took_part(iri) if is_person else [],
            **shown,
            path=path,
            page=page,
            more=more,
            alternates=alternates(path, conneg.HTML),
        )
        return Rendered(html.encode(), HTML, headers)

    # -- classes and the ontology ------------------------------------------------------------

    def class_names(self) -> list[str]:
        """The ontology's classes, by local name."""
        dkg = PREFIXES["dkg"]
        owl_class = ox.NamedNode("http://www.w3.org/2002/07/owl#Class")
        found = self.site.store.quads_for_pattern(None, RDF_TYPE, owl_class)
        return sorted(
            {
                q.subject.value[len(dkg) :]
                for q in found
                if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(dkg)
            }
        )

    def class_page(self, name: str) -> Rendered:
        cls = ox.NamedNode(PREFIXES["dkg"] + name)
        found = self.site.store.quads_for_pattern(None, RDF_TYPE, cls, DEFAULT)
        subjects = [q.subject for q in found if isinstance(q.subject, ox.NamedNode)]
        members = sorted((self.site.label(s) or s.value, page_of(s.value)) for s in subjects)
        return self.page(
            "class.html",
            f"/classes/{name}.html",
            title=self.site.term_labels[cls.value],
            name=name,
            members=members,
        )

    def ontology(self, fmt: Format) -> Rendered:
        quads = self.site.store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_IRI))
        triples = [q.triple for q in quads]
        if fmt is not conneg.HTML:
            return Rendered(serialize.graph(triples, fmt.name, self.context), fmt.media_type)
        return self.page("ontology.html", "/def.html", title="Ontology", terms=self.terms(triples))

    def terms(self, triples: list[ox.Triple]) -> list[dict[str, Any]]:
        """The ontology's classes and properties with label, comment and type."""
        by_term: dict[str, dict[str, str]] = {}
        for t in triples:
            s = t.subject.value if isinstance(t.subject, ox.NamedNode) else ""
            if not s.startswith(PREFIXES["dkg"]):
                continue
            term = by_term.setdefault(s, {"iri": s, "name": s[len(PREFIXES["dkg"]) :]})
            p = t.predicate.value
            if p.endswith("#label"):
                term["label"] = t.object.value if isinstance(t.object, ox.Literal) else ""
            elif p.endswith("#comment"):
                term["comment"] = t.object.value if isinstance(t.object, ox.Literal) else ""
            elif p.endswith("#type") and isinstance(t.object, ox.NamedNode):
                term["kind"] = self.site.curie(t.object.value)
        return sorted(by_term.values(), key=lambda term: (term.get("kind", ""), term["name"]))

    # -- downloads and search ----------------------------------------------------------------

    def dumps_page(self) -> Rendered:
        site = self.site
        sizes = {name: (site.dist / name).stat().st_size for name in site.dump_names}
        return self.page(
            "dumps.html",
            "/dumps/",
            title="Downloads",
            dumps=sorted(sizes.items()),
            sums=(site.dist / "SHA256SUMS").read_text(encoding="ascii"),
        )

    def search_index(self) -> Rendered:
        """The search index as the browser's search reads it (``assets/search.js``)."""
        body = json.dumps(self.site.search_index.export(), ensure_ascii=False)
        return Rendered(body.encode(), "application/json")


def subjects_of_pages(site: Site) -> list[str]:
    """The IRIs of the graph's own resources: those that have a page."""
    seen: set[str] = set()
    for quad in site.store.quads_for_pattern(None, None, None, DEFAULT):
        subject = quad.subject
        if isinstance(subject, ox.NamedNode) and subject.value.startswith(str(ID)):
            seen.add(subject.value)
    return sorted(seen)
