# jit_fixtures.py — scripts and saves the TorchScript modules tests/jit.test.ts loads from Node
# (usage: jit_fixtures.py OUT_DIR). Each module exercises a part of the JS ↔ IValue conversion.
import sys
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class DictTuple(nn.Module):
    """Dict input, tuple output (with a list and a dict inside)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 2)

    def forward(self, inputs: Dict[str, torch.Tensor], scale: float) -> Tuple[torch.Tensor, List[torch.Tensor], Dict[str, torch.Tensor], int]:
        a = self.proj(inputs["a"]) * scale
        b = inputs["b"].sum(dim=1)
        parts = [a, b]
        return a + b.unsqueeze(1), parts, {"a": a, "b": b}, len(inputs)


class IntControl(nn.Module):
    """int64 tensors, an if and a loop depending on the data and an int argument."""

    def forward(self, ids: torch.Tensor, steps: int) -> torch.Tensor:
        acc = torch.zeros_like(ids)
        for i in range(steps):
            if int(ids.sum()) % 2 == 0:
                acc = acc + ids * (i + 1)
            else:
                acc = acc - ids // 2
            ids = ids + 1
        return acc


class Methods(nn.Module):
    """Methods other than forward, with scalar, list, optional and string arguments."""

    def __init__(self):
        super().__init__()
        self.register_buffer("offset", torch.tensor([1.5, -2.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.offset

    @torch.jit.export
    def describe(self, names: List[str], weights: List[float], sizes: List[int], flag: bool, limit: Optional[int]) -> Tuple[str, float, int, bool, Optional[int]]:
        total = 0.0
        for w in weights:
            total += w
        count = 0
        for s in sizes:
            count += s
        return ",".join(names), total, count, not flag, limit

    @torch.jit.export
    def scale_all(self, xs: List[torch.Tensor], factor: float) -> List[torch.Tensor]:
        return [x * factor for x in xs]

    @torch.jit.export
    def big(self) -> int:
        return 9007199254740993


class Raises(nn.Module):
    """A script `raise` and a shape error inside an op."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if bool(x.sum() < 0):
            raise ValueError("x must have a non-negative sum")
        return x.mm(y)


class Regressor(nn.Module):
    """A small MLP to fine-tune from Node."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.out = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(x)))


def main(out_dir: str) -> None:
    torch.manual_seed(0)
    cnn = Cnn()
    with torch.no_grad():  # non-trivial running statistics
        cnn.bn.running_mean.uniform_(-0.5, 0.5)
        cnn.bn.running_var.uniform_(0.5, 1.5)
    modules = {
        "cnn": cnn.eval(),
        "dict_tuple": DictTuple(),
        "int_control": IntControl(),
        "methods": Methods(),
        "raises": Raises(),
        "regressor": Regressor(),
    }
    for name, module in modules.items():
        torch.jit.save(torch.jit.script(module), f"{out_dir}/{name}.pt")


main(sys.argv[1])
