"""A fake Elasticsearch *node* for unit tests: the real client, serializer and bulk helper
run unchanged, only the HTTP hop is replaced by an in-memory cluster that records requests.

It keeps indices, aliases and documents, so index management can be checked; it does not
search (that needs a real cluster: the contract suite runs against PARVANDEH_ES_URL).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

HEADERS = {"x-elastic-product": "Elasticsearch", "content-type": "application/json"}


@dataclass
class Request:
    method: str
    path: str
    body: Any


def _error(status: int, kind: str, reason: str = "") -> tuple[int, dict[str, Any]]:
    error = {"type": kind, "reason": reason or kind, "root_cause": [{"type": kind, "reason": reason or kind}]}
    return status, {"error": error, "status": status}


@dataclass
class FakeCluster:
    indices: dict[str, dict[str, Any]] = field(default_factory=dict)
    aliases: dict[str, set[str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    #: document id -> (status, error type) to answer in bulk items; 429 is answered once.
    item_errors: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: (status, error type) answered to every request (e.g. a version mismatch)
    answer_all: tuple[int, str] | None = None
    search_response: dict[str, Any] = field(default_factory=dict)
    #: (status, error type) answered to the next searches, one each, before search_response
    search_errors: list[tuple[int, str]] = field(default_factory=list)

    def client(self) -> Elasticsearch:
        cluster = self

        class Node(BaseNode):
            def perform_request(self, method: str, target: str, body: bytes | None = None,
                                headers: Any = None, request_timeout: Any = None) -> NodeApiResponse:
                status, payload = cluster.handle(method, target, body)
                meta = ApiResponseMeta(status=status, http_version="1.1", headers=HttpHeaders(HEADERS),
                                       duration=0.0, node=self.config)
                raw = b"" if method == "HEAD" else json.dumps(payload).encode()
                return NodeApiResponse(meta, raw)

        return Elasticsearch("http://127.0.0.1:9200", node_class=Node)

    def of(self, method: str, path: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.method == method and (path is None or r.path == path)]

    def docs(self, alias: str) -> dict[str, dict[str, Any]]:
        (name,) = self.aliases[alias]
        return self.indices[name]["docs"]

    # -- the routes the backend uses --------------------------------------------------------

    def handle(self, method: str, target: str, raw: bytes | None) -> tuple[int, Any]:
        path, _, query = target.partition("?")
        body: Any = None
        if raw and path.endswith("/_bulk"):
            body = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
        elif raw:
            body = json.loads(raw)
        self.requests.append(Request(method, path, body))
        if self.answer_all is not None:
            return _error(*self.answer_all)
        parts = path.strip("/").split("/")
        if path.endswith("/_bulk"):
            return self._bulk(body)
        if method == "POST" and path == "/_aliases":
            return self._update_aliases(body["actions"])
        if method == "GET" and parts[0] == "_alias":
            names = sorted(i for i in self.aliases.get(parts[1], ()))
            if not names:
                return _error(404, "aliases_not_found_exception", f"alias [{parts[1]}] missing")
            return 200, {name: {"aliases": {parts[1]: {}}} for name in names}
        if len(parts) == 2 and parts[1] == "_search":
            if parts[0] not in self.indices and parts[0] not in self.aliases:
                return _error(404, "index_not_found_exception", f"no such index [{parts[0]}]")
            if self.search_errors:
                return _error(*self.search_errors.pop(0))
            return 200, self.search_response
        if len(parts) == 2 and parts[1] in ("_settings", "_refresh"):
            return 200, {"acknowledged": True}
        if len(parts) == 1:
            return self._index_route(method, parts[0], body, query)
        return _error(400, "unsupported_by_fake", f"{method} {path}")

    def _index_route(self, method: str, name: str, body: Any, query: str) -> tuple[int, Any]:
        exists = name in self.indices or name in self.aliases
        if method == "HEAD":
            return (200 if exists else 404), {}
        if method == "PUT":
            if exists:
                return _error(400, "resource_already_exists_exception", name)
            self.indices[name] = {"body": body, "docs": {}}
            return 200, {"acknowledged": True, "index": name}
        if method == "DELETE":
            if name not in self.indices and "ignore_unavailable=true" in query:
                return 200, {"acknowledged": True}
            if name not in self.indices:
                return _error(404, "index_not_found_exception", name)
            del self.indices[name]
            for members in self.aliases.values():
                members.discard(name)
            return 200, {"acknowledged": True}
        return _error(400, "unsupported_by_fake", f"{method} /{name}")

    def _bulk(self, lines: list[dict[str, Any]]) -> tuple[int, Any]:
        items = []
        for meta, doc in zip(lines[::2], lines[1::2], strict=True):
            (op, target), = meta.items()
            status, kind = self.item_errors.get(target["_id"], (201, ""))
            if status == 429:
                del self.item_errors[target["_id"]]  # back-pressure once, then accept
            if status >= 300:
                items.append({op: {"_id": target["_id"], "status": status,
                                   "error": {"type": kind, "reason": f"{kind} for the test"}}})
                continue
            self.indices[target["_index"]]["docs"][target["_id"]] = doc
            items.append({op: {"_id": target["_id"], "status": 201, "result": "created"}})
        return 200, {"took": 1, "errors": any("error" in next(iter(i.values())) for i in items), "items": items}

    def _update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        aliases = {name: set(members) for name, members in self.aliases.items()}
        indices = dict(self.indices)
        for action in actions:  # all or nothing, like the real endpoint
            (verb, args), = action.items()
            if args["index"] not in indices:
                return _error(404, "index_not_found_exception", args["index"])
            if verb == "add":
                if args["alias"] in indices:
                    return _error(400, "invalid_alias_name_exception", args["alias"])
                aliases.setdefault(args["alias"], set()).add(args["index"])
            elif verb == "remove":
                aliases.get(args["alias"], set()).discard(args["index"])
            elif verb == "remove_index":
                del indices[args["index"]]
        self.aliases, self.indices = aliases, indices
        return 200, {"acknowledged": True}
