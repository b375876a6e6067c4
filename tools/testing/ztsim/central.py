#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ztsim-central: a test stand-in for ZeroTier Central's member API.

    central.py --state DIR --token-file F [--listen ADDR] [--port P]
               [--port-file F]

Serves, with "Authorization: token <t>" or "Authorization: bearer <t>":

    POST/GET /api/v1/network/<nwid>/member/<node>   name, config.activeBridge,
                                                    config.authorized,
                                                    config.noAutoAssignIps
    GET      /api/v1/network/<nwid>/member
    POST/GET /api/v1/network/<nwid>                 config.private,
                                                    config.rules

and records them in DIR/central/<nwid>/<node>.json and
DIR/central/<nwid>/network.json, which ztsim members read (see README.md).
A missing or malformed Authorization header is 401, a wrong token 403.
Every request is logged to DIR/central/requests.log (method, path, token
given, status), so tests can check what a client sent.
"""

import argparse
import http.server
import json
import os
import re
import sys

NWID = r"[0-9a-fA-F]{16}"
NODE = r"[0-9a-fA-F]{10}"
MEMBER_RE = re.compile(rf"^/api/v1/network/({NWID})/member/({NODE})$")
MEMBERS_RE = re.compile(rf"^/api/v1/network/({NWID})/member/?$")
NETWORK_RE = re.compile(rf"^/api/v1/network/({NWID})$")
MEMBER_BOOLS = ("activeBridge", "authorized", "noAutoAssignIps")
RULE_TYPES = ("ACTION_ACCEPT", "ACTION_DROP", "MATCH_ETHERTYPE")
BODY_MAX = 65536


def write_json(path, obj):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path, encoding="ascii") as f:
            obj = json.load(f)
        return obj if isinstance(obj, dict) else None
    except (OSError, ValueError):
        return None


class BadRequest(Exception):
    pass


def check_rules(rules):
    if not isinstance(rules, list) or len(rules) > 32:
        raise BadRequest("config.rules must be a list of at most 32 rules")
    for r in rules:
        if not isinstance(r, dict) or r.get("type") not in RULE_TYPES:
            raise BadRequest(f"rule {r!r}: type must be one of {', '.join(RULE_TYPES)}")
        if r["type"] == "MATCH_ETHERTYPE":
            et = r.get("etherType")
            if not isinstance(et, int) or isinstance(et, bool) or not 0 <= et <= 0xFFFF:
                raise BadRequest(f"rule {r!r}: etherType must be 0..65535")
        for k in ("not", "or"):
            if k in r and not isinstance(r[k], bool):
                raise BadRequest(f"rule {r!r}: {k} must be true or false")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "ztsim-central/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("ztsim-central: " + (fmt % args) + "\n")

    def reply(self, code, obj, token=None):
        body = (json.dumps(obj, indent=1) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        entry = {"method": self.command, "path": self.path, "token": token,
                 "status": code}
        with open(os.path.join(self.server.dir, "requests.log"), "a",
                  encoding="ascii") as f:
            f.write(json.dumps(entry) + "\n")

    def token(self):
        h = self.headers.get("Authorization", "")
        m = re.match(r"^(token|bearer)\s+(\S+)\s*$", h, re.IGNORECASE)
        return m.group(2) if m else None

    def body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            return {}
        if not n.isdigit() or int(n) > BODY_MAX:
            raise BadRequest("bad Content-Length")
        raw = self.rfile.read(int(n))
        if not raw.strip():
            return {}
        try:
            obj = json.loads(raw)
        except ValueError as e:
            raise BadRequest(f"body is not JSON: {e}") from None
        if not isinstance(obj, dict):
            raise BadRequest("body must be a JSON object")
        return obj

    def handle_any(self):
        tok = self.token()
        if tok is None:
            # drain a body so the client sees the answer, not a reset
            n = self.headers.get("Content-Length", "0")
            if n.isdigit() and int(n) <= BODY_MAX:
                self.rfile.read(int(n))
            return self.reply(401, {"message": "Authorization: token <t> missing"})
        if tok != self.server.token:
            n = self.headers.get("Content-Length", "0")
            if n.isdigit() and int(n) <= BODY_MAX:
                self.rfile.read(int(n))
            return self.reply(403, {"message": "invalid API token"}, tok)
        try:
            return self.route(tok)
        except BadRequest as e:
            return self.reply(400, {"message": str(e)}, tok)

    def route(self, tok):
        path = self.path.split("?", 1)[0]
        m = MEMBER_RE.match(path)
        if m:
            return self.member(tok, m.group(1).lower(), m.group(2).lower())
        m = MEMBERS_RE.match(path)
        if m and self.command == "GET":
            d = os.path.join(self.server.dir, m.group(1).lower())
            out = []
            if os.path.isdir(d):
                for f in sorted(os.listdir(d)):
                    if re.fullmatch(NODE + r"\.json", f):
                        out.append(read_json(os.path.join(d, f)))
            return self.reply(200, [o for o in out if o], tok)
        m = NETWORK_RE.match(path)
        if m:
            return self.network(tok, m.group(1).lower())
        return self.reply(404, {"message": "no such path"}, tok)

    def member(self, tok, nwid, node):
        d = os.path.join(self.server.dir, nwid)
        path = os.path.join(d, node + ".json")
        cur = read_json(path)
        if self.command == "GET":
            if cur is None:
                return self.reply(404, {"message": "no such member"}, tok)
            return self.reply(200, cur, tok)
        if self.command != "POST":
            return self.reply(405, {"message": "GET or POST"}, tok)
        body = self.body()
        cfg = body.get("config", {})
        if not isinstance(cfg, dict):
            raise BadRequest("config must be an object")
        for k in MEMBER_BOOLS:
            if k in cfg and not isinstance(cfg[k], bool):
                raise BadRequest(f"config.{k} must be true or false")
        if "name" in body and not isinstance(body["name"], str):
            raise BadRequest("name must be a string")
        if cur is None:
            cur = {"id": f"{nwid}-{node}", "networkId": nwid, "nodeId": node,
                   "name": "", "config": {k: False for k in MEMBER_BOOLS}}
        if "name" in body:
            cur["name"] = body["name"]
        for k in MEMBER_BOOLS:
            if k in cfg:
                cur["config"][k] = cfg[k]
        os.makedirs(d, exist_ok=True)
        write_json(path, cur)
        return self.reply(200, cur, tok)

    def network(self, tok, nwid):
        d = os.path.join(self.server.dir, nwid)
        path = os.path.join(d, "network.json")
        cur = read_json(path) or {"id": nwid, "config": {"private": False}}
        if self.command == "GET":
            return self.reply(200, cur, tok)
        if self.command != "POST":
            return self.reply(405, {"message": "GET or POST"}, tok)
        cfg = self.body().get("config", {})
        if not isinstance(cfg, dict):
            raise BadRequest("config must be an object")
        if "private" in cfg and not isinstance(cfg["private"], bool):
            raise BadRequest("config.private must be true or false")
        if "rules" in cfg:
            check_rules(cfg["rules"])
        for k in ("private", "rules"):
            if k in cfg:
                cur["config"][k] = cfg[k]
        os.makedirs(d, exist_ok=True)
        write_json(path, cur)
        return self.reply(200, cur, tok)

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state", default=os.environ.get("ZTSIM_STATE", "/run/ztsim"))
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    a = ap.parse_args()
    with open(a.token_file, encoding="ascii") as f:
        token = f.read().strip()
    if not token:
        ap.error(f"{a.token_file} is empty")
    srv = http.server.HTTPServer((a.listen, a.port), Handler)
    srv.token = token
    srv.dir = os.path.join(a.state, "central")
    os.makedirs(srv.dir, exist_ok=True)
    port = srv.server_address[1]
    if a.port_file:
        write_json_port = f"{a.port_file}.tmp"
        with open(write_json_port, "w", encoding="ascii") as f:
            f.write(f"{port}\n")
        os.replace(write_json_port, a.port_file)
    sys.stderr.write(f"ztsim-central: http://{a.listen}:{port}/ state {srv.dir}\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
