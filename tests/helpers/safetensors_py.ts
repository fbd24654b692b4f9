/**
 * safetensors_py.ts — test helper: Python statements (prepended to PyTorch reference code) that
 * read and write safetensors files by hand, so the tests need no safetensors pip package; when the
 * package is installed, reads are cross-checked with it.
 */

/** Python helpers: the format parsed and written by hand (no safetensors package needed). */
export const PY_PRELUDE = `
import json, struct
import torch.nn as nn
DT = {'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'I64': torch.int64,
      'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        dt = DT[info['dtype']]
        t = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=dt) if e > b else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info['shape'])
    try:
        import safetensors.torch
        other = safetensors.torch.load_file(path)
        assert other.keys() == out.keys() and all(torch.equal(other[k], out[k]) for k in out)
    except ImportError:
        pass
    return out, meta
def write_safetensors(path, tensors, metadata=None):
    names = {v: k for k, v in DT.items()}
    header = {'__metadata__': metadata} if metadata else {}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        blob = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
`;
