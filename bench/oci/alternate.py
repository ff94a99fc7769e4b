#!/usr/bin/env python3
"""Times commands side by side: each round runs every command once (after its untimed prepare step), in an
order that rotates every round, so drift in the machine's or the registry's speed (docker-registry's fsyncs
follow the disk) falls on all of them alike. hyperfine runs each command's block in turn, which is what made
the 32 MiB push's ratio to its floor move by 0.2 between runs.

usage: alternate.py OUT.json RUNS WARMUP NAME PREPARE COMMAND [NAME PREPARE COMMAND ...]
Writes {"results": [{"command": NAME, "times": [seconds, ...]}, ...]} (hyperfine's shape) to OUT.json.
"""
import json
import shlex
import subprocess
import sys
import time


def run(argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def main():
    out, runs, warmup, rest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    if len(rest) == 0 or len(rest) % 3:
        sys.exit(__doc__)
    commands = [(rest[i], shlex.split(rest[i + 1]), shlex.split(rest[i + 2])) for i in range(0, len(rest), 3)]
    times = [[] for _ in commands]
    for round_ in range(warmup + runs):
        order = [(round_ + k) % len(commands) for k in range(len(commands))]
        for index in order:
            _, prepare, command = commands[index]
            run(prepare)
            start = time.perf_counter()
            run(command)
            elapsed = time.perf_counter() - start
            if round_ >= warmup:
                times[index].append(elapsed)
    with open(out, "w") as f:
        json.dump({"results": [{"command": name, "times": t} for (name, _, _), t in zip(commands, times)]}, f)


if __name__ == "__main__":
    main()
