"""gan_torch.py — the PyTorch-Python side of bench/gan.js (run with /usr/bin/python3).

Trains the DCGAN of tests/helpers/dcgan_ref.py (the layout of nt.builders.dcgan) the way the
PyTorch DCGAN example does: Adam(2e-4, betas (0.5, 0.999)) for G and D, one D step on real and
G(z).detach(), one G step, .item() of both losses each step. One request per line on stdin:
  setup <size> <channels> <batch>   new models and optimizers, 8 synthetic real batches -> "ok <torch version>"
  run <steps>                       one timing round -> "<wall ns> <cpu ns> <last D loss>"
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "helpers"))
from dcgan_ref import adam, discriminator, gan_step, generator  # noqa: E402


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    state = {}
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "setup":
            size, channels, batch = map(int, args)
            g, d = generator(size, channels), discriminator(size, channels)
            state = {"g": g, "d": d, "opt_g": adam(g), "opt_d": adam(d), "batch": batch, "next": 0,
                     "real": [torch.rand(batch, channels, size, size) * 2 - 1 for _ in range(8)]}
            reply = f"ok {torch.__version__}"
        else:
            steps = int(args[0])
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            loss = 0.0
            for _ in range(steps):
                real = state["real"][state["next"] % 8]
                state["next"] += 1
                noise = torch.randn(state["batch"], 100)
                err_d, err_g, _, _ = gan_step(state["g"], state["d"], real, noise, opt_g=state["opt_g"], opt_d=state["opt_d"])
                loss = err_d.item() + 0 * err_g.item()
            reply = f"{time.perf_counter_ns() - wall} {time.process_time_ns() - cpu} {loss}"
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
