# dist_python.py — a Python torch.distributed (gloo) rank in a group with a nodetorch rank
# (tests/distributed.test.ts): the collectives of dist_worker.js's 'interop' mode, in the same
# order; prints RESULT {...}. Usage: dist_python.py RANK WORLD_SIZE PORT
import datetime
import json
import sys

import torch
import torch.distributed as dist

rank, world, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world, timeout=datetime.timedelta(seconds=30))
out = {'rank': rank}
a = torch.tensor([1.5 * (rank + 1), -2.0 * (rank + 1), rank + 0.25])
dist.all_reduce(a, dist.ReduceOp.SUM)
out['sum'] = a.tolist()
m = torch.tensor([float(rank), 3.0 - rank])
dist.all_reduce(m, dist.ReduceOp.MAX)
out['max'] = m.tolist()
for src in (0, 1):
    b = torch.tensor([[rank + 0.5, rank * 2.0], [7.0, rank - 1.0]])
    dist.broadcast(b, src)
    out[f'broadcast{src}'] = b.flatten().tolist()
parts = [torch.zeros(2) for _ in range(world)]
dist.all_gather(parts, torch.tensor([rank * 1.0, 10.0 + rank]))
out['allGather'] = [p.tolist() for p in parts]
dist.barrier()
print('RESULT ' + json.dumps(out), flush=True)
dist.destroy_process_group()
