# dcgan_ref.py — test helper: the PyTorch DCGAN generator/discriminator with the layout (and
# nn.Sequential indices) of nt.builders.dcgan, and one training iteration of the PyTorch DCGAN
# example. Executed into the scope of tests/helpers/torch_ref.py cases.
import torch
import torch.nn as nn
import torch.nn.functional as F

LAYOUTS = {64: (4, [8, 4, 2, 1]), 32: (4, [4, 2, 1]), 28: (7, [2, 1])}


def generator(size, channels, latent=100, ngf=64):
    first, mults = LAYOUTS[size]
    layers = [nn.Unflatten(1, (latent, 1, 1))]
    cin = latent
    for i, m in enumerate(mults):
        layers += [nn.ConvTranspose2d(cin, ngf * m, first if i == 0 else 4, 1 if i == 0 else 2, 0 if i == 0 else 1, bias=False),
                   nn.BatchNorm2d(ngf * m), nn.ReLU()]
        cin = ngf * m
    layers += [nn.ConvTranspose2d(cin, channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size, channels, ndf=64):
    first, mults = LAYOUTS[size]
    layers = []
    cin = channels
    for i, m in enumerate(reversed(mults)):
        layers.append(nn.Conv2d(cin, ndf * m, 4, 2, 1, bias=False))
        if i > 0:
            layers.append(nn.BatchNorm2d(ndf * m))
        layers.append(nn.LeakyReLU(0.2))
        cin = ndf * m
    layers += [nn.Conv2d(cin, 1, first, 1, 0, bias=False), nn.Flatten()]
    return nn.Sequential(*layers)


def param_count(net):
    return sum(p.numel() for p in net.parameters())


def adam(net, lr=2e-4):
    return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999))


def gan_step(g, d, real, noise, loss='bce', real_label=1.0, opt_g=None, opt_d=None):
    """One iteration as nodetorch's GAN trainer (and the PyTorch DCGAN example) does it; new Adam
    optimizers (lr 2e-4, betas (0.5, 0.999)) unless given."""
    g.train()
    d.train()
    opt_g = opt_g or adam(g)
    opt_d = opt_d or adam(d)
    fake = g(noise)
    opt_d.zero_grad()
    real_logits, fake_logits = d(real), d(fake.detach())
    if loss == 'hinge':
        err_d = F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    else:
        err_d = (F.binary_cross_entropy_with_logits(real_logits, torch.full_like(real_logits, real_label))
                 + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    err_d.backward()
    opt_d.step()
    opt_g.zero_grad()
    out = d(fake)
    if loss == 'hinge':
        err_g = -out.mean()
    elif loss == 'minimax':
        err_g = -F.binary_cross_entropy_with_logits(out, torch.zeros_like(out))
    else:
        err_g = F.binary_cross_entropy_with_logits(out, torch.ones_like(out))
    err_g.backward()
    opt_g.step()
    stats = [err_d.detach(), err_g.detach(), torch.sigmoid(real_logits).mean().detach(), torch.sigmoid(fake_logits).mean().detach()]
    return stats
