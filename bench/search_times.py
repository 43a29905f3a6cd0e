#!/usr/bin/env python3
"""Times searches against a running Dateline: each query RUNS times over one
keep-alive connection, each request with a query string of its own (the
query's trailing spaces differ, and are trimmed by the site) so that the
page cache never answers. Prints one line per query: p50, p99 and max in ms
and the number of matches the page reports.

    bench/search_times.py PORT RUNS QUERY...
"""
import http.client
import re
import sys
import time
import urllib.parse


def main():
    port, runs, queries = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for q in queries:
        took = []
        matches = "?"
        for i in range(runs):
            path = "/search?q=" + urllib.parse.quote(q + " " * (i + 1))
            t0 = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            took.append((time.perf_counter() - t0) * 1000)
            if r.status != 200:
                sys.exit(f"{path}: HTTP {r.status}")
            m = re.search(rb"(\d[\d,]*) (?:articles? )?(?:match|result)", body)
            if m:
                matches = m.group(1).decode()
        took.sort()
        pick = lambda p: took[min(len(took) - 1, max(0, int(len(took) * p + 0.999) - 1))]
        print(f"{q}\t{pick(0.5):.1f}\t{pick(0.99):.1f}\t{took[-1]:.1f}\t{matches}")


if __name__ == "__main__":
    main()
