"""HTTP requests in flight when a Java heap was dumped, found by their frameworks' classes and fields (a table:
adding a framework is one entry) and read back as the client sent them — method, path and query, headers,
body — with the thread serving each; exported as JSON, curl commands and HAR 1.2 entries.

Recognised: the JDK's own server (`com.sun.net.httpserver`: sun.net.httpserver.ExchangeImpl — the body from the
handler thread's byte[] local of the request's length, else from the connection's read buffer) and the JDK HTTP
client's requests (jdk.internal.net.http.HttpRequestImpl, the body of a byte-array or string publisher).
Header names are as the server keeps them (HttpServer's Headers capitalises the first letter only; HTTP names
are case-insensitive). The HAR format: w3c.github.io/web-performance/specs/HAR/Overview.html.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pmdesk.model.heap.graph import HeapGraph
from pmdesk.model.heap.java_values import JavaValues
from pmdesk.model.heap.report import per_graph, threads

BODY_LIMIT = 16 << 20


@dataclass
class Request:
    framework: str
    method: str
    uri: str                       # path and query as the client sent them (the client's: the whole URI)
    headers: dict[str, str]
    body: bytes | None
    object_id: int
    thread: str | None = None
    problems: list[str] = field(default_factory=list)
    node: int = -1                                       # the request object's graph node
    state: dict[str, Any] = field(default_factory=dict)  # the serving thread's application locals, thread-locals

    @property
    def url(self) -> str:
        if "://" in self.uri:
            return self.uri
        host = next((v for k, v in self.headers.items() if k.lower() == "host"), "localhost")
        return f"http://{host}{self.uri}"

    def body_json(self) -> dict[str, Any]:
        if self.body is None:
            return {"body": None}
        try:
            text = self.body.decode("utf-8")
            if all(c.isprintable() or c in "\t\r\n" for c in text):
                return {"body": text, "body_encoding": "text"}
        except UnicodeDecodeError:
            pass
        return {"body": base64.b64encode(self.body).decode(), "body_encoding": "base64"}

    def as_json(self) -> dict[str, Any]:
        return {"thread": self.thread, "framework": self.framework, "method": self.method, "uri": self.uri,
                "headers": self.headers, **self.body_json(), "url": self.url, "object": self.object_id,
                "problems": self.problems, "thread_state": self.state}

    def curl(self) -> str:
        """The request as a curl command line (a binary body piped in by printf: a shell string cannot hold
        a NUL byte)."""
        parts = ["curl", "-X", self.method, shlex.quote(self.url)]
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length"):
                parts += ["-H", shlex.quote(f"{k}: {v}")]
        if self.body:
            b = self.body_json()
            if b["body_encoding"] == "text":
                parts += ["--data-raw", shlex.quote(b["body"])]
            else:
                escaped = "".join(f"\\x{c:02x}" for c in self.body)
                return f"printf '{escaped}' | " + " ".join([*parts, "--data-binary", "@-"])
        return " ".join(parts)

    def har_entry(self, when: str) -> dict[str, Any]:
        from urllib.parse import parse_qsl, urlsplit

        query = urlsplit(self.url).query
        request: dict[str, Any] = {
            "method": self.method, "url": self.url, "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in self.headers.items()],
            "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)],
            "headersSize": -1, "bodySize": len(self.body) if self.body is not None else 0}
        if self.body:
            b = self.body_json()
            mime = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
            request["postData"] = {"mimeType": mime, "text": b["body"], "params": []} | (
                {"encoding": "base64"} if b["body_encoding"] == "base64" else {})
        return {"startedDateTime": when, "time": 0, "request": request,
                "response": {"status": 0, "statusText": "in flight when the heap was dumped", "httpVersion": "",
                             "cookies": [], "headers": [], "content": {"size": 0, "mimeType": ""},
                             "redirectURL": "", "headersSize": -1, "bodySize": -1},
                "cache": {}, "timings": {"send": 0, "wait": -1, "receive": -1},
                "comment": f"pmdesk: {self.framework} request object {self.object_id:#x}"
                           + (f", thread {self.thread}" if self.thread else "")}


def _headers(j: JavaValues, node: int | None) -> dict[str, str]:
    """A header map (name → list of values) as name → the values joined with ', '."""
    out = {}
    for k, v in j.map_entries(node):
        name = j.text(k)
        if name is None:
            continue
        values = [j.text(x) for x in j.list_elements(v)] if j.cls(v) != "java.lang.String" else [j.text(v)]
        out[name] = ", ".join(x for x in values if x is not None)
    return out


def _uri(j: JavaValues, node: int | None) -> str:
    """A java.net.URI's text (its `string`, else rebuilt from its parts)."""
    text = j.string_field(node, "string")
    if text:
        return text
    path, query = j.string_field(node, "path") or "", j.string_field(node, "query")
    scheme, host = j.string_field(node, "scheme"), j.string_field(node, "host")
    head = f"{scheme}://{host}" + (f":{j.value(node, 'port')}" if (j.value(node, "port") or -1) > 0 else "") \
        if scheme and host else ""
    return head + path + (f"?{query}" if query else "")


def _server_exchange(j: JavaValues, node: int, locals_of: Callable[[int], tuple[str | None, list[int]]]) -> Request:
    headers_obj = j.ref(node, "reqHdrs")
    headers_obj = j.ref(headers_obj, "headers") or headers_obj   # UnmodifiableHeaders wraps the Headers
    headers = _headers(j, j.ref(headers_obj, "map"))
    length = j.value(node, "reqContentLen")
    thread, local_nodes = locals_of(node)
    body, problems = None, []
    if isinstance(length, int) and length > 0:
        body = next((j.bytes_of(v) for v in local_nodes if j.cls(v) == "byte[]"
                     and j.g.array_length(v) == length), None)
        if body is None:
            body = _from_read_buffer(j, j.ref(node, "ris"), length, problems)
    return Request("jdk-httpserver", j.string_field(node, "method") or "?", _uri(j, j.ref(node, "uri")), headers,
                   body if body is not None else (b"" if length == 0 else None), int(j.g.ids[node]), thread, problems)


def _from_read_buffer(j: JavaValues, stream: int | None, length: int, problems: list[str]) -> bytes | None:
    """The body as the connection's BufferedInputStream last read it: after the head's blank line."""
    buf_node = j.ref(stream, "buf")
    raw = j.bytes_of(buf_node)
    count = j.value(stream, "count")
    if raw is None:
        problems.append("the body is neither in the handler's locals nor in the read buffer")
        return None
    if isinstance(count, int) and 0 <= count <= len(raw):
        raw = raw[:count]
    end = raw.find(b"\r\n\r\n")
    if end < 0 or end + 4 + length > len(raw):
        problems.append(f"the read buffer holds less than the {length:,} bytes the request claims")
        return raw[end + 4:] if end >= 0 else None
    return raw[end + 4:end + 4 + length]


def _client_request(j: JavaValues, node: int, _locals: Callable[[int], tuple[str | None, list[int]]]) -> Request:
    hh = j.ref(node, "userHeaders")
    headers = _headers(j, j.ref(hh, "headers"))
    pub = j.ref(node, "requestPublisher")
    body = j.bytes_of(j.ref(pub, "content")) if pub is not None else None
    return Request("jdk-httpclient", j.string_field(node, "method") or "?", _uri(j, j.ref(node, "uri")), headers,
                   body, int(j.g.ids[node]))


# class → how its requests are read: one entry per framework
RECOGNISERS: dict[str, Callable[..., Request]] = {
    "sun.net.httpserver.ExchangeImpl": _server_exchange,
    "jdk.internal.net.http.HttpRequestImpl": _client_request,
}


@per_graph
def requests(g: HeapGraph) -> list[Request]:
    """Every recognised request object of the heap, server requests first (worked out once per graph, by the
    worker that loads it: report.warm_reports)."""
    from pmdesk.model.heap.class_queries import nodes_of_class

    j = JavaValues(g)
    holders: dict[int, tuple[str, list[int]]] = {}
    by_thread: dict[int, tuple[str, list[int]]] = {}
    for t in threads(g):
        nodes = [o.node for f in t.frames for o in f.locals] + [o.node for o in t.locals_without_frame]
        by_thread[t.obj.node] = (t.name, nodes)
        for v in nodes:
            holders.setdefault(v, (t.name, nodes))

    def locals_of(node: int) -> tuple[str | None, list[int]]:
        """The thread serving a request — the one whose frame holds it, else the thread its dominator chain
        leads to (a handler's local holds the server's wrapper, which holds the exchange) — and its locals."""
        if node in holders:
            return holders[node]
        v = node
        for _ in range(64):
            v = int(g.idom[v])
            if v < 0:
                break
            if v in by_thread:
                return by_thread[v]
            if v in holders:
                return holders[v]
        return None, []

    thread_nodes = {name: node for node, (name, _nodes) in by_thread.items()}
    out = []
    for cls, read in RECOGNISERS.items():
        for node in sorted(nodes_of_class(g, cls).tolist()):
            r = read(j, int(node), locals_of)
            r.node = int(node)
            if r.thread is not None:
                r.state = thread_state(j, thread_nodes.get(r.thread), locals_of(int(node))[1])
            out.append(r)
    return out


SYSTEM_PREFIXES = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "byte[]", "char[]", "int[]", "long[]",
                   "java.lang.Object[]")


def thread_state(j: JavaValues, thread: int | None, local_nodes: list[int]) -> dict[str, Any]:
    """What a serving thread holds: its locals that are the application's objects (not the JDK's), and its
    thread-locals' values (an MDC's map, a transaction, a security context)."""
    def obj(v: int) -> dict[str, Any]:
        return {"class": j.cls(v), "id": int(j.g.ids[v]), "retained_bytes": int(j.g.retained[v])}

    app = [obj(v) for v in dict.fromkeys(local_nodes) if not (j.cls(v) or "").startswith(SYSTEM_PREFIXES)]
    values = []
    table = j.ref(j.ref(thread, "threadLocals"), "table")
    for entry in j.elements(table):
        v = j.ref(entry, "value")
        if v is not None:
            values.append({**obj(v), "text": j.text(v)} if j.cls(v) == "java.lang.String" else obj(v))
    return {"locals": app[:100], "thread_locals": values[:100]}
