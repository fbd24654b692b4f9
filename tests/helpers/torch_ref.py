# torch_ref.py — runs reference cases in PyTorch-Python for the tests (reads JSON on stdin,
# writes JSON on stdout). Each case: named input tensors (data, shape, dtype, requires_grad)
# and Python statements that assign `out` (a tensor, number, or list/tuple/dict of those).
import json
import math
import sys

import torch
import torch.nn.functional as F

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
    "bfloat16": torch.bfloat16, "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16,
    "int32": torch.int32, "int64": torch.int64, "bool": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}


def to_tensor(spec):
    t = torch.tensor(spec["data"], dtype=torch.float64 if DTYPES[spec["dtype"]].is_floating_point else torch.int64)
    t = t.to(DTYPES[spec["dtype"]]).reshape(spec["shape"])
    if spec.get("requires_grad"):
        t.requires_grad_(True)
    return t


def encode_number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return {"special": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    return v


def encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        read = t.to(torch.float64) if t.dtype in (torch.float16, torch.bfloat16) else t
        flat = read.reshape(-1).tolist()
        return {"tensor": True, "shape": list(t.shape), "dtype": NAMES[t.dtype],
                "data": [encode_number(float(v)) if isinstance(v, float) else (int(v) if not isinstance(v, bool) else v) for v in flat]}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, float):
        return encode_number(value)
    return value


def main():
    cases = json.load(sys.stdin)
    torch.set_num_threads(1)
    results = []
    for case in cases:
        scope = {"torch": torch, "F": F}
        for name, spec in case["inputs"].items():
            scope[name] = to_tensor(spec)
        try:
            exec(case["code"], scope)
            results.append({"ok": True, "out": encode(scope["out"])})
        except Exception as e:  # the JS side compares error expectations too
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout)


main()
