"""train_torch.py — the PyTorch-Python side of bench/train.js (run with /usr/bin/python3).

Trains the benchmark CNN the way a PyTorch user writes it: nn.Sequential, torch.optim.Adam,
F.cross_entropy on the logits, and loss.item() each step (as logging does). One request per
line on stdin, one answer line on stdout:
  setup <batch> <samples> [cnn|resnet20] [bf16]
                            new model and optimizer, <samples> synthetic samples cut into batches
                            (cnn: Adam on [1, 28, 28]; resnet20: the CIFAR ResNet-20 of
                            tests/helpers/resnet_ref.py, SGD momentum 0.9, on [3, 32, 32]);
                            bf16: forward and loss under torch.autocast('cpu', torch.bfloat16)
                            (bench/mixed_precision.js)
                            -> "ok <torch version> <threads>"
  run <steps>               one timing round of <steps> train steps over the next batches
                            -> "<wall ns> <cpu ns> <minor page faults> <last loss>"
"""
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


def build_cnn():
    """conv32-pool-conv64-pool-dense128-dense10 on [1, 28, 28]; the softmax lives in the loss."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def build(name):
    """The model, its optimizer and its sample shape."""
    if name == "resnet20":
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "helpers"))
        from resnet_ref import cifar_resnet
        model = cifar_resnet(20, "A")
        return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9), (3, 32, 32)
    model = build_cnn()
    return model, torch.optim.Adam(model.parameters(), lr=1e-3), (1, 28, 28)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = optimizer = None
    bf16 = False
    batches = []
    next_batch = 0
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "setup":
            batch, samples = int(args[0]), int(args[1])
            model, optimizer, shape = build(args[2] if len(args) > 2 else "cnn")
            bf16 = len(args) > 3 and args[3] == "bf16"
            count = samples // batch
            x = torch.randn(samples, *shape)
            y = torch.randint(10, (samples,))
            batches = list(zip(x.split(batch)[:count], y.split(batch)[:count]))
            next_batch = 0
            reply = f"ok {torch.__version__} {torch.get_num_threads()}"
        else:
            steps = int(args[0])
            wall, cpu = time.perf_counter_ns(), time.process_time_ns()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            loss = 0.0
            for _ in range(steps):
                xb, yb = batches[next_batch % len(batches)]
                next_batch += 1
                optimizer.zero_grad()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    out = F.cross_entropy(model(xb), yb)
                out.backward()
                optimizer.step()
                loss = out.item()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
            reply = f"{time.perf_counter_ns() - wall} {time.process_time_ns() - cpu} {faults} {loss}"
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
