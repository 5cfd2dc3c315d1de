"""Scheduled runs: the run lock, the exit codes, and a real Scrapyd running the project's egg.

Every crawl here is a real ``scrapy crawl`` process against the sample portal on
a loopback port; Scrapyd is the real server (``python -m scrapyd``) on a free
loopback port, with its own config, eggs, logs and queues in a temporary folder.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from conftest import REPO
from crawler.extensions.lock import acquire, release

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32"]
# A crawl that holds its lock for minutes: one request at a time, half a second apart
# (CONCURRENT_REQUESTS too: a graceful shutdown waits for every request handed to the
# downloader, delays included).
SLOW = ["-s", "DOWNLOAD_DELAY=0.5", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=1"]
LOCK_EXIT_CODE = 75


def _env(**extra) -> dict:
    """The environment of the child processes: ours without anything that would pick
    a settings module or import path for them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY") and k != "PYTHONPATH"}
    env.update(extra)
    return env


def _crawl_args(start_url: str, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"start_url={start_url}",
            "-s", f"SQLITE_PATH={db}", *extra]


def _crawl(start_url: str, db: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(_crawl_args(start_url, db, *extra), cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


def _wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _lock_holder(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def _articles(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    finally:
        conn.close()


def _holder(start_url: str, db: Path, log: Path) -> subprocess.Popen:
    """A slow crawl of ``start_url`` into ``db``, started and waited for until it holds its lock."""
    with open(log, "w") as out:
        proc = subprocess.Popen(_crawl_args(start_url, db, *SLOW), cwd=REPO, env=_env(), stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    lock = Path(f"{db}.lock-127.0.0.1")
    _wait_for(lambda: _lock_holder(lock) == str(proc.pid), 60, f"{lock} to hold PID {proc.pid}", proc)
    return proc


def test_second_run_of_a_site_exits_at_once_other_sites_run(portal_server, tmp_path):
    """A second run of the same site and database exits at once with the lock's exit
    code, naming the lock file and the holder's PID; a run of another site into the
    same database runs meanwhile; the interrupted holder then exits 1."""
    db = tmp_path / "news.db"
    lock = Path(f"{db}.lock-127.0.0.1")
    holder = _holder(portal_server.url, db, tmp_path / "holder.log")
    try:
        same = subprocess.Popen(_crawl_args(portal_server.url, db, *FAST), cwd=REPO, env=_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Another site on the same database: the portal again, under its other name.
        other_url = portal_server.url.replace("127.0.0.1", "localhost")
        other = _crawl(other_url, db, *FAST, "-s", "CLOSESPIDER_PAGECOUNT=3")
        _, same_log = same.communicate(timeout=60)

        assert same.returncode == LOCK_EXIT_CODE, same_log[-3000:]
        assert f"PID {holder.pid} holds the lock file {lock}" in same_log
        assert "'finish_reason': 'lock_held'" in same_log
        assert "downloader/request_count" not in same_log  # stopped before any request

        assert other.returncode == 0, other.stderr[-3000:]
        assert f"Run lock {db}.lock-localhost taken" in other.stderr
        assert "'finish_reason': 'closespider_pagecount'" in other.stderr
        assert holder.poll() is None, "the holder was meant to outlive both runs"

        holder.send_signal(signal.SIGTERM)  # what a Scrapyd cancel or `systemctl stop` sends
        assert holder.wait(timeout=60) == 1  # an interrupted run failed
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert "'finish_reason': 'shutdown'" in (tmp_path / "holder.log").read_text()
    assert _lock_holder(lock) == ""  # released and emptied on the way out


def test_lock_of_a_killed_run_does_not_block(portal_server, tmp_path):
    db = tmp_path / "news.db"
    lock = Path(f"{db}.lock-127.0.0.1")
    holder = _holder(portal_server.url, db, tmp_path / "holder.log")
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert _lock_holder(lock) == str(holder.pid)  # the file and its stale PID stay; the flock is gone

    run = _crawl(portal_server.url, db, *FAST, "-s", "CLOSESPIDER_PAGECOUNT=3")
    assert run.returncode == 0, run.stderr[-3000:]
    assert f"Run lock {lock} taken" in run.stderr


def test_unreachable_site_exits_1(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    run = _crawl(f"http://127.0.0.1:{port}/", tmp_path / "news.db", "-s", "RETRY_TIMES=0")
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Crawl failed: not one page was received" in run.stderr



def test_site_that_refuses_every_page_exits_1(tmp_path):
    """robots.txt and 403 answers are responses, but no page: the run failed."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Refuse(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(403)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = _crawl(f"http://127.0.0.1:{server.server_port}/", tmp_path / "news.db", "-s", "RETRY_TIMES=0")
    finally:
        server.shutdown()
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Crawl failed: not one page was received" in run.stderr

# --- Scrapyd ----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    if data is None:
        request = urllib.request.Request(base + endpoint)
    else:
        request = urllib.request.Request(base + endpoint, data=urllib.parse.urlencode(data).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert answer.get("status") == "ok", answer
    return answer


class Scrapyd:
    """A real Scrapyd on 127.0.0.1, everything it keeps under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.log = root / "scrapyd.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "Scrapyd":
        for _ in range(3):  # the free port may be taken between our probe and Scrapyd's bind
            port = _free_port()
            (self.root / "scrapyd.conf").write_text(
                "[scrapyd]\n"
                "bind_address = 127.0.0.1\n"
                f"http_port = {port}\n"
                f"eggs_dir = {self.root / 'eggs'}\n"
                f"logs_dir = {self.root / 'logs'}\n"
                f"dbs_dir = {self.root / 'dbs'}\n"
                "items_dir =\n"
                "poll_interval = 0.2\n"
                "max_proc = 4\n"
            )
            # HOME too: Scrapyd also reads ~/.scrapyd.conf, which must not move our port or folders.
            with open(self.log, "w") as out:
                self.proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=self.root,
                                             env=_env(HOME=str(self.root), SCRAPYD_HTTP_PORT=str(port)),
                                             stdout=out, stderr=subprocess.STDOUT)
            self.url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    _api(self.url, "daemonstatus.json")
                    return self
                except OSError:
                    time.sleep(0.1)
            self.stop()
        raise AssertionError(f"Scrapyd did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def schedule(self, project: str, start_url: str, settings: dict) -> str:
        data = [("project", project), ("spider", "news"), ("start_url", start_url)]
        data += [("setting", f"{k}={v}") for k, v in settings.items()]
        return _api(self.url, "schedule.json", data)["jobid"]

    def wait_finished(self, project: str, jobs: set[str], timeout: float) -> None:
        def done():
            finished = {j["id"] for j in _api(self.url, f"listjobs.json?project={project}")["finished"]}
            return jobs <= finished
        _wait_for(done, timeout, f"Scrapyd jobs {sorted(jobs)} to finish", self.proc)


def _deploy_target(repo_cfg: Path) -> tuple[str, str]:
    """Project name and URL of the ``[deploy]`` section of the repository's ``scrapy.cfg``."""
    from configparser import ConfigParser

    cfg = ConfigParser()
    cfg.read(repo_cfg)
    return cfg.get("deploy", "project"), cfg.get("deploy", "url")


def test_scrapyd_job_writes_the_same_database_as_a_direct_crawl(portal_server, tmp_path):
    """The egg built by scripts/build_egg.py, deployed with scrapyd-deploy to a target
    that extends scrapy.cfg's [deploy], runs the news spider as a Scrapyd job: the job
    stores what a direct `scrapy crawl` stores, and a job whose site is locked exits
    with the lock's exit code, which Scrapyd records."""
    project, default_url = _deploy_target(REPO / "scrapy.cfg")
    assert default_url == "http://localhost:6800/"
    settings = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 32}
    direct_db, job_db, locked_db = tmp_path / "direct.db", tmp_path / "job.db", tmp_path / "locked.db"

    # The reference crawl runs while Scrapyd starts and works.
    direct = subprocess.Popen(_crawl_args(portal_server.url, direct_db, *FAST), cwd=REPO, env=_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    scrapyd = Scrapyd(tmp_path / "scrapyd")
    (tmp_path / "scrapyd").mkdir()
    held = None
    try:
        scrapyd.start()
        egg = tmp_path / "project.egg"
        build = subprocess.run([sys.executable, str(REPO / "scripts" / "build_egg.py"), str(egg)],
                               cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120)
        assert build.returncode == 0, build.stderr
        # A deploy target of one's own, as in ~/.config/scrapy.cfg: it extends the
        # project's [deploy] (project name) with another URL.
        config_home = tmp_path / "config"
        config_home.mkdir()
        (config_home / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {scrapyd.url}\n")
        deploy = subprocess.run(
            [sys.executable, "-m", "scrapyd_client.deploy", "test", "--egg", str(egg), "--version", "1"],
            cwd=REPO, env=_env(XDG_CONFIG_HOME=str(config_home), HOME=str(tmp_path)),
            capture_output=True, text=True, timeout=120)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert json.loads(deploy.stdout)["spiders"] == 1, deploy.stdout

        job = scrapyd.schedule(project, portal_server.url, {**settings, "SQLITE_PATH": job_db})
        # A scheduled run that finds its site locked (here by this test, as a running crawl would).
        held = acquire(Path(f"{locked_db}.lock-127.0.0.1"))
        blocked = scrapyd.schedule(project, portal_server.url, {**settings, "SQLITE_PATH": locked_db})
        scrapyd.wait_finished(project, {job, blocked}, timeout=150)
        _, direct_log = direct.communicate(timeout=150)
    finally:
        if held is not None:
            release(held)
        scrapyd.stop()
        if direct.poll() is None:
            direct.kill()
            direct.wait()

    assert direct.returncode == 0, direct_log[-3000:]
    ended = {j: [line for line in scrapyd.log.read_text().splitlines()
                 if f"job={j!r}" in line and ("Process finished" in line or "Process died" in line)]
             for j in (job, blocked)}
    assert len(ended[job]) == 1 and "Process finished" in ended[job][0], ended
    assert len(ended[blocked]) == 1 and f"Process died: exitstatus={LOCK_EXIT_CODE} " in ended[blocked][0], ended
    job_log = (tmp_path / "scrapyd" / "logs" / project / "news" / f"{job}.log").read_text()
    assert "'finish_reason': 'finished'" in job_log
    blocked_log = (tmp_path / "scrapyd" / "logs" / project / "news" / f"{blocked}.log").read_text()
    assert f"PID {os.getpid()} holds the lock file {locked_db}.lock-127.0.0.1" in blocked_log

    expected = _articles(direct_db)
    assert expected > 0
    assert _articles(job_db) == expected
