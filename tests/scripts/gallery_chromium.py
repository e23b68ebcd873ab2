#!/usr/bin/env python3
"""Loads a gallery page in headless Chromium over the DevTools protocol and checks it.

Checks: no console error or uncaught exception, every <img> loaded (complete, naturalWidth > 0),
every link points at a file that exists, and the grid has the expected rows and columns, laid
out as a grid (the cells of a row side by side, of a column one above the other), with the
cells of the expected failed column failed and without a picture. Saves a screenshot of the
whole page. Exits 0 when all hold, 1 with the reasons otherwise, 77 when it cannot run (no
Chromium, no python3-websocket).

Usage: gallery_chromium.py PAGE SCREENSHOT --rows N --columns N [--failed-column C]
                           [--window-width PX]
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

SKIP = 77
TIMEOUT = 60  # seconds for Chromium to start, and for each answer


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def stop(browser):
    """Ends the Chromium started here and every helper process of its session."""
    for number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(browser.pid, number)
        except ProcessLookupError:
            break  # none left
        try:
            browser.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.2)  # helpers that outlive the first process get the next signal
    browser.wait()


class DevTools:
    """One page target of a Chromium, driven over its browser WebSocket (flat sessions)."""

    def __init__(self, websocket_url):
        import websocket  # python3-websocket

        # Chromium refuses WebSockets that carry an Origin it was not told to allow.
        self.socket = websocket.create_connection(
            websocket_url, timeout=TIMEOUT, suppress_origin=True
        )
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)
        raise RuntimeError(f"{method}: no answer within {TIMEOUT} s")

    def page(self, method, params=None):
        return self.call(method, params, self.session)

    def wait_for(self, method):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(json.loads(self.socket.recv()))
        raise RuntimeError(f"no {method} within {TIMEOUT} s")

    def errors(self):
        """Console errors, uncaught exceptions and error log entries seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                found.append("exception: " + json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append("log: " + params["entry"].get("text", ""))
        return found


# Everything the checks need from the page, measured by the browser itself.
PROBE = r"""
(() => {
  const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const grid = document.querySelector('.grid');
  return JSON.stringify({
    rows: grid ? grid.dataset.rows : null,
    columns: grid ? grid.dataset.columns : null,
    tracks: grid ? getComputedStyle(grid).gridTemplateColumns.split(' ').length : 0,
    rowHeads: [...document.querySelectorAll('.row-head')].map(e => ({row: e.dataset.row, rect: rect(e)})),
    columnHeads: [...document.querySelectorAll('.col-head')].map(e => ({column: e.dataset.column, rect: rect(e)})),
    cells: [...document.querySelectorAll('.cell')].map(e => ({
      row: +e.dataset.row, column: +e.dataset.column, status: e.dataset.status,
      images: e.querySelectorAll('img').length, placeholders: e.querySelectorAll('.ph').length,
      text: e.innerText, rect: rect(e)})),
    images: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth,
      scheme: i.src.slice(0, 5), bytes: i.src.length})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    page: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
    title: document.title,
  });
})()
"""


def check(probe, page_dir, rows, columns, failed_column):
    problems = []
    if probe["rows"] != str(rows) or probe["columns"] != str(columns):
        problems.append(f"grid is {probe['rows']}x{probe['columns']}, expected {rows}x{columns}")
    if probe["tracks"] != columns + 1:
        problems.append(f"{probe['tracks']} grid tracks, expected {columns + 1}")
    if [h["row"] for h in probe["rowHeads"]] != [str(r) for r in range(rows)]:
        problems.append(f"row heads {probe['rowHeads']}")
    if [h["column"] for h in probe["columnHeads"]] != [str(c) for c in range(columns)]:
        problems.append(f"column heads {probe['columnHeads']}")
    cells = {(c["row"], c["column"]): c for c in probe["cells"]}
    if len(probe["cells"]) != rows * columns or len(cells) != rows * columns:
        problems.append(f"{len(probe['cells'])} cells, expected {rows * columns}")
    for (row, column), cell in cells.items():
        left, top = cell["rect"][0], cell["rect"][1]
        head_left = probe["columnHeads"][column]["rect"][0] if column < len(probe["columnHeads"]) else None
        head_top = probe["rowHeads"][row]["rect"][1] if row < len(probe["rowHeads"]) else None
        if head_left is None or abs(left - head_left) > 1:
            problems.append(f"cell {row},{column} is not under its column's head")
        if head_top is None or abs(top - head_top) > 1:
            problems.append(f"cell {row},{column} is not beside its row's head")
        if failed_column is not None and column == failed_column:
            if cell["status"] != "failed" or cell["images"] != 0 or cell["placeholders"] != 1:
                problems.append(f"cell {row},{column} should be failed with a placeholder: {cell}")
            if "cannot read" not in cell["text"]:
                problems.append(f"cell {row},{column} does not give its reason: {cell['text']!r}")
        elif cell["status"] != "done" or cell["images"] != 1:
            problems.append(f"cell {row},{column} should be done with its picture: {cell}")
    for image in probe["images"]:
        if not image["complete"] or image["width"] <= 0:
            problems.append(f"broken image: {image}")
        if image["scheme"] != "data:":
            problems.append(f"image not embedded: {image}")
        if image["bytes"] > 16000:
            problems.append(f"thumbnail of {image['bytes']} bytes, more than 16 kB")
    for link in probe["links"]:
        target = os.path.join(page_dir, urllib.parse.unquote(link))
        if not os.path.isfile(target):
            problems.append(f"link {link!r} leads to no file ({target})")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("screenshot")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--columns", type=int, required=True)
    parser.add_argument("--failed-column", type=int)
    parser.add_argument("--window-width", type=int, default=1200)
    args = parser.parse_args()

    chromium = find_chromium()
    if not chromium:
        print("skipped: no chromium installed (Debian: apt-get install chromium)")
        return SKIP
    try:
        import websocket  # noqa: F401
    except ImportError:
        print("skipped: python3-websocket is not installed")
        return SKIP

    profile = tempfile.mkdtemp(prefix="nst-chromium-")
    log = open(os.path.join(profile, "chromium.log"), "w+")
    # A session of its own, so that its helper processes go with it.
    browser = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
         "--disable-background-networking", "--disable-sync", "--mute-audio",
         "--hide-scrollbars", "--remote-debugging-port=0", "--user-data-dir=" + profile,
         f"--window-size={args.window_width},900", "about:blank"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + TIMEOUT
        while not (os.path.exists(port_file) and len(open(port_file).read().split()) >= 2):
            if browser.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                print("Chromium did not start:\n" + log.read()[-3000:])
                return 1
            time.sleep(0.1)
        port, path = open(port_file).read().split()[:2]
        tools = DevTools(f"ws://127.0.0.1:{port}{path}")
        for domain in ("Page", "Runtime", "Log"):
            tools.page(domain + ".enable")
        page = os.path.abspath(args.page)
        tools.page("Page.navigate", {"url": "file://" + urllib.parse.quote(page)})
        tools.wait_for("Page.loadEventFired")
        probe = json.loads(tools.page("Runtime.evaluate", {"expression": PROBE,
                                                           "returnByValue": True})["result"]["value"])
        width, height = probe["page"]
        shot = tools.page("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
        with open(args.screenshot, "wb") as out:
            out.write(base64.b64decode(shot["data"]))
        problems = tools.errors() + check(probe, os.path.dirname(page), args.rows, args.columns,
                                          args.failed_column)
        print(f"page {width}x{height} px, {len(probe['images'])} pictures, "
              f"{len(probe['links'])} links; screenshot {args.screenshot}")
        for problem in problems:
            print("FAIL: " + problem)
        return 1 if problems else 0
    finally:
        stop(browser)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
