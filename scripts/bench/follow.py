#!/usr/bin/python3
"""make bench: how long a new name takes to show in a client's readdir.

usage: follow.py PRIMARY-DIR CLIENT-DIR N
Creates N files on the primary's mount, one at a time; after each create
returns (the primary's reply), lists the client's mount until the name is
there.  Prints JSON: n, ms_p50, ms_p99, ms_max.
"""
import json
import os
import sys
import time


def main():
    primary, client, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    lat = []
    for i in range(n):
        name = f"follow{i}"
        os.close(os.open(os.path.join(primary, name),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        t0 = time.monotonic()
        while name not in os.listdir(client):
            if time.monotonic() - t0 > 10:
                sys.exit(f"follow.py: {name} not in {client} after 10 s")
        lat.append((time.monotonic() - t0) * 1000)
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    print(json.dumps({"n": n, "ms_p50": round(pick(0.50), 3),
                      "ms_p99": round(pick(0.99), 3),
                      "ms_max": round(lat[-1], 3)}))


if __name__ == "__main__":
    main()
