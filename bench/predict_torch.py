"""predict_torch.py — the PyTorch-Python side of bench/predict.js (run with /usr/bin/python3).

Runs the model nodetorch exported (exportTorchScript) two ways a PyTorch user would: eager (the
same architecture as an nn.Module, the exported weights copied in, under torch.no_grad()) and
frozen (torch.jit.optimize_for_inference(torch.jit.freeze(module)) on the loaded export). One
request per line on stdin, one answer line on stdout:
  load <cnn|resnet20> <export.pt> <batch>
                      the model, a fixed randn input of <batch> samples
                      -> "ok <torch version> <threads> <max |eager - export|> <max |frozen - export|>"
  run <eager|frozen> <calls>
                      <calls> forwards of that input -> "<wall ns>"
"""
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "helpers"))
from resnet_ref import cifar_resnet  # noqa: E402


def build(name):
    """The eager module and its sample shape (bench/common.js benchCnn; nt.builders.resnet depth 20)."""
    if name == "resnet20":
        return cifar_resnet(20, "A"), (3, 32, 32)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10), nn.Softmax(1),
    ), (1, 28, 28)


def copy_weights(eager, exported):
    """The exported state_dict into the eager module, in order (same architecture, same shapes)."""
    src = list(exported.state_dict().values())
    dst = eager.state_dict()
    if len(src) != len(dst):
        raise SystemExit(f"predict_torch.py: {len(src)} exported weights, {len(dst)} in the eager model")
    for (key, old), new in zip(dst.items(), src):
        if old.shape != new.shape:
            raise SystemExit(f"predict_torch.py: weight {key} is {tuple(old.shape)}, export has {tuple(new.shape)}")
    eager.load_state_dict(dict(zip(dst.keys(), src)))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    sides, x = {}, None
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "load":
            exported = torch.jit.load(args[1]).eval()
            eager, shape = build(args[0])
            copy_weights(eager, exported)
            eager.eval()
            frozen = torch.jit.optimize_for_inference(torch.jit.freeze(exported))
            x = torch.randn(int(args[2]), *shape)
            with torch.no_grad():
                ref = exported(x)
                diffs = [(side(x) - ref).abs().max().item() for side in (eager, frozen)]
            sides = {"eager": eager, "frozen": frozen}
            reply = f"ok {torch.__version__} {torch.get_num_threads()} {diffs[0]:.2e} {diffs[1]:.2e}"
        else:
            model, calls = sides[args[0]], int(args[1])
            wall = time.perf_counter_ns()
            with torch.no_grad():
                for _ in range(calls):
                    model(x)
            reply = str(time.perf_counter_ns() - wall)
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
