#!/usr/bin/env python3
"""The exercise panel in a real browser (Debian's chromium and chromedriver, through Selenium), as a learner uses
it on scenario 01: open the track, open the scenario with the naive server running, Run check, see NOT YET with
both problems, reveal a hint, find the reference hidden; then make the learner's fix (the reference's code copied
into `server`, the database fix applied), Run check, see PASS, open the reveal, and find the track updated.

`./lab test` runs it (stage "exercise panel in a real browser"). It runs its own panel on a port of its own, with a
scratch progress file and loads shortened to 5 s (LAB_DOCS_MAX_LOAD_SECONDS, as ./lab docs-check does), so it
never spends the learner's progress. It puts back `scenario-01-single-server/Sources/server` and the database as
they were, even when it fails; a run interrupted before that is mended by the next one (the backup in .lab/).

Usage: panel_browser_test.py REPOSITORY_ROOT SCREENSHOT_FOLDER
"""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(sys.argv[1])
SHOTS = os.path.abspath(sys.argv[2])
SCENARIO = os.path.join(ROOT, "scenario-01-single-server")
SERVER = os.path.join(SCENARIO, "Sources", "server")
FIXED = os.path.join(SCENARIO, "Sources", "server-fixed")
STATE = os.path.join(ROOT, ".lab", "browser-test")
BACKUP = os.path.join(STATE, "server-backup")
PORT = 8095
PANEL = f"http://127.0.0.1:{PORT}"
ENV = dict(
    os.environ,
    LAB_PROGRESS_FILE=os.path.join(STATE, "progress.json"),
    LAB_DOCS_MAX_LOAD_SECONDS="5",
    LAB_PANEL="off",
)


def step(text):
    print(f"▶ {text}", flush=True)


def lab(*arguments, check=True):
    result = subprocess.run(["./lab", *arguments], cwd=ROOT, env=ENV, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"./lab {' '.join(arguments)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def restore_server():
    """Puts the learner's server back from the backup, if one is there."""
    if os.path.isdir(BACKUP):
        shutil.rmtree(SERVER)
        shutil.copytree(BACKUP, SERVER)
        shutil.rmtree(BACKUP)


def wait_for_http(url, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def shot(driver, name):
    path = os.path.join(SHOTS, f"{name}.png")
    driver.save_screenshot(path)
    print(f"  screenshot: {path}", flush=True)


def main():
    os.makedirs(SHOTS, exist_ok=True)
    os.makedirs(STATE, exist_ok=True)
    restore_server()  # an earlier run that was interrupted
    if os.path.exists(ENV["LAB_PROGRESS_FILE"]):
        os.remove(ENV["LAB_PROGRESS_FILE"])
    problems = [p["title"] for p in json.load(open(os.path.join(SCENARIO, "checks.json")))["problems"]]

    step("scenario 01, naive: the database without its fix, the server in watch mode")
    lab("stop", "01", check=False)
    lab("psql", "01", "-c", "DROP INDEX IF EXISTS users_email_idx")
    lab("up", "01", "--detach")
    step(f"the panel on {PANEL}")
    log = open(os.path.join(STATE, "panel.log"), "w")
    panel = subprocess.Popen(["./lab", "panel", "--port", str(PORT)], cwd=ROOT, env=ENV, stdout=log, stderr=subprocess.STDOUT)
    driver = None
    try:
        wait_for_http(PANEL + "/", 120)
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"]:
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 240)

        step("the track")
        driver.get(PANEL + "/")
        row = driver.find_element(By.CSS_SELECTOR, 'li.scenario[data-number="01"]')
        assert "not started" in row.text or "started" in row.text, row.text
        assert driver.find_element(By.CSS_SELECTOR, 'li.scenario[data-number="07"]').text.find("not built yet") >= 0
        shot(driver, "1-track")
        row.find_element(By.TAG_NAME, "a").click()

        step("scenario 01's page: the guide, and the naive server running")
        wait.until(EC.text_to_be_present_in_element((By.ID, "server-state"), "serving"))
        assert driver.find_elements(By.CSS_SELECTOR, ".markdown h2"), "the guide has steps"
        assert driver.find_elements(By.CSS_SELECTOR, ".markdown button.copy"), "code blocks have Copy"
        assert driver.find_elements(By.ID, "reference-locked"), "the reference is hidden"
        assert not driver.find_elements(By.ID, "give-up"), "no give-up before a check"

        step("Run check on the naive server")
        driver.find_element(By.ID, "run-check").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "run-output"), "Checking scenario 01"))
        wait.until(EC.presence_of_element_located((By.ID, "verdict")))
        verdict = driver.find_element(By.ID, "verdict").text
        assert "NOT YET" in verdict, verdict
        result = driver.find_element(By.ID, "result").text
        for title in problems:
            assert title in result, f"{title!r} not in {result!r}"
        assert driver.find_elements(By.CSS_SELECTOR, ".card.missed"), "a missed target card"
        driver.execute_script("document.getElementById('result').scrollIntoView()")
        shot(driver, "2-not-yet")

        step("a second click while nothing runs starts nothing twice; the hints")
        hints = driver.find_element(By.ID, "hints")
        hints.find_element(By.CSS_SELECTOR, "form.hint-form button").click()
        wait.until(EC.text_to_be_present_in_element((By.ID, "hints-body"), "Hint 1 of 3"))
        driver.execute_script("document.getElementById('hints').scrollIntoView()")
        shot(driver, "3-hint")
        progress = json.load(open(ENV["LAB_PROGRESS_FILE"]))["scenarios"]["01"]
        assert sum(progress["hintsShown"].values()) == 1, progress
        assert progress["checks"] == 1, progress

        step("the reference is hidden: its page refuses")
        driver.get(PANEL + "/scenarios/01/reference")
        assert "not open yet" in driver.find_element(By.TAG_NAME, "h1").text
        shot(driver, "4-reference-hidden")

        step("the learner's fix: the reference's code in server (watch mode rebuilds it), the index")
        shutil.copytree(SERVER, BACKUP)
        for name in os.listdir(FIXED):
            shutil.copy(os.path.join(FIXED, name), os.path.join(SERVER, name))
        lab("psql", "01", "-f", os.path.join(SCENARIO, "fix.sql"))
        driver.get(PANEL + "/scenarios/01")
        # Watch mode notices the change, rebuilds (release) and restarts.
        wait.until(EC.text_to_be_present_in_element((By.ID, "server-state"), "rebuilding"))
        WebDriverWait(driver, 600).until(EC.text_to_be_present_in_element((By.ID, "server-state"), "serving"))

        step("Run check on the fixed server")
        previous = driver.find_elements(By.ID, "verdict")
        driver.find_element(By.ID, "run-check").click()
        # The last check's verdict goes when the run starts; wait for the new one.
        if previous:
            WebDriverWait(driver, 30).until(EC.staleness_of(previous[0]))
        WebDriverWait(driver, 240).until(EC.presence_of_element_located((By.ID, "verdict")))
        verdict = driver.find_element(By.ID, "verdict").text
        assert "PASS" in verdict, driver.find_element(By.ID, "result").text + "\n" + driver.find_element(By.ID, "run-output").text[-3000:]
        wait.until(EC.presence_of_element_located((By.ID, "open-reference")))
        driver.execute_script("document.getElementById('result').scrollIntoView()")
        shot(driver, "5-pass")

        step("the reveal: server beside server-fixed")
        driver.find_element(By.ID, "open-reference").click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.diff-file")))
        # The learner's code is the reference's here (copied above): each file says so; the database fix is shown.
        assert "Identical to yours." in driver.page_source, driver.page_source[:2000]
        assert "fix.sql: the database fix" in driver.page_source
        shot(driver, "6-reference")

        step("the track shows the pass")
        driver.get(PANEL + "/")
        row = driver.find_element(By.CSS_SELECTOR, 'li.scenario[data-number="01"]')
        assert "passed" in row.text, row.text
        shot(driver, "7-track-passed")
        # The 403 of the hidden reference was asked for above; anything else in the console is a fault.
        expected = ("favicon", "/scenarios/01/reference - Failed to load resource: the server responded with a status of 403")
        console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and not any(x in e["message"] for x in expected)]
        assert not console, f"the browser's console has errors: {console}"
        print("✓ the panel works in a real browser: NOT YET with both problems, a hint, the reference hidden, PASS, the reveal, the track")
    except (AssertionError, WebDriverException) as error:
        if driver:
            shot(driver, "failure")
        raise SystemExit(f"✗ {type(error).__name__}: {error}")
    finally:
        if driver:
            driver.quit()
        panel.terminate()
        panel.wait(timeout=20)
        # Stop first, then put the code back: a change under Sources/ would start a rebuild in watch mode.
        lab("stop", "01", check=False)
        restore_server()
        lab("psql", "01", "-c", "DROP INDEX IF EXISTS users_email_idx", check=False)


if __name__ == "__main__":
    main()
