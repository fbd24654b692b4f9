# resnet_ref.py — test helper: PyTorch reference ResNets with the state_dict names nodetorch's
# builders use: CIFAR-style (He et al. 2016 §4.2, shortcut A = F.pad of the subsampled input,
# B = 1×1 projection) and torchvision's ImageNet layout (BasicBlock / Bottleneck, stride on the
# 3×3 conv). Executed into the scope of tests/helpers/torch_ref.py cases.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride, self.pad = stride, planes - cin
        self.downsample = None
        if shortcut == 'B' and (stride != 1 or cin != planes):
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def shortcut(self, x):
        if self.downsample is not None:
            return self.downsample(x)
        if self.stride != 1 or self.pad:
            return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return x

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride, shortcut):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    def __init__(self, block, blocks, widths, classes, shortcut='B', stem='cifar'):
        super().__init__()
        self.stem = stem
        first = widths[0]
        self.conv1 = nn.Conv2d(3, first, 7, 2, 3, bias=False) if stem == 'imagenet' else nn.Conv2d(3, first, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(first)
        cin = first
        for stage, (planes, n) in enumerate(zip(widths, blocks)):
            layers = []
            for i in range(n):
                layers.append(block(cin, planes, 2 if stage > 0 and i == 0 else 1, shortcut))
                cin = planes * block.expansion
            setattr(self, f'layer{stage + 1}', nn.Sequential(*layers))
        self.stages = len(widths)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if self.stem == 'imagenet':
            x = F.max_pool2d(x, 3, 2, 1)
        for s in range(self.stages):
            x = getattr(self, f'layer{s + 1}')(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def cifar_resnet(depth, shortcut, classes=10):
    n = (depth - 2) // 6
    return ResNet(Basic, [n, n, n], [16, 32, 64], classes, shortcut)


def imagenet_resnet(name, classes=1000, small_input=False):
    block, blocks = {'resnet18': (Basic, [2, 2, 2, 2]), 'resnet34': (Basic, [3, 4, 6, 3]),
                     'resnet50': (Bottleneck, [3, 4, 6, 3]), 'resnet101': (Bottleneck, [3, 4, 23, 3])}[name]
    return ResNet(block, blocks, [64, 128, 256, 512], classes, 'B', 'cifar' if small_input else 'imagenet')


def param_count(net):
    return sum(p.numel() for p in net.parameters())
