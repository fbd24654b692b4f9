"""ops_torch.py — the PyTorch-Python side of bench/ops.js (run with /usr/bin/python3).

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"cmd": "setup", "ops": {"add": "a.add(b)", ...}, "shapes": {"a": [8, 8], ...}}  -> {"ok": true, ...}
  {"cmd": "time", "op": "add", "iters": 20000}                                   -> {"ns": 1234.5}
Each timing round runs the op's statement `iters` times in a timeit loop, one thread, with
results freed by reference counting as in ordinary Python code (and the GC left enabled).
"""
import gc
import json
import sys
import timeit

import torch
import torch.nn.functional as F


def main():
    torch.set_num_threads(1)
    timers = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "setup":
            torch.manual_seed(0)
            env = {"torch": torch, "F": F, "gc": gc}
            for name, shape in req["shapes"].items():
                env[name] = torch.randn(shape)
            timers = {op: timeit.Timer(stmt, setup="gc.enable()", globals=env) for op, stmt in req["ops"].items()}
            reply = {"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()}
        else:
            iters = req["iters"]
            reply = {"ns": timers[req["op"]].timeit(number=iters) * 1e9 / iters}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
