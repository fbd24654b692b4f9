# dist_python_ddp.py — a Python DistributedDataParallel rank (gloo) training with a nodetorch rank
# (dist_worker.js's 'pyddp' mode, tests/distributed.test.ts): the same model as the worker's
# stepsSetup (Linear 8→16, tanh, Linear 16→4; SGD-momentum, cross-entropy), rank 0's 20 batches of
# 64 (broadcast), each rank its half of every batch; prints RESULT with the final weights in
# state_dict order. Usage: dist_python_ddp.py RANK WORLD_SIZE PORT
import datetime
import json
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

rank, world, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)
dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world, timeout=datetime.timedelta(seconds=30))
x = torch.randn(20, 64, 8)
y = torch.randint(0, 4, (20, 64))
dist.broadcast(x, 0)
dist.broadcast(y, 0)
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
ddp = DistributedDataParallel(model)  # parameters from rank 0, buckets in reverse parameter order
# nt.distributed.wrap broadcasts the data-shuffle seed after the parameters: the matching collective.
dist.broadcast(torch.zeros(1, dtype=torch.long), 0)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
half = 64 // world
for s in range(20):
    opt.zero_grad()
    loss = F.cross_entropy(ddp(x[s, rank * half:(rank + 1) * half]), y[s, rank * half:(rank + 1) * half])
    loss.backward()
    opt.step()
weights = [t.detach().flatten().tolist() for t in model.state_dict().values()]
print('RESULT ' + json.dumps({'rank': rank, 'weights': weights}), flush=True)
dist.destroy_process_group()
