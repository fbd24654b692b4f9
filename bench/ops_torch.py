"""ops_torch.py — the PyTorch-Python side of bench/ops.js (run with /usr/bin/python3 ops_torch.py CLOCK,
CLOCK 'cpu' (process CPU time, time.process_time) or 'wall' (time.perf_counter)).

Reads one JSON request per line on stdin and answers one JSON line on stdout:
  {"cmd": "setup", "ops": {"add": "a.add(b)", ...}, "inputs": {"a": {"shape": [8, 8]}, ...},
   "setup": "statements run after the inputs exist"}                           -> {"ok": true, ...}
  {"cmd": "time", "op": "add", "iters": 20000}                                   -> {"ns": 1234.5}
Inputs are randn float32 tensors (requiring gradients where "grad" is set) or int64 index
tensors ("index": values). Each timing round runs the op's statement `iters` times in a timeit
loop, one thread, with results freed by reference counting as in ordinary Python code (and the GC
left enabled).
"""
import gc
import json
import sys
import time
import timeit

import torch
import torch.nn.functional as F


def main():
    torch.set_num_threads(1)
    clock = time.process_time if sys.argv[1:] == ["cpu"] else time.perf_counter
    timers = {}
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "setup":
            torch.manual_seed(0)
            env = {"torch": torch, "F": F, "gc": gc}
            for name, spec in req["inputs"].items():
                if "index" in spec:
                    env[name] = torch.tensor(spec["index"], dtype=torch.int64)
                else:
                    env[name] = torch.randn(spec["shape"], requires_grad=spec.get("grad", False))
            exec(req["setup"], env)
            timers = {op: timeit.Timer(stmt, setup="gc.enable()", timer=clock, globals=env) for op, stmt in req["ops"].items()}
            reply = {"ok": True, "torch": torch.__version__, "threads": torch.get_num_threads()}
        else:
            iters = req["iters"]
            reply = {"ns": timers[req["op"]].timeit(number=iters) * 1e9 / iters}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
