#!/usr/bin/env python3
"""Mutation fuzzing of whole runs: `synod run` on mutants of the shipped scenario files.

    bench/fuzz-scenarios.py BUILD_DIR [--mutants 5000] [--seed 1] [-j 2] [--timeout 20]
                            [--keep DIR]

Each mutant is a shipped scenario (scenarios/*.yaml, tests/sim/data/good/*.yaml, bench/*.yaml)
with one to three text edits: a number made huge, negative, zero or fractional, a line deleted,
duplicated or moved, a key misspelt, a value turned into a list or a map, the file cut short, a
few random bytes. Each runs once (`synod run MUTANT --quiet`) under a wall-clock limit.

A run is fine when it exits 0, 1 or 2 within the limit and, when it exits 2, its message names
the mutant's file. Everything else is a finding: a signal (SIGSEGV, SIGABRT), an uncaught
exception ("terminate called"), a bare std::bad_alloc, a SimGrid abort, a hang past the limit,
an error that names no file. Findings are printed by kind with the mutant kept under --keep
(default out/fuzz-scenarios) so each one can be replayed: synod run KEPT.yaml.

The mutants depend on --seed alone (Python's random.Random with that seed): the same seed
gives the same mutants. Exit code 0 if nothing was found, 1 otherwise.
"""
import argparse
import concurrent.futures
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HUGE = ["0", "-1", "-5", "1000000000", "99999999999999999999", "1e308", "0.0000001", "nan",
        "inf", "-0", "4294967297", "18446744073709551616", "2147483648", "1e9s", "0s", "-1ms",
        "100000000/s", "0/s", "1e300/s", "99999999h", '""', "[]", "{}", "null", "~", "yes"]
KEYS = ["nodes", "clients", "keys", "rate", "duration", "latency", "timeout", "replication",
        "shards", "workers", "tasks", "partitions", "vnodes", "groups", "heartbeat", "at",
        "jitter", "loss", "duplicate", "election_timeout", "seed", "members", "max_instances",
        "keep_alive", "every", "for", "node", "nodes_per_region", "regions"]
NUMBER = re.compile(r"(?<![\w.])-?\d+(\.\d+)?(e[+-]?\d+)?([a-z]+|/s)?(?![\w.])")


def mutate_once(rng, lines):
    if not lines:
        return ["{"]
    i = rng.randrange(len(lines))
    kind = rng.randrange(11)
    line = lines[i]
    if kind <= 2:  # a number somewhere becomes an extreme value
        spots = [m for j, l in enumerate(lines) for m in [(j, x) for x in NUMBER.finditer(l)]]
        if spots:
            j, m = rng.choice(spots)
            lines[j] = lines[j][:m.start()] + rng.choice(HUGE) + lines[j][m.end():]
    elif kind == 3:
        del lines[i]
    elif kind == 4:
        lines.insert(i, line)
    elif kind == 5:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 6 and ":" in line:  # a key misspelt
        k = line.index(":")
        key = line[:k]
        if key.strip():
            p = rng.randrange(len(key))
            lines[i] = key[:p] + rng.choice("xqz_") + key[p + 1:] + line[k:]
    elif kind == 7 and ":" in line:  # a value becomes a list, a map or an extreme scalar
        k = line.index(":")
        lines[i] = line[:k + 1] + " " + rng.choice(["[1, 2]", "{a: 1}", "[]", "{}", "~", "-",
                                                  "x" * 300, "[[[[[[[[]]]]]]]]", "&a", "*a",
                                                  "!!binary AAAA", rng.choice(HUGE)])
    elif kind == 8:  # a key that matters gets an extreme value, added in the line's section
        indent = len(line) - len(line.lstrip())
        lines.insert(i, " " * indent + rng.choice(KEYS) + ": " + rng.choice(HUGE))
    elif kind == 9:  # cut the file short
        text = "\n".join(lines)
        cut = rng.randrange(len(text) + 1)
        return text[:cut].split("\n")
    else:  # a few random bytes
        p = rng.randrange(len(line) + 1)
        junk = "".join(chr(rng.choice([9, 10, 32, 34, 35, 38, 39, 42, 44, 45, 58, 63, 91, 93,
                                       123, 124, 125, 0xe9, 0xff])) for _ in range(rng.randrange(1, 4)))
        lines[i] = line[:p] + junk + line[p:]
    return lines


def classify(proc_rc, err, path, timed_out):
    if timed_out:
        return "hang"
    if proc_rc < 0:
        return "signal " + signal.Signals(-proc_rc).name
    if "terminate called" in err:
        return "uncaught exception"
    if "bad_alloc" in err:
        return "bad_alloc"
    if "Failed to allocate stack" in err or "xbt_die" in err or "Oops" in err:
        return "SimGrid abort"
    if "AddressSanitizer" in err or "runtime error:" in err:
        return "sanitizer"
    if proc_rc not in (0, 1, 2):
        return f"exit {proc_rc}"
    if proc_rc == 2 and os.path.basename(path) not in err:
        return "error names no file"
    return None


def run_one(synod, path, out, timeout):
    start = time.monotonic()
    try:
        p = subprocess.run([synod, "run", path, "--quiet", "--out", out, "--check-timeout", "5s"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout,
                           start_new_session=True)
        rc, err, timed_out = p.returncode, p.stderr.decode("utf-8", "replace"), False
    except subprocess.TimeoutExpired as e:
        rc, err, timed_out = None, (e.stderr or b"").decode("utf-8", "replace"), True
    shutil.rmtree(out, ignore_errors=True)
    return rc, err, timed_out, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--mutants", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--keep", default="out/fuzz-scenarios")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    synod = os.path.join(os.path.abspath(args.build), "synod")
    sources = sorted(glob.glob(os.path.join(root, "scenarios", "*.yaml")) +
                     glob.glob(os.path.join(root, "tests", "sim", "data", "good", "*.yaml")) +
                     glob.glob(os.path.join(root, "bench", "*.yaml")))
    texts = {s: open(s, encoding="utf-8").read() for s in sources}
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="synod-fuzz-")
    os.makedirs(args.keep, exist_ok=True)
    jobs = []
    for n in range(args.mutants):
        src = rng.choice(sources)
        lines = texts[src].split("\n")
        for _ in range(rng.randrange(1, 4)):
            lines = mutate_once(rng, lines)
        path = os.path.join(work, f"m{n:05d}-{os.path.basename(src)}")
        # A platform file named by a relative path must still be found: run from the source's folder.
        text = "\n".join(lines).replace("platform: ", "platform: " + os.path.dirname(src) + "/")
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        jobs.append(path)
    findings = {}
    exits = {}
    slow = []
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        futs = {pool.submit(run_one, synod, p, p + ".out", args.timeout): p for p in jobs}
        for done, fut in enumerate(concurrent.futures.as_completed(futs), 1):
            path = futs[fut]
            rc, err, timed_out, wall = fut.result()
            exits["hang" if timed_out else rc] = exits.get("hang" if timed_out else rc, 0) + 1
            kind = classify(rc if rc is not None else 0, err, path, timed_out)
            if wall > args.timeout / 2 and not timed_out:
                slow.append((wall, path))
            if kind:
                kept = os.path.join(args.keep, os.path.basename(path))
                shutil.copy(path, kept)
                first = next((l for l in err.splitlines() if l.strip()), "")[:200]
                findings.setdefault(kind, []).append((kept, first))
            if sys.stderr.isatty() and done % 20 == 0:
                print(f"\r{done}/{len(jobs)} mutants, {sum(len(v) for v in findings.values())} "
                      f"findings", end="", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - t0
    print(f"{len(jobs)} mutants of {len(sources)} files (seed {args.seed}) in {elapsed:.0f} s, "
          f"exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items(), key=str)))
    if slow:
        print(f"{len(slow)} runs took over half the limit, slowest {max(slow)[0]:.1f} s ({max(slow)[1]})")
    for kind in sorted(findings):
        print(f"{kind}: {len(findings[kind])}")
        for kept, first in findings[kind][:8]:
            print(f"  {kept}\n      {first}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
