"""Consent of the bound party in a real browser (Debian's Chromium through Playwright, a real server, the demo).

Arcadia's representative proposes a commitment that binds Borealis. Borealis's representative sees it as a proposal
awaiting Borealis, makes a signing key in its own browser (WebCrypto Ed25519, the private half never leaves the
browser), accepts the proposal with it — and only then does the commitment appear on the board. A second proposal,
declined with a reason, never appears there. Every wait is on a condition (a navigation, a text), never on time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from web.browser_support import demo_server, follow, launch, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

ARCADIA, BOREALIS = "Arcadia (fictional)", "Borealis (fictional)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Any]]:
    with demo_server(tmp_path_factory.mktemp("consent-browser")) as running:
        yield running


def _propose(page: Any, base: str, title: str) -> str:
    page.goto(f"{base}/commitments/new")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=text]", f"{title} (fictional), within thirty days.")
    page.check(f"input[name=parties][value='{BOREALIS}']")
    page.select_option("select[name=category]", "detainee_release")
    page.fill("input[name=verifier]", "ICRC-style visit (fictional)")
    page.check("input[name=methods][value=third_party_observer]")
    page.fill("input[name=deadline]", "2031-06-01")
    follow(page, "button:has-text('Propose')")
    assert "The proposal is logged." in page.content()
    return str(page.url.split("?")[0])


def _board_titles(page: Any, base: str) -> list[str]:
    page.goto(base)
    return [str(t) for t in page.locator("table.board tbody tr td:first-child").all_inner_texts()]


def test_a_party_accepts_with_its_own_key_before_anything_binds_it(site: tuple[str, int, Any]) -> None:
    url, pid, ctx = site
    base = f"{url}/processes/{pid}/verification"
    with launch() as browser:
        arcadia = sign_in(browser, url, "rep-arcadia", "arcadia-demo-password")
        title = "Borealis releases the detainees held at Cinder Camp"
        proposal = _propose(arcadia, base, title)
        assert "proposal — awaiting " + BOREALIS in arcadia.locator("section.consent h2").inner_text()
        assert arcadia.locator("#consent").count() == 0  # Arcadia is not bound: nothing for it to sign
        assert "Entered by rep-arcadia" in arcadia.locator("section.consent").inner_text()
        assert not any(title in t for t in _board_titles(arcadia, base))
        assert title in arcadia.locator("section.proposals").inner_text()

        borealis = sign_in(browser, url, "rep-borealis", "borealis-demo-password")
        borealis.goto(proposal)
        assert "proposal — awaiting " + BOREALIS in borealis.locator("section.consent h2").inner_text()
        assert "You have no signing key registered yet" in borealis.locator("#consent").inner_text()
        follow(borealis, "#consent >> text=create this browser's key")
        follow(borealis, "text=Create this browser's signing key")
        assert "The key is registered for your party" in borealis.content()
        assert "rep-borealis-browser" in borealis.locator("table.keys").inner_text()
        shot(borealis, "consent-keys")

        borealis.goto(proposal)
        shot(borealis, "consent-proposal")
        follow(borealis, f"text=Accept for {BOREALIS}, signed with this browser's key")
        assert "Your party's decision is signed, verified and logged." in borealis.content()
        assert "in force" in borealis.locator("section.consent h2").inner_text()
        consents = borealis.locator("table.consents").inner_text()
        assert "accepted" in consents and "rep-borealis" in consents and "✔ verifies" in consents
        assert any(title in t for t in _board_titles(borealis, base))
        assert any(title in t for t in _board_titles(arcadia, base))  # the same board for the other party

        declined = "Borealis hands over its heavy weapons"
        refused = _propose(arcadia, base, declined)
        borealis.goto(refused)
        borealis.fill("#consent form[data-decision=decline] [name=reason]", "Not agreed at the table.")
        follow(borealis, "text=Decline, signed with this browser's key")
        assert "declined" in borealis.locator("section.consent h2").inner_text()
        assert "Not agreed at the table." in borealis.locator("table.consents").inner_text()
        for page in (arcadia, borealis):
            titles = _board_titles(page, base)
            assert not any(declined in t for t in titles)
            assert declined not in page.locator("body").inner_text()  # not even among open proposals
        arcadia.close()
        borealis.close()

    from detente.services import verification_reads
    from detente.services.accounts import caller_by_name

    _, board = verification_reads.board(ctx, caller_by_name(ctx, "mediator", via="test"), pid)
    counted = {c.title for c in board.commitments}
    assert title in counted and declined not in counted
