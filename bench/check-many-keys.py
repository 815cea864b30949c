#!/usr/bin/env python3
"""Checker bench (issue 12): a 50-client kv history on 10 keys with one violation, and many small
histories in one call.

Part 1 writes a history of 50 clients on 10 keys: 7 easy keys, 2 hard keys (bursts of concurrent
appends whose order only a get at the end of the burst reveals, with some appends left `info`:
the search must try the orders one by one) and 1 key with a stale get (a get that returns the value
before a put that completed before the get began). It times `synod check --model kv` with the
default (stop at the first non-linearizable key, keys in parallel on the cores), with -j1, and
with --all-keys under a timeout, and prints each verdict and wall time.

Part 2 writes 102 small linearizable histories and times one `synod check` per file, one
`synod-sim check` per file (the binary that loads SimGrid and ns-3: the start-up cost before the
launcher), and one `synod check` call with all 102 files.

  bench/check-many-keys.py [BUILD_DIR] [OUT_DIR]       (defaults: build, out/bench-check)

The histories are generated from a fixed seed, so every run checks the same files.
"""
import json
import os
import random
import subprocess
import sys
import time

CLIENTS = 50
KEYS = 10
HARD_KEYS = ("k1", "k2")
BAD_KEY = "k7"


def linearizable_ops(rng, key, n_ops, process_of, t0, span):
    """n_ops operations on one key with random intervals inside [t0, t0 + span], each applied at a
    random point of its interval: a linearizable execution. Returns (invoke, complete, process, f,
    value) tuples, get values filled in from the state at their linearization point."""
    ops = []
    for i in range(n_ops):
        start = t0 + rng.random() * span
        length = 0.001 + rng.random() * 0.02
        f = rng.choice(("get", "put", "append", "append"))
        value = None if f == "get" else f"{key}.{i}."
        point = start + rng.random() * length
        ops.append({"start": start, "end": start + length, "point": point, "f": f,
                    "value": value, "process": process_of(i)})
    state = ""
    for op in sorted(ops, key=lambda o: o["point"]):
        if op["f"] == "get":
            op["value"] = state
        elif op["f"] == "put":
            state = op["value"]
        else:
            state += op["value"]
    return ops, state


def hard_burst(rng, key, burst, size, process_of, t0, state):
    """`size` appends that all overlap, some of them never completing (info), then a get after all
    of them that returns `state` plus the appends in a random order: one order of size! is right.
    Returns the operations and the state after them."""
    ops = []
    order = list(range(size))
    rng.shuffle(order)
    applied = []
    for rank, i in enumerate(order):
        lost = rng.random() < 0.25  # the client crashed: `info`, and it may not have happened
        happened = not lost or rng.random() < 0.5
        start = t0 + rng.random() * 0.002
        ops.append({"start": start, "end": None if lost else t0 + 0.01 + rng.random() * 0.002,
                    "point": None, "f": "append", "value": f"{key}.{burst}.{i}.",
                    "process": process_of(i)})
        if happened:
            applied.append((rank, ops[-1]["value"]))
    state += "".join(v for _, v in sorted(applied))
    ops.append({"start": t0 + 0.02, "end": t0 + 0.021, "point": None, "f": "get",
                "value": None, "process": process_of(size), "observed": state})
    return ops, state


def write_history(path, ops):
    events = []
    for op in ops:
        invoke = {"process": op["process"], "type": "invoke", "f": op["f"], "key": op["key"]}
        if op["f"] != "get":
            invoke["value"] = op["value"]
        events.append((op["start"], 0, invoke))
        if op["end"] is not None:
            done = {"process": op["process"], "type": "ok", "f": op["f"], "key": op["key"],
                    "value": op["value"]}
            events.append((op["end"], 1, done))
    events.sort(key=lambda e: (e[0], e[1]))
    with open(path, "w") as out:
        for t, _, e in events:
            e["time"] = round(t, 6)
            out.write(json.dumps(e) + "\n")


def assign_clients(ops):
    """Gives each operation the process of one of CLIENTS clients that has no operation open at
    its start. A client whose operation never completes (info: it crashed) comes back as a new
    process, Jepsen-style (process + CLIENTS). Fails if more than CLIENTS operations overlap."""
    free_at = [0.0] * CLIENTS
    process = list(range(CLIENTS))
    for op in sorted(ops, key=lambda o: o["start"]):
        slot = min(range(CLIENTS), key=lambda c: (free_at[c], c))
        if free_at[slot] > op["start"]:
            raise SystemExit("generator: more than 50 operations overlap")
        op["process"] = process[slot]
        if op["end"] is None:
            process[slot] += CLIENTS
            free_at[slot] = op["start"]
        else:
            free_at[slot] = op["end"]


def many_keys_history(path):
    rng = random.Random(20261204)
    none = lambda _: None
    ops = []
    final = {}
    for k in range(KEYS):
        key = f"k{k}"
        if key in HARD_KEYS:
            state = ""
            for burst in range(3):
                burst_ops, state = hard_burst(rng, key, burst, 11, none, burst * 0.05, state)
                for op in burst_ops:
                    if op["f"] == "get":
                        op["value"] = op.pop("observed")
                ops += [dict(op, key=key) for op in burst_ops]
        else:
            key_ops, final[key] = linearizable_ops(rng, key, 120, none, 0.0, 1.0)
            ops += [dict(op, key=key) for op in key_ops]
    # The violation, a stale get: on the bad key, after everything else, a put completes, then a
    # get that starts after it returns the value from before the put.
    last_end = max(op["end"] for op in ops if op["key"] == BAD_KEY)
    ops.append({"key": BAD_KEY, "start": last_end + 0.01, "end": last_end + 0.011, "f": "put",
                "value": "new"})
    ops.append({"key": BAD_KEY, "start": last_end + 0.02, "end": last_end + 0.021, "f": "get",
                "value": final[BAD_KEY]})
    assign_clients(ops)
    write_history(path, ops)
    return len(ops)


def small_history(path, seed):
    rng = random.Random(seed)
    ops, _ = linearizable_ops(rng, "x", 20, lambda i: i % 4, 0.0, 0.2)
    # Keep one open operation per process: serialize each process's operations.
    by_process = {}
    for op in sorted(ops, key=lambda o: o["start"]):
        prev = by_process.get(op["process"])
        if prev is not None and op["start"] < prev["end"]:
            shift = prev["end"] + 0.0001 - op["start"]
            op["start"] += shift
            op["end"] += shift
            op["point"] += shift
        by_process[op["process"]] = op
    state = ""
    for op in sorted(ops, key=lambda o: o["point"]):
        if op["f"] == "get":
            op["value"] = state
        elif op["f"] == "put":
            state = op["value"]
        else:
            state += op["value"]
    write_history(path, [dict(op, key="x") for op in ops])


def timed(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return time.perf_counter() - t, p


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build")
    out = sys.argv[2] if len(sys.argv) > 2 else "out/bench-check"
    os.makedirs(out, exist_ok=True)
    synod = os.path.join(build, "synod")
    synod_sim = os.path.join(build, "synod-sim")

    path = os.path.join(out, "kv-50-clients-10-keys.jsonl")
    n = many_keys_history(path)
    print(f"part 1: {path}: {n} operations, 50 clients, 10 keys "
          f"(hard: {', '.join(HARD_KEYS)}; stale get on {BAD_KEY})")
    runs = [("default (stop at first, -j cores)", []),
            ("-j1", ["-j1"]),
            ("--all-keys --timeout 30s", ["--all-keys", "--timeout", "30s"])]
    for name, extra in runs:
        wall, p = timed([synod, "check", "--model", "kv", "--json", *extra, path])
        try:
            result = json.loads(p.stdout)
            keys = result.get("keys", [])
            verdicts = {}
            for k in keys:
                verdicts[k.get("verdict", "?")] = verdicts.get(k.get("verdict", "?"), 0) + 1
            summary = f"{result.get('verdict')}; keys by verdict {dict(sorted(verdicts.items()))}"
        except (json.JSONDecodeError, AttributeError):
            summary = (p.stdout + p.stderr).strip().splitlines()[-1:] or ["?"]
        print(f"  {name:<36} exit {p.returncode}  {wall:7.3f} s  {summary}")

    small_dir = os.path.join(out, "small")
    os.makedirs(small_dir, exist_ok=True)
    files = []
    for i in range(102):
        f = os.path.join(small_dir, f"h{i:03d}.jsonl")
        small_history(f, 1000 + i)
        files.append(f)
    print(f"part 2: {len(files)} small kv histories in {small_dir}")
    for name, binary in (("synod check, one process per file", synod),
                         ("synod-sim check, one process per file", synod_sim)):
        t = time.perf_counter()
        codes = set()
        for f in files:
            codes.add(subprocess.run([binary, "check", "--model", "kv", f],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)
        print(f"  {name:<40} {time.perf_counter() - t:7.3f} s  exit codes {sorted(codes)}")
    wall, p = timed([synod, "check", "--model", "kv", *files])
    print(f"  {'synod check, all files in one call':<40} {wall:7.3f} s  exit code {p.returncode}")


if __name__ == "__main__":
    main()
