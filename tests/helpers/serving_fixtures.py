"""serving_fixtures.py — TorchScript modules for the serving tests, written to the folder given:
rowsum.pt, whose input length varies ([n, L] → [n, 1], twice the row's sum), and pair.pt, two
inputs and two outputs ({x [n, 3], k [n, 2] int64} → (x * 2, k + 1)), with its pair.pt.json schema."""
import json
import os
import sys
from typing import Tuple

import torch


class RowSum(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(1, keepdim=True) * 2


class Pair(torch.nn.Module):
    def forward(self, x: torch.Tensor, k: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return x * 2, k + 1


def main(out: str) -> None:
    torch.jit.save(torch.jit.script(RowSum()), os.path.join(out, "rowsum.pt"))
    torch.jit.save(torch.jit.script(Pair()), os.path.join(out, "pair.pt"))
    schema = {
        "inputs": [{"name": "x", "shape": [3], "datatype": "FP32"}, {"name": "k", "shape": [2], "datatype": "INT64"}],
        "outputs": ["doubled", "next"],
    }
    with open(os.path.join(out, "pair.pt.json"), "w") as f:
        json.dump(schema, f)


if __name__ == "__main__":
    main(sys.argv[1])
