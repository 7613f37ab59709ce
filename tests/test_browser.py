"""A real browser (Debian's headless Chromium, driven by WebDriver) reads the pages and runs a
query from the query page. `./run test` installs chromium and chromium-driver where it can;
elsewhere these tests are skipped, saying why."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialoguekg import export
from dialoguekg.project import Project
from dialoguekg.web import app as serve

from .conftest import chrome_options, records_in, records_of, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
    reason="Debian's chromium and chromium-driver are not installed "
    "(./run test installs them when it runs as root)",
)


@pytest.fixture(scope="module")
def site_url(dist: Path, project: Project) -> Iterator[str]:
    app = serve.create_app(dist, project.queries_dir, export.load_context(project.context_file))
    with serving(app) as (host, port):
        yield f"http://{host}:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dialoguekg-chromium-")
    options = chrome_options(CHROMIUM, profile)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(browser: object, selector: str) -> list[object]:
    """The elements matching ``selector`` once the page that has them has loaded."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 20).until(  # type: ignore[no-any-return]
        lambda driver: driver.find_elements(By.CSS_SELECTOR, selector)
    )


def test_home_page_shows_the_meetings_and_their_timeline(browser: object, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url + "/")  # type: ignore[attr-defined]
    body = browser.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    assert "CPC in Dialogue with World Political Parties High-level Meeting 2017" in body
    assert "CPC in Dialogue with World Political Parties High-level Meeting 2023" in body
    circles = browser.find_elements(By.CSS_SELECTOR, "svg.timeline circle")  # type: ignore[attr-defined]
    assert len(circles) == records_in("meetings") and all(c.is_displayed() for c in circles)


def test_entity_page_shows_facts_and_sources(
    browser: object, site_url: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url + "/id/person/daniel-ortega")  # type: ignore[attr-defined]
    assert browser.current_url.endswith("/id/person/daniel-ortega.html")  # type: ignore[attr-defined]
    assert browser.find_element(By.TAG_NAME, "h1").text == "Daniel Ortega"  # type: ignore[attr-defined]
    body = browser.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    assert "Also known as: Ortega" in body
    assert "Q57402" in body and "Wikidata" in body
    assert "Daniel Ortega: speaker, Plenary session, 2023 meeting" in body
    browser.save_screenshot(str(tmp_path / "entity.png"))  # type: ignore[attr-defined]
    assert (tmp_path / "entity.png").stat().st_size > 10_000


def test_a_query_run_from_the_query_page_shows_result_rows(browser: object, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url + "/sparql")  # type: ignore[attr-defined]
    box = browser.find_element(By.ID, "query")  # type: ignore[attr-defined]
    box.clear()
    box.send_keys(
        "SELECT ?label WHERE { ?p a <https://w3id.org/dialoguekg/def#Party> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"
    )
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()  # type: ignore[attr-defined]
    rows = wait_for(browser, "#results tr")
    assert len(rows) == 1 + records_in("parties")  # the header and every party
    assert [row.text for row in rows[1:]] == sorted(r["name"] for r in records_of("parties"))


def test_the_search_box_finds_a_name_without_its_accents(browser: object, site_url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(site_url + "/")  # type: ignore[attr-defined]
    box = browser.find_element(By.ID, "search")  # type: ignore[attr-defined]
    box.send_keys("vucic")
    box.submit()
    hits = wait_for(browser, "#hits a")
    assert hits[0].text == "Aleksandar Vučić"
