"""Regenerate docs/screenshot.png (the README's picture): a fresh demo database in a temporary
folder, ``seed_demo``, a development server, and Debian chromium signed in as carol (zh-Hans) on
the account list.

    .venv/bin/python tests/browser/make_screenshot.py [output.png]

Not collected by pytest (no ``test_`` prefix); it needs /usr/bin/chromium and fonts-noto-cjk.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "guanxi-demo-2026"  # guanxi.users.personas.DEMO_PASSWORD
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="guanxi-shot-") as data:
        env = {**os.environ, "GUANXI_ENV": "development", "GUANXI_DATA_DIR": data, "DEBUG": "true", "TASKS_BACKEND": "immediate"}
        env.pop("DATABASE_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "seed_demo", "--accounts", "80"], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen([*manage, "runserver", f"127.0.0.1:{port}", "--noreload"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 760}, locale="zh-CN").new_page()
                page.goto(f"{base}/login/")
                page.get_by_label("用户名").fill("carol")
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url(f"{base}/")
                page.goto(f"{base}/accounts/?sort=-created")
                page.mouse.move(0, 0)
                page.screenshot(path=str(out))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png")
