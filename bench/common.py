"""Shared benchmark plumbing: a dedicated PostgreSQL database, a gunicorn server, a load loop
at fixed concurrency, and p50/p95 with the ratio to a baseline measured in the same run (this
machine is shared and noisy, so absolute times lie; ratios don't)."""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def psql(sql: str, db: str = "postgres") -> str:
    out = subprocess.run(["psql", f"{PG}/{db}", "-Atqc", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def bench_env(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": f"{PG}/{db}", "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)})
    return env


def ensure_database(db: str, *, fresh: bool) -> None:
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'") == "1"
    if exists and fresh:
        psql(f'DROP DATABASE "{db}"')
        exists = False
    if not exists:
        psql(f'CREATE DATABASE "{db}"')
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=bench_env(db), check=True)


def django_run(db: str, code: str) -> str:
    """Run ``code`` in a Django shell against the benchmark database; returns its stdout."""
    prelude = "import django; django.setup()\n"
    out = subprocess.run([PY, "-c", prelude + code], cwd=ROOT, env=bench_env(db), check=True, capture_output=True, text=True)
    return out.stdout


@contextmanager
def server(db: str, port: int = 8765, workers: int = 2) -> Iterator[str]:
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "bench.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(db))
    base = f"127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to a minute on a busy machine
            try:
                conn = http.client.HTTPConnection(base, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def login(base: str, username: str, password: str) -> str:
    """Sign in through the real login form; returns the Cookie header for later requests."""
    conn = http.client.HTTPConnection(base, timeout=10)
    conn.request("GET", "/login/")
    resp = conn.getresponse()
    html = resp.read().decode()
    cookies = {c.split("=", 1)[0]: c.split("=", 1)[1].split(";")[0] for c in resp.headers.get_all("Set-Cookie") or []}
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
               "Referer": f"http://{base}/login/"}
    conn.request("POST", "/login/", body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    for c in resp.headers.get_all("Set-Cookie") or []:
        k, v = c.split("=", 1)
        cookies[k] = v.split(";")[0]
    if resp.status != 302:
        raise RuntimeError(f"login failed: {resp.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def load(base: str, paths: list[str], *, cookie: str = "", concurrency: int = 8, requests: int = 400) -> list[float]:
    """Issue ``requests`` GETs spread over ``paths`` from ``concurrency`` keep-alive clients; seconds each."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = max(1, requests // concurrency)
    errors: list[str] = []

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection(base, timeout=30)
        mine = []
        for i in range(per_client):
            path = paths[(offset + i) % len(paths)]
            t0 = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors.append(f"{path}: {resp.status}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    return latencies


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def report(name: str, latencies: list[float], baseline: list[float] | None, target_ms: float | None = None) -> dict[str, float]:
    p50, p95 = percentile(latencies, 50) * 1000, percentile(latencies, 95) * 1000
    line = f"{name:<28} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms"
    result = {"p50": p50, "p95": p95}
    if baseline:
        ratio = p95 / (percentile(baseline, 95) * 1000)
        line += f"   p95 ratio to bare view {ratio:5.2f}×"
        result["ratio"] = ratio
    if target_ms is not None:
        line += f"   target ≤ {target_ms:.0f} ms: {'OK' if p95 <= target_ms else 'MISSED'}"
    print(line, flush=True)
    return result


def mean_ms(values: list[float]) -> float:
    return statistics.fmean(values) * 1000
