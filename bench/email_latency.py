#!/usr/bin/env python3
"""Latency from POST /customers to the welcome email at the AWS emulator.

Run against a platform started with `cargo xtask dev` (registration on 8081,
campaign consuming the queue, moto on 4566):

    python3 bench/email_latency.py --count 200 --rate 10

Registrations are sent at a steady rate; a poller reads the emulator's sent
messages every 25 ms and records when each address first appears. Prints
p50/p95/p99/max. Standard library only.
"""
import argparse
import json
import threading
import time
import urllib.request
import uuid


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--rate", type=float, default=10.0, help="registrations per second")
    ap.add_argument("--registration", default="http://127.0.0.1:8081")
    ap.add_argument("--emulator", default="http://127.0.0.1:4566")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()

    run = uuid.uuid4().hex[:8]
    sent, seen = {}, {}
    done = threading.Event()

    def poll():
        while not done.is_set():
            with urllib.request.urlopen(f"{args.emulator}/moto-api/data.json", timeout=10) as resp:
                messages = json.load(resp).get("ses", {}).get("Message", [])
            now = time.monotonic()
            if isinstance(messages, dict):
                messages = list(messages.values())
            for m in messages:
                for to in m.get("destinations", {}).get("ToAddresses", []):
                    if to in sent and to not in seen:
                        seen[to] = now
            time.sleep(0.025)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    for i in range(args.count):
        email = f"latency-{run}-{i}@example.com"
        body = {"email": email, "password": "correct horse battery", "first_name": "Lat", "last_name": "Ency"}
        sent[email] = time.monotonic()
        status = post(f"{args.registration}/customers", body)
        assert status == 201, status
        time.sleep(max(0.0, 1.0 / args.rate))
    deadline = time.monotonic() + args.timeout
    while len(seen) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.1)
    done.set()
    latencies = [(seen[e] - sent[e]) * 1000 for e in sent if e in seen]
    missing = len(sent) - len(latencies)
    print(f"registrations {len(sent)}, emails seen {len(latencies)}, missing {missing}")
    if latencies:
        for p in (50, 95, 99):
            print(f"p{p} {percentile(latencies, p):.0f} ms")
        print(f"max {max(latencies):.0f} ms (poll interval 25 ms)")
    raise SystemExit(1 if missing else 0)


if __name__ == "__main__":
    main()
