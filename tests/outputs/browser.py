"""A headless Chromium for tests, driven over the W3C WebDriver protocol (chromedriver's HTTP API, urllib only).

Debian's `chromium` and `chromium-driver` are installed with apt when missing (the machine's package registry is
the only network used); a machine where that is impossible fails the test that needs a browser, saying why.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference
PACKAGES = ("chromium", "chromium-driver")


def ensure_chromium() -> tuple[str, str]:
    """The paths of chromium and chromedriver, installing Debian's packages when they are missing."""
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("chromium and chromedriver are missing and there is no apt-get to install them")
    install = [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    environment = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    done = subprocess.run(install, capture_output=True, text=True, timeout=600, env=environment, check=False)
    if done.returncode != 0:
        # A fresh machine may not have the package lists yet.
        subprocess.run([apt, "update", "-q"], capture_output=True, timeout=300, env=environment, check=False)
        done = subprocess.run(install, capture_output=True, text=True, timeout=600, env=environment, check=False)
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if done.returncode != 0 or not (browser and driver):
        raise RuntimeError(f"installing {' '.join(PACKAGES)} failed: {done.stderr[-2000:]}")
    return browser, driver


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Browser:
    base: str
    session: str

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base}/session/{self.session}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60) as response:
                value = json.loads(response.read())["value"]
                if isinstance(value, dict) and "error" in value:
                    raise AssertionError(f"WebDriver {method} {path}: {value['error']}: {value.get('message')}")
                return value
        except urllib.error.HTTPError as exc:
            # WebDriver answers errors with a status and a JSON body saying what went wrong.
            raise AssertionError(f"WebDriver {method} {path}: {exc.code} {exc.read()[:500]!r}") from exc

    def open(self, url: str) -> None:
        self._call("POST", "/url", {"url": url})

    def resize(self, width: int, height: int) -> None:
        """The window's outer size, in CSS pixels."""
        self._call("POST", "/window/rect", {"width": width, "height": height})

    def find(self, css: str) -> str:
        found = self._call("POST", "/element", {"using": "css selector", "value": css})
        if not isinstance(found, dict) or ELEMENT not in found:
            raise AssertionError(f"no element {css!r}: {found}")
        return str(found[ELEMENT])

    def type(self, css: str, text: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/click", {})

    def clear(self, css: str) -> None:
        self._call("POST", f"/element/{self.find(css)}/clear", {})

    def text(self, css: str) -> str:
        return str(self._call("GET", f"/element/{self.find(css)}/text"))

    def run(self, script: str, *arguments: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(arguments)})

    def screenshot(self, path: Path) -> Path:
        path.write_bytes(base64.b64decode(self._call("GET", "/screenshot")))
        return path


@contextlib.contextmanager
def headless_chromium() -> Iterator[Browser]:
    chromium, chromedriver = ensure_chromium()
    port = _free_port()
    driver = subprocess.Popen([chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + 30
        while True:
            ready = False
            # Refused until chromedriver listens: poll.
            with contextlib.suppress(OSError), opener.open(f"{base}/status", timeout=2) as response:
                ready = bool(json.loads(response.read())["value"]["ready"])
            if ready:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("chromedriver did not start within 30 s")
            time.sleep(0.1)
        options = {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"],
        }
        capabilities = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}}
        request = urllib.request.Request(
            f"{base}/session",
            data=json.dumps(capabilities).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with opener.open(request, timeout=60) as response:
            session = json.loads(response.read())["value"]["sessionId"]
        browser = Browser(base, session)
        try:
            yield browser
        finally:
            with contextlib.suppress(OSError):
                browser._call("DELETE", "")
    finally:
        driver.terminate()
        driver.wait(timeout=10)
