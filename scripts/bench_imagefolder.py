#!/usr/bin/python3
"""The peer of BenchmarkImageLoader (datasets/imageloader_bench_test.go):
torchvision's ImageFolder and DataLoader with the same transform — PIL JPEG
decode, RandomResizedCrop(224), RandomHorizontalFlip, ColorJitter(0.4, 0.4,
0.4) (torchvision has no lighting noise), ToTensor, Normalize — batches of
32, 2 worker processes, over the tree the Go benchmark writes to
$COLLEGIUM_BENCH_IMAGES. Prints images/s over BATCHES batches after one
warm-up batch.

Usage: /usr/bin/python3 scripts/bench_imagefolder.py DIR [BATCHES] [WORKERS]
"""
import sys
import time

import torch
from torchvision import datasets, transforms


def main():
    root = sys.argv[1] + "/train"
    batches = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(1)
    tf = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(0.4, 0.4, 0.4),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    ds = datasets.ImageFolder(root, tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True, num_workers=workers,
                                         drop_last=True, persistent_workers=True)
    it = iter(loader)
    next(it)
    start, n = time.perf_counter(), 0
    while n < batches:
        try:
            x, _ = next(it)
        except StopIteration:
            it = iter(loader)
            continue
        n += 1
    s = time.perf_counter() - start
    print(f"torchvision ImageFolder+DataLoader, {workers} workers: {32 * batches / s:.1f} images/s ({batches} batches)")


if __name__ == "__main__":
    main()
