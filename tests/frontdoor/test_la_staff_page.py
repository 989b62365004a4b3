"""The LA staff page (issue #18) in a real headless Chromium driven by Selenium: a member of LA
staff signs in, opens a referral (its PDF served inline, never cached), acknowledges it and
sends a decision; the school's DSL PC takes the decision in at its next sync, its signature
verified against the front door key it pinned, and shows it on the referral and in the
chronology. Also: cookies, CSRF and the sign-in rate limit, checked over plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.delivery.la_routes import route_state
from app.delivery.outcomes import la_answers
from app.domain.chronology import chronology
from app.domain.pupils import child_by_upn
from app.hub.sync import sync_round
from tests.conftest import SmallSchool
from tests.frontdoor.conftest import Service, from_address
from tests.frontdoor.test_la_answers import sent_referral

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PASSWORD = "synthetic-staff-password"
SHOTS = Path("/tmp")


@pytest.fixture()
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (scripts/dev.sh installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1280,900",
                "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture()
def la_with_page(fresh_la_service: Service, monkeypatch: pytest.MonkeyPatch) -> Service:
    service = fresh_la_service
    service.serve_args = ["--staff-page"]
    service.start()
    monkeypatch.setenv("CONCERNDESK_STAFF_PASSWORD", PASSWORD)
    assert service.cli("staff", "add", "--name", "sam-duty", "--display-name", "Sam Duty") == 0
    return service


def shows(driver: object, text: str) -> bool:
    """Waits (up to 30 s) for the page after a click to show ``text``: a form's submission
    may still be on its way when ``click()`` returns."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 30).until(lambda d: text in d.page_source)  # type: ignore
    except TimeoutException:
        return False
    return True


def sign_in(driver: object, url: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/staff")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "name").send_keys("sam-duty")  # type: ignore[attr-defined]
    driver.find_element(By.ID, "password").send_keys(password)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "form button").click()  # type: ignore[attr-defined]


def test_a_decision_made_on_the_page_reaches_the_dsl_pc_verified(
        school: SmallSchool, la_with_page: Service, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    service, driver = la_with_page, browser
    with school.open("dsl") as dsl:
        referral_id, envelope_id = sent_referral(dsl, school, service)

        sign_in(driver, service.url, "not-the-password")
        assert shows(driver, "Name or password not recognised")
        sign_in(driver, service.url, PASSWORD)
        assert shows(driver, "Referrals received")
        assert driver.current_url.endswith("/staff/inbox")  # type: ignore[attr-defined]
        row = driver.find_element(By.CSS_SELECTOR, "tbody tr")  # type: ignore[attr-defined]
        assert "Larkfield Test Primary" in row.text and "New" in row.text
        driver.save_screenshot(str(SHOTS / "laside-inbox.png"))  # type: ignore[attr-defined]
        row.find_element(By.TAG_NAME, "a").click()
        assert shows(driver, "Acknowledge receipt to the school")
        assert driver.current_url.endswith(f"/staff/referrals/{envelope_id}")  # type: ignore
        frame = driver.find_element(By.TAG_NAME, "iframe")  # type: ignore[attr-defined]
        assert frame.get_attribute("src").endswith(f"/staff/referrals/{envelope_id}/pdf")
        driver.save_screenshot(str(SHOTS / "laside-referral.png"))  # type: ignore

        driver.find_element(By.ID, "ack-reference").send_keys("EH-2026-0077")  # type: ignore
        driver.find_element(By.XPATH, "//button[contains(., 'Acknowledge')]").click()  # type: ignore
        assert shows(driver, "The acknowledgement was sent to the school.")
        Select(driver.find_element(By.ID, "outcome")).select_by_value(  # type: ignore
            "early help")
        driver.find_element(By.ID, "note").send_keys(  # type: ignore[attr-defined]
            "Early help assessment offered to the family")
        driver.find_element(By.XPATH, "//button[contains(., 'Send the decision')]").click()  # type: ignore
        assert shows(driver, "The decision was sent to the school.")
        assert "Decided: early help" in driver.page_source  # type: ignore[attr-defined]
        driver.save_screenshot(str(SHOTS / "laside-decided.png"))  # type: ignore

        school.clock.advance(600)
        report = sync_round(dsl)  # the DSL PC's sync, through the real service
        assert [a.outcome for a in report.answers] == ["applied", "applied"]
        decided = la_answers(dsl, referral_id)[-1]
        assert decided.answer == "decided"
        assert "decided: early help (Sam Duty," in decided.text
        assert "Early help assessment offered" in decided.text
        state = route_state(dsl, referral_id)  # the route ends as every route does
        assert state.reference == "EH-2026-0077" and "early help" in (state.outcome or "")
        child = child_by_upn(dsl, "B801200005001")
        assert any("decided: early help" in (item.summary or "")
                   for item in chronology(dsl, child.id))


def test_cookies_pdf_headers_csrf_and_the_sign_in_limit(
        school: SmallSchool, la_with_page: Service) -> None:
    service = la_with_page
    with school.open("dsl") as dsl:
        _, envelope_id = sent_referral(dsl, school, service)
    with httpx.Client(base_url=service.url) as web:
        form = web.get("/staff/sign-in")
        assert form.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in form.headers["content-security-policy"]
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore
        answer = web.post("/staff/sign-in", data={"csrf": csrf, "name": "sam-duty",
                                                  "password": PASSWORD})
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie  # plain http on 127.0.0.1; behind TLS it is Secure

        pdf = web.get(f"/staff/referrals/{envelope_id}/pdf")
        assert pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-disposition"].startswith("inline;")
        assert pdf.headers["cache-control"] == "no-store"

        # A POST without the session's CSRF token sends nothing.
        refused = web.post(f"/staff/referrals/{envelope_id}/acknowledge", data={"csrf": "x"})
        assert refused.status_code == 403 and "nothing was sent" in refused.text
        page = web.get(f"/staff/referrals/{envelope_id}")
        assert "Nothing sent to the school yet" in page.text
        bad = web.post(f"/staff/referrals/{envelope_id}/decide", data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', page.text).group(1),  # type: ignore
            "outcome": "maybe"})
        assert bad.status_code == 400 and "Nothing was sent: outcome: one of" in bad.text

    # Without a session: to the sign-in page, and no PDF.
    assert httpx.get(service.url + f"/staff/referrals/{envelope_id}/pdf").status_code == 303
    # Wrong passwords from one address: refused after ten a minute.
    with httpx.Client(base_url=service.url, transport=from_address("127.0.0.9")) as flood:
        form = flood.get("/staff/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore
        codes: list[int] = []
        while 429 not in codes and len(codes) < 40:  # refills 1 every 6 s: tries outpace it
            answer = flood.post("/staff/sign-in", data={"csrf": csrf, "name": "sam-duty",
                                                        "password": "wrong-password"})
            codes.append(answer.status_code)
    assert codes[:10] == [401] * 10 and codes[-1] == 429
    assert int(answer.headers["retry-after"]) >= 1


def test_a_plain_front_door_does_not_serve_the_page(fresh_la_service: Service) -> None:
    service = fresh_la_service
    service.start()
    page = httpx.get(service.url + "/staff/sign-in")
    assert page.status_code == 404 and "--staff-page" in page.text


def test_staff_add_refuses_a_bad_name_and_a_short_password(
        fresh_la_service: Service, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    service = fresh_la_service
    monkeypatch.setenv("CONCERNDESK_STAFF_PASSWORD", "short")
    assert service.cli("staff", "add", "--name", "sam-duty") == 2
    assert "password: must be at least 12 characters" in capsys.readouterr().err
    monkeypatch.setenv("CONCERNDESK_STAFF_PASSWORD", PASSWORD)
    assert service.cli("staff", "add", "--name", "Sam Duty!") == 2
    assert "name: 1-64 of a-z" in capsys.readouterr().err
    assert service.cli("staff", "add", "--name", "sam-duty") == 0
    assert service.cli("staff", "add", "--name", "sam-duty") == 1
    assert "exists already" in capsys.readouterr().err
