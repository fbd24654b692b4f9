"""distributed_torch.py — the PyTorch side of bench/distributed.js: one rank of
DistributedDataParallel (gloo) training the benchmark CNN (bench/train_torch.py's build_cnn, Adam,
cross_entropy, loss.item() each step) on batches of <batch> synthetic samples, one thread.
Rank and group from torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT); the timed
steps start no earlier than BENCH_START_AT (ms since the epoch) when set.
Usage: distributed_torch.py <batch> <warmup steps> <steps>; every rank prints
"cpu-ms <ms> images <n>" (its CPU time over the timed steps), rank 0 "images/s <x>" and the
machine's busy CPU time over the timed steps ("machine busy-ms <ms> wall-ms <ms>").
"""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(__file__))
from train_torch import build_cnn  # noqa: E402


def machine_busy_ms():
    """CPU time the whole machine has spent busy (all processes, all cores), in ms, from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) * 10  # USER_HZ = 100


def main():
    batch, warmup, steps = (int(a) for a in sys.argv[1:4])
    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(rank)
    model = DistributedDataParallel(build_cnn())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(8 * batch, 1, 28, 28)
    y = torch.randint(10, (8 * batch,))
    batches = list(zip(x.split(batch), y.split(batch)))

    def run(n):
        for i in range(n):
            xb, yb = batches[i % len(batches)]
            optimizer.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()

    run(warmup)
    time.sleep(max(0.0, float(os.environ.get("BENCH_START_AT", 0)) / 1000 - time.time()))
    dist.barrier()
    start = time.perf_counter()
    cpu = time.process_time()
    busy = machine_busy_ms()
    run(steps)
    dist.barrier()
    seconds = time.perf_counter() - start
    print(f"cpu-ms {(time.process_time() - cpu) * 1000:.1f} images {steps * batch}", flush=True)
    if rank == 0:
        print(f"images/s {world * steps * batch / seconds:.1f}", flush=True)
        print(f"machine busy-ms {machine_busy_ms() - busy} wall-ms {seconds * 1000:.0f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
