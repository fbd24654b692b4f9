"""oip_client.py — a small Open Inference Protocol (KServe v2 REST) client in Python (requests), for
the serving test: checks the server is live and ready, reads the model's metadata, sends one infer
request of seeded random FP32 inputs shaped from the metadata, and prints {inputs, outputs} as JSON.

usage: oip_client.py <base-url> <model> <batch> <seed>"""
import json
import random
import struct
import sys

import requests


def f32(x: float) -> float:
    """x rounded to float32, so the server's FP32 tensor holds exactly what we sent."""
    return struct.unpack("f", struct.pack("f", x))[0]


def main(base: str, model: str, batch: int, seed: int) -> None:
    assert requests.get(f"{base}/v2/health/live", timeout=30).status_code == 200
    assert requests.get(f"{base}/v2/health/ready", timeout=30).status_code == 200
    meta = requests.get(f"{base}/v2/models/{model}", timeout=30).json()
    rng = random.Random(seed)
    inputs = []
    for spec in meta["inputs"]:
        assert spec["datatype"] == "FP32", spec
        shape = [batch] + spec["shape"][1:]
        count = 1
        for d in shape:
            count *= d
        inputs.append({"name": spec["name"], "shape": shape, "datatype": "FP32", "data": [f32(rng.gauss(0, 1)) for _ in range(count)]})
    r = requests.post(f"{base}/v2/models/{model}/infer", json={"id": "py-1", "inputs": inputs}, timeout=60)
    r.raise_for_status()
    body = r.json()
    assert body["id"] == "py-1" and body["model_name"] == model, body
    print(json.dumps({"inputs": inputs, "outputs": body["outputs"]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
