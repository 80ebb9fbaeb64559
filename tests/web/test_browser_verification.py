"""Browser tests of the verification pages: Debian's Chromium (Playwright) against a real server holding the
fictional demo (events, process, accounts) and its demo commitments. Walks commitment → report with an evidence
upload → assessment → violation through the pages, checks that each step is provable from the log, and saves a
screenshot of every verification page at 1280×800 and 1024×640 to ``screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consenting import decide_for
from web.browser_support import SIZES, demo_server, follow, launch, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Any]]:
    with demo_server(tmp_path_factory.mktemp("vbrowser"), verification=True) as site:
        yield site


@pytest.fixture(scope="module")
def chromium(demo_site: tuple[str, int, Any]) -> Iterator[Any]:
    with launch() as b:
        yield b


def _shoot(page: Any, name: str) -> None:
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        shot(page, f"verification-{name}")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_workflow_in_the_browser(chromium: Any, demo_site: tuple[str, int, Any], tmp_path: Path) -> None:
    url, pid, ctx = demo_site
    base = f"{url}/processes/{pid}/verification"
    page = sign_in(chromium, url, "observer", "demo-field-monitor")
    page.goto(f"{url}/processes/{pid}")
    follow(page, "text=Commitments and verification")
    assert page.locator("h1").inner_text().startswith("Commitments board")
    assert page.locator("table.board tbody tr").count() == 3
    _shoot(page, "board")
    # at 375 px the board is a list of cards: nothing scrolls sideways and every status is on screen
    page.set_viewport_size({"width": 375, "height": 740})
    # reading scrollWidth makes the browser lay the page out at the new width first (no waiting needed)
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 376)"
        ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, wide
    for box in (page.locator("table.board td[data-label=Status]").nth(i).bounding_box() for i in range(3)):
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    shot(page, "verification-board-375")
    page.set_viewport_size({"width": 1280, "height": 800})

    follow(page, "text=Ceasefire along the Lowvale–Cinder Plain line")
    assert "candidates for a person to assess" in page.content()
    _shoot(page, "commitment")

    assert page.locator("a:has-text('Propose a commitment')").count() == 0  # observers do not propose
    proposer = sign_in(chromium, url, "mediator", "demo-good-offices")
    proposer.goto(f"{base}/commitments/new")
    proposer.fill("input[name=title]", "Exchange of prisoner lists")
    proposer.fill("textarea[name=text]", "Both sides hand over complete lists of prisoners to the mediators.")
    proposer.check("input[name=parties] >> nth=0")
    proposer.check("input[name=parties] >> nth=1")
    proposer.select_option("select[name=category]", "information_exchange")
    proposer.fill("input[name=verifier]", "Mediation team (fictional)")
    proposer.check("input[name=methods][value=third_party_observer]")
    proposer.fill("input[name=deadline]", "2024-05-01")
    _shoot(proposer, "new-commitment")
    follow(proposer, "button:has-text('Propose')")
    assert "The proposal is logged." in proposer.content()
    commitment_url = proposer.url.split("?")[0]
    proposer.close()
    # both parties accept, each with its own key (tests/web/test_browser_consent.py does this in the browser)
    decide_for(ctx, pid, int(commitment_url.rsplit("/", 1)[1]))
    page.goto(commitment_url)
    assert "in force" in page.locator("section.consent h2").inner_text()

    evidence = tmp_path / "lists.txt"
    evidence.write_text("FICTIONAL: both lists received, 212 names in total.\n", encoding="utf-8")
    page.click("text=File a report on this commitment")
    page.fill("textarea[name=narrative]", "Both lists were handed over on time (fictional).")
    page.set_input_files("input[type=file]", str(evidence))
    assert "To sign and send: lists.txt" in page.locator(".upload-note").inner_text()
    follow(page, "text=Sign and file the report")
    assert "valid Ed25519 signature" in page.content()
    _shoot(page, "report")

    page.goto(commitment_url)
    page.locator("details:has(select[name=status])").evaluate("d => { d.open = true; }")
    page.select_option("select[name=status]", "compliant")
    page.fill("textarea[name=rationale]", "Both lists complete.")
    page.check("input[name=report_ids] >> nth=0")
    follow(page, "text=Record the assessment")
    assert "The assessment is recorded and logged." in page.content()
    page.locator("details#allege").evaluate("d => { d.open = true; }")
    page.fill("#allege-summary", "One name missing from the list (fictional).")
    follow(page, "text=Allege the violation")
    assert "Violation #" in page.locator("h1").inner_text()
    violation_url = page.url.split("?")[0]
    page.close()

    mediator = sign_in(chromium, url, "mediator", "demo-good-offices")
    mediator.goto(violation_url)
    mediator.select_option("select[name=to]", "under_review")
    mediator.fill("textarea[name=reason]", "Lists compared by the team.")
    follow(mediator, "text=Record the step")
    assert "under review" in mediator.locator("h1").inner_text()
    _shoot(mediator, "violation")
    follow(mediator, "ol.steps >> text=verify >> nth=1")
    assert "✔ Included" in mediator.content()
    mediator.reload()
    assert mediator.locator("#seen-hint button").count() == 1  # the browser remembers the checkpoint it saw
    follow(mediator, "#seen-hint button")
    assert "✔ Consistent" in mediator.content()
    _shoot(mediator, "verify")
    mediator.goto(f"{base}/record")
    assert mediator.locator("svg.vchart").count() == 1
    _shoot(mediator, "record")
    mediator.goto(base + "?overdue=true")
    _shoot(mediator, "board-overdue")
    mediator.close()

    viewer = sign_in(chromium, url, "viewer", "demo-public-gallery")
    viewer.goto(base)
    assert viewer.locator("table.board tbody tr").count() == 1  # only the public commitment
    response = viewer.goto(commitment_url)
    assert response is not None and response.status == 404
    viewer.close()
