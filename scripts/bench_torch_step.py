#!/usr/bin/env python3
"""Time one training step of Collegium's benchmark models with PyTorch.

The peer of `go test ./pkg/train -run '^$' -bench TrainStep` (the same
models, batches and optimizer, under the same names): one step = forward,
softmax cross-entropy, backward, SGD update (lr 0.1, momentum 0.9, coupled
weight decay 1e-4), on one fixed random batch.

  mlp-4x128-L2 (batch 128, MNIST-shaped): a dense 784→m·n layer, one
      block-diagonal n→n layer per extra depth (torch.bmm over (m, B, n)),
      the members' n→10 readouts (bmm) and their mean; ReLU after hidden layers.
  convnet-4x16-L3 (batch 64) and convnet-16x32-L4 (batch 128), MNIST-shaped:
      a 3×3 stem to m·n channels, L−1 grouped (groups m) 3×3 stride-2
      convolutions, each with bias and ReLU, global average pooling, the
      members' readouts (bmm) and their mean.
  resnext29-8x64d (batch 8; and 64 on a GPU) and resnext29-4x16d-w1 (widen 1,
      batch 32), CIFAR-shaped: the CIFAR ResNeXt of Xie et al. (3 stages of 3
      bottlenecks, grouped 3×3 convs, BN, projection shortcuts).
  resnext50-32x4d-64px (batch 16, 3×64×64, 1000 classes): torchvision's
      ResNeXt-50 32×4d, written out here (no torchvision needed).

Each result carries the median step time (median_ms), the process CPU time
per step (cpu_ms, all threads: with --threads 1 it follows the work done on
a shared machine) and the model's parameter count, which scripts/compare.sh
--steps checks against Collegium's (473,128 for the MLP-CE, 34,426,698 for
ResNeXt-29 8×64d, 25,028,904 for ResNeXt-50 32×4d). TF32 is off on CUDA so
that both sides compute in float32. Prints one JSON object per line.

  python3 scripts/bench_torch_step.py --device cpu --reps 5
  python3 scripts/bench_torch_step.py --device cpu --model convnet-4x16-L3 --reps 20
  python3 scripts/bench_torch_step.py --device cuda --reps 50
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLPCE(nn.Module):
    """m members of an MLP of width n and depth L on a shared input, mean of logits."""

    def __init__(self, din, m, n, depth, classes):
        super().__init__()
        self.m, self.n = m, n
        self.fc0 = nn.Linear(din, m * n)
        self.hidden_w = nn.ParameterList()
        self.hidden_b = nn.ParameterList()
        for _ in range(depth - 1):
            w = torch.empty(m, n, n)
            nn.init.kaiming_normal_(w.view(m * n, n))
            self.hidden_w.append(nn.Parameter(w))
            self.hidden_b.append(nn.Parameter(torch.zeros(m, 1, n)))
        self.readout_w = nn.Parameter(torch.randn(m, n, classes) / n ** 0.5)
        self.readout_b = nn.Parameter(torch.zeros(m, 1, classes))

    def forward(self, x):
        b = x.shape[0]
        h = F.relu(self.fc0(x.flatten(1)))  # (B, m·n)
        h = h.view(b, self.m, self.n).transpose(0, 1)  # (m, B, n)
        for w, bias in zip(self.hidden_w, self.hidden_b):
            h = F.relu(torch.baddbmm(bias, h, w))
        y = torch.baddbmm(self.readout_b, h, self.readout_w)  # (m, B, classes)
        return y.mean(0)


class ConvNetCE(nn.Module):
    """m members of a ConvNet of width n and depth L sharing a 3×3 stem, mean of logits."""

    def __init__(self, cin, m, n, depth, classes):
        super().__init__()
        self.m, self.n = m, n
        c = m * n
        self.convs = nn.ModuleList([nn.Conv2d(cin, c, 3, padding=1)])
        for _ in range(depth - 1):
            self.convs.append(nn.Conv2d(c, c, 3, stride=2, padding=1, groups=m))
        self.readout_w = nn.Parameter(torch.randn(m, n, classes) / n ** 0.5)
        self.readout_b = nn.Parameter(torch.zeros(m, 1, classes))

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        h = x.mean((2, 3)).view(x.shape[0], self.m, self.n).transpose(0, 1)  # (m, B, n)
        return torch.baddbmm(self.readout_b, h, self.readout_w).mean(0)


class Bottleneck(nn.Module):
    def __init__(self, cin, cout, stride, cardinality, d):
        super().__init__()
        self.conv_reduce = nn.Conv2d(cin, d, 1, bias=False)
        self.bn_reduce = nn.BatchNorm2d(d)
        self.conv_conv = nn.Conv2d(d, d, 3, stride=stride, padding=1, groups=cardinality, bias=False)
        self.bn = nn.BatchNorm2d(d)
        self.conv_expand = nn.Conv2d(d, cout, 1, bias=False)
        self.bn_expand = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if cin != cout or stride != 1:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn_reduce(self.conv_reduce(x)))
        h = F.relu(self.bn(self.conv_conv(h)))
        h = self.bn_expand(self.conv_expand(h))
        return F.relu(h + self.shortcut(x))


class ResNeXt29(nn.Module):
    def __init__(self, cardinality=8, width=64, widen=4, classes=10):
        super().__init__()
        self.conv_1_3x3 = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.bn_1 = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for i in range(3):
            f = 1 << i
            cout, d = 64 * widen * f, cardinality * width * f
            for k in range(3):
                blocks.append(Bottleneck(cin, cout, min(f, 2) if k == 0 else 1, cardinality, d))
                cin = cout
        self.stages = nn.Sequential(*blocks)
        self.classifier = nn.Linear(cin, classes)

    def forward(self, x):
        h = self.stages(F.relu(self.bn_1(self.conv_1_3x3(x))))
        return self.classifier(h.mean((2, 3)))



class ResNeXt50(nn.Module):
    """torchvision's resnext50_32x4d: 7×7 stride-2 stem, 3×3 max pool, four stages."""

    def __init__(self, cardinality=32, width=4, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for i, n in enumerate([3, 4, 6, 3]):
            planes = 64 << i
            for k in range(n):
                blocks.append(Bottleneck(cin, 4 * planes, min(1 << i, 2) if k == 0 else 1, cardinality,
                                         cardinality * (planes * width // 64)))
                cin = 4 * planes
        self.stages = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, stride=2, padding=1)
        return self.fc(self.stages(h).mean((2, 3)))


# CASES are (name, model, input shape, batch, classes) as in
# BenchmarkTrainStep (pkg/train/step_bench_test.go).
MNIST, CIFAR = (1, 28, 28), (3, 32, 32)
CASES = [
    ("mlp-4x128-L2", lambda: MLPCE(784, 4, 128, 2, 10), MNIST, 128, 10),
    ("convnet-4x16-L3", lambda: ConvNetCE(1, 4, 16, 3, 10), MNIST, 64, 10),
    ("convnet-16x32-L4", lambda: ConvNetCE(1, 16, 32, 4, 10), MNIST, 128, 10),
    ("resnext29-8x64d", lambda: ResNeXt29(8, 64), CIFAR, 8, 10),
    ("resnext29-4x16d-w1", lambda: ResNeXt29(4, 16, widen=1), CIFAR, 32, 10),
    ("resnext50-32x4d-64px", lambda: ResNeXt50(), (3, 64, 64), 16, 1000),
]
GPU_CASES = [("resnext29-8x64d", lambda: ResNeXt29(8, 64), CIFAR, 64, 10)]

def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def time_step(name, model, shape, batch, classes, dev, args):
    model = model.to(dev).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn((batch,) + shape, generator=gen).to(dev)
    y = torch.randint(0, classes, (batch,), generator=gen).to(dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(args.warmup):
        step()
    sync(dev)
    times, cpu = [], []
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        loss.item()  # Collegium reads every step's loss too (NaN check)
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    med = statistics.median(times)
    r = {"model": name, "batch": batch, "device": f"torch/{dev}", "params": sum(p.numel() for p in model.parameters()),
         "reps": args.reps, "median_ms": med, "min_ms": min(times), "max_ms": max(times),
         "cpu_ms": statistics.mean(cpu), "images_per_s": batch / (med / 1e3)}
    print(json.dumps(r), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--model", choices=["all"] + sorted({c[0] for c in CASES}), default="all")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    args = ap.parse_args()
    if args.list:
        print(" ".join(c[0] for c in CASES))
        return
    if args.reps < 1 or args.warmup < 0:
        sys.exit("bench_torch_step: --reps must be ≥ 1 and --warmup ≥ 0")
    dev = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    cases = CASES + (GPU_CASES if dev.type == "cuda" else [])
    for name, build, shape, batch, classes in cases:
        if args.model in ("all", name):
            time_step(name, build(), shape, batch, classes, dev, args)


if __name__ == "__main__":
    main()
