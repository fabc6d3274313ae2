"""Requests in flight in a real JVM's heap: tests/data/requests/InFlight.java (compiled and run here) keeps four
requests of the JDK HttpClient in the JDK HttpServer's handler threads — a GET with a query, a JSON POST, a
binary PUT, a GET with a 6 KB header — and dumps its own heap; every request's method, URI, headers and body
read back from the dump equal what the client sent, each with the thread serving it; as curl and HAR too."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import main_window, run_cli

SOURCE = Path(__file__).parent / "data" / "requests" / "InFlight.java"
SENT = [  # what InFlight.java's client sends (method, path and query, headers it sets, body)
    ("GET", "/orders?id=42&sort=desc", {"X-Trace": "abc-123"}, b""),
    ("POST", "/orders", {"Content-Type": "application/json"}, b'{"item":"widget","qty":3}'),
    ("PUT", "/upload/blob", {"Content-Type": "application/octet-stream"}, bytes([0, 1, 2, 0xFF, 10, 13])),
    ("GET", "/search?q=caf%C3%A9", {"X-Big": "x" * 6000}, b""),
]


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (shutil.which("javac") and shutil.which("java")):
        pytest.skip("needs a JDK")
    d = tmp_path_factory.mktemp("inflight")
    subprocess.run(["javac", "-d", str(d), str(SOURCE)], check=True, timeout=120)
    out = d / "inflight.hprof"
    subprocess.run(["java", "-Xmx64m", "-cp", str(d), "InFlight", str(out)], check=True, timeout=120)
    return out


def _body(r: dict) -> bytes:
    if r["body"] is None:
        return b""
    return base64.b64decode(r["body"]) if r["body_encoding"] == "base64" else r["body"].encode()


def test_in_flight_requests_are_what_the_client_sent(dump: Path, capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "requests", str(dump), "--json", "--har", str(tmp_path / "r.har"),
                             "--index-dir", str(tmp_path / "idx"))
    assert code == 0, err
    found = json.loads(out)["requests"]
    served = sorted((r for r in found if r["framework"] == "jdk-httpserver"), key=lambda r: (r["method"], r["uri"]))
    assert len(served) == len(SENT)
    for r, (method, uri, headers, body) in zip(served, sorted(SENT, key=lambda s: (s[0], s[1])), strict=True):
        assert (r["method"], r["uri"]) == (method, uri)
        got = {k.lower(): v for k, v in r["headers"].items()}
        assert all(got[k.lower()] == v for k, v in headers.items())   # names as HttpServer keeps them
        assert got["content-length"] == str(len(body)) if method in ("POST", "PUT") else True
        assert _body(r) == body
        assert r["thread"].startswith("pool-1-thread-")   # the handler thread serving it
        path = uri.split("?")[0]
        assert {"class": "java.lang.String", "text": f"req-{method} {path}"}.items() <= next(
            t for t in r["thread_state"]["thread_locals"] if t.get("text", "").startswith("req-")).items()
    sent = [r for r in found if r["framework"] == "jdk-httpclient"]
    assert sorted((r["method"], r["uri"].split("/", 3)[3]) for r in sent) == sorted(
        (m, u.lstrip("/")) for m, u, _h, _b in SENT)
    har = json.loads((tmp_path / "r.har").read_text())
    assert har["log"]["version"] == "1.2" and len(har["log"]["entries"]) == len(found)
    post = next(e["request"] for e in har["log"]["entries"] if e["request"]["method"] == "POST")
    assert post["postData"] == {"mimeType": "application/json", "text": '{"item":"widget","qty":3}', "params": []}
    q = next(e["request"] for e in har["log"]["entries"] if "id=42" in e["request"]["url"])
    assert q["queryString"] == [{"name": "id", "value": "42"}, {"name": "sort", "value": "desc"}]


def test_curl_replays_the_binary_body(dump: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _err = run_cli(capsys, "requests", str(dump), "--curl", "--index-dir", str(tmp_path / "idx"))
    assert code == 0
    put = next(line for line in out.splitlines() if "curl -X PUT" in line and "Content-type" in line)
    printf, _pipe, curl = put.partition(" | ")
    assert curl.endswith("--data-binary @-")
    piped = subprocess.run(["bash", "-c", printf], capture_output=True).stdout   # what curl would read
    assert piped == bytes([0, 1, 2, 0xFF, 10, 13])


def test_requests_dock_and_the_threads_it_names(qtbot, dump: Path, tmp_path: Path) -> None:  # noqa: ANN001
    w = main_window(qtbot, tmp_path)
    w.open_path(str(dump))
    qtbot.waitUntil(w.is_idle, timeout=120000)
    w.bring_forward("heap_requests")
    view = w.view("heap_requests")
    qtbot.waitUntil(lambda: view.table.rowCount() == 2 * len(SENT), timeout=60000)
    served = [r for r in range(view.table.rowCount()) if view.table.item(r, 1).text() == "jdk-httpserver"]
    view.table.selectRow(served[0])
    assert view.copy_text().startswith(("curl -X", "printf"))
    assert "thread-local java.lang.String" in view.detail.toPlainText()
    view._select(served[0])
    assert w.view("object_inspector").node == view.found[served[0]].node
    w.bring_forward("heap_threads")
    tree = w.view("heap_threads").tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() > 0, timeout=60000)
    titles = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert sum("— serving " in t for t in titles) == len(SENT)
