#!/usr/bin/env python3
"""Seeds comments through Dateline's Comments API, as readers would post
them: THREADS first comments, each with REPLIES replies (each reply answers
the one before it, so threads nest). Every request comes "from" its own
client address (X-Forwarded-For, which the server believes from 127.0.0.1
only when started with --trusted-proxies 127.0.0.1). Prints progress.

    comments_seed.py BASE SLUG THREADS REPLIES
"""
import http.client
import json
import sys
import threading
import urllib.parse

base, slug, threads, replies = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
host = urllib.parse.urlparse(base)
local = threading.local()


def conn():
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    return local.c


def call(method, path, body=None, ip="127.0.0.1"):
    headers = {"Accept": "application/json", "X-Forwarded-For": ip}
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    for attempt in range(3):
        try:
            c = conn()
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            return r.status, json.loads(data) if data else None
        except (http.client.HTTPException, OSError):
            local.c = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    raise SystemExit(f"{method} {path} failed three times")


status, article = call("GET", f"/api/v1/articles/{slug}")
assert status == 200, article
article_id = article["article"]["id"]
status, tok = call("GET", "/api/v1/comments/token")
token = tok["token"]
words = ("The quay was quiet this morning, then the cranes moved again. "
         "My cousin works the night shift there and says the new rota is *fairer*. "
         "> Crews return to the cranes\n\nLet us see if it lasts beyond the summer.")
done = 0
lock = threading.Lock()


def post_thread(t):
    global done
    parent = None
    for r in range(replies + 1):
        n = t * (replies + 1) + r
        ip = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
        body = {"body": f"Comment {n}. {words}", "name": f"Reader {n % 997}",
                "email": f"reader{n}@bench.test", "token": token}
        if parent is not None:
            body["parent_id"] = parent
        status, out = call("POST", f"/api/v1/articles/{article_id}/comments", body, ip)
        if status != 201:
            raise SystemExit(f"posting failed: {status} {out}")
        parent = out["comment"]["id"]
        with lock:
            done += 1
            if done % 1000 == 0:
                print(f"   {done} comments posted", flush=True)


def worker(ids):
    for t in ids:
        post_thread(t)


pool = [threading.Thread(target=worker, args=(range(i, threads, 8),)) for i in range(8)]
for p in pool:
    p.start()
for p in pool:
    p.join()
print(f"   {threads * (replies + 1)} comments on /{slug} ({threads} threads)")
