#!/usr/bin/env python3
"""Time the cases of `collegium bench` with PyTorch, the peer to beat.

Prints one JSON object per line per (case, pass) with the same keys as
`collegium bench --format json` (case, op, device, pass, median_ms, min_ms,
max_ms, gflops, gbps, verified, ...), so that scripts/compare.sh can join the
two. Cases, presets, FLOP and byte accounting, adaptive timing and the sampled
float64 check mirror pkg/bench (keep the presets in step with preset.go).

Layouts are PyTorch's best: block-diagonal matmuls run as torch.bmm over
(m, B, n) activations, dense ones as torch.mm; convs as F.conv2d and
aten.convolution_backward (what autograd calls). TF32 is off on CUDA so that
both sides compute in float32.

  python3 scripts/bench_torch.py --device cpu --preset ce-cpu
  python3 scripts/bench_torch.py --device cuda --case gconv:N=32,C=370,H=32,g=37 --pass all

On Debian, PyTorch is `apt-get install -y python3-torch libopenblas0-pthread`
(use /usr/bin/python3); without OpenBLAS its matmuls run on the reference BLAS.
"""

import argparse
import json
import math
import os
import random
import re
import statistics
import sys
import time

import torch
import torch.nn.functional as F

MATMUL_KEYS = {"B": True, "m": False, "n": True}
CONV_KEYS = {"N": True, "C": True, "H": True, "W": False, "g": False, "k": False, "s": False}
PASSES = ["fwd", "bwd_data", "bwd_weight", "fwd+bwd"]


class Case:
    """One layer shape, as bench.Case: channels = groups·per_group."""

    def __init__(self, op, batch, channels, groups, h=0, w=0, kernel=0, stride=0):
        self.op, self.batch, self.channels, self.groups = op, batch, channels, groups
        self.h, self.w, self.kernel, self.stride = h, w, kernel, stride
        self.validate()

    @property
    def is_conv(self):
        return self.op in ("conv", "gconv")

    @property
    def per_group(self):
        return self.channels // self.groups

    @property
    def out_hw(self):
        pad = self.kernel // 2
        return ((self.h + 2 * pad - self.kernel) // self.stride + 1,
                (self.w + 2 * pad - self.kernel) // self.stride + 1)

    def validate(self):
        if min(self.batch, self.channels, self.groups) <= 0:
            raise ValueError("batch, channels and groups must be positive")
        if self.channels % self.groups:
            raise ValueError(f"{self.channels} channels not divisible by {self.groups} groups")
        if self.op in ("dense", "conv") and self.groups != 1:
            raise ValueError(f"{self.op} has one group, not {self.groups} (use blockdiag or gconv)")
        if self.is_conv and (min(self.h, self.w, self.kernel, self.stride) <= 0 or min(self.out_hw) <= 0):
            raise ValueError("conv sizes must be positive")

    def name(self):
        if self.op == "blockdiag":
            return f"blockdiag-B{self.batch}-m{self.groups}-n{self.per_group}"
        if self.op == "dense":
            return f"dense-B{self.batch}-{self.channels}"
        s = f"{self.op}-N{self.batch}-C{self.channels}-H{self.h}-g{self.groups}"
        if self.w != self.h:
            s += f"-W{self.w}"
        if self.kernel != 3:
            s += f"-k{self.kernel}"
        if self.stride != 1:
            s += f"-s{self.stride}"
        return s

    def sizes(self):
        if self.is_conv:
            oh, ow = self.out_hw
            return (self.batch * self.channels * self.h * self.w,
                    self.channels * self.per_group * self.kernel ** 2,
                    self.batch * self.channels * oh * ow)
        return self.batch * self.channels, self.channels * self.per_group, self.batch * self.channels

    def flops(self, p):
        macs = self.sizes()[2] * self.per_group * (self.kernel ** 2 if self.is_conv else 1)
        return (3 if p == "fwd+bwd" else 1) * 2 * macs

    def bytes(self, p):
        return (3 if p == "fwd+bwd" else 1) * 4 * sum(self.sizes())

    def equivalents(self):
        if self.groups == 1:
            return []
        op = "conv" if self.is_conv else "dense"
        same = max(1, round(self.channels / math.sqrt(self.groups)))
        return [Case(op, self.batch, c, 1, self.h, self.w, self.kernel, self.stride) for c in (self.channels, same)]


def parse_case(s):
    """Parse "op:key=value,..." or a case name, as bench.ParseCase."""
    s = s.strip()
    try:
        if ":" in s:
            op, tail = s.split(":", 1)
            fields = []
            for f in tail.split(","):
                if "=" not in f:
                    raise ValueError(f"field {f!r} is not key=value")
                k, v = f.split("=", 1)
                fields.append((k.strip(), v.strip()))
        else:
            op, *parts = s.split("-")
            fields = []
            for f in parts:
                m = re.fullmatch(r"([A-Za-z]*)(.*)", f.strip())
                k = m.group(1) or ("n" if op == "dense" else "")
                if not k:
                    raise ValueError(f"field {f!r} has no key")
                fields.append((k, m.group(2)))
        if op not in ("blockdiag", "dense", "gconv", "conv"):
            raise ValueError(f"unknown op {op!r} (want blockdiag, dense, gconv or conv)")
        is_conv = op in ("gconv", "conv")
        keys = CONV_KEYS if is_conv else MATMUL_KEYS
        vals = {}
        for k, v in fields:
            if k not in keys:
                raise ValueError(f"unknown key {k!r} for {op} (keys: {', '.join(keys)})")
            if k in vals:
                raise ValueError(f"{k} given twice")
            if not v.isdigit() or int(v) <= 0:
                raise ValueError(f"{k}={v!r} is not a positive integer")
            vals[k] = int(v)
        for k, required in keys.items():
            if required and k not in vals:
                raise ValueError(f"missing {k}")
        group_key = "g" if is_conv else "m"
        if op in ("gconv", "blockdiag") and group_key not in vals:
            raise ValueError(f"{op} needs its number of groups {group_key}")
        if is_conv:
            return Case(op, vals["N"], vals["C"], vals.get("g", 1), vals["H"], vals.get("W", vals["H"]),
                        vals.get("k", 3), vals.get("s", 1))
        m = vals.get("m", 1)
        return Case(op, vals["B"], m * vals["n"], m)
    except ValueError as e:
        raise ValueError(f"case {s!r}: {e}") from None


def with_equivalents(cases):
    out, seen = [], set()
    for c in cases:
        for d in [c] + c.equivalents():
            if d.name() not in seen:
                seen.add(d.name())
                out.append(d)
    return out


def conv_case(n, c, h, g):
    return Case("gconv" if g > 1 else "conv", n, c, g, h, h, 3, 1)


def resnext_stages(batch, sizes, widths):
    return [conv_case(batch, card * w << s, h, card) for card, w in widths for s, h in enumerate(sizes)]


def presets():
    """The presets of pkg/bench/preset.go: name → (cases, passes)."""
    ce_cpu = [Case("blockdiag", 128, 1024, 16), Case("blockdiag", 128, 1024, 64), Case("dense", 128, 1024, 1),
              conv_case(32, 370, 32, 37), conv_case(32, 192, 32, 3), conv_case(32, 128, 32, 1),
              conv_case(32, 120, 56, 12), conv_case(32, 128, 56, 32)]
    sweep = [conv_case(32, m * round(128 / math.sqrt(m)), 16, m) for m in (1, 4, 16, 64, 256)]
    return {
        "ce-cpu": (ce_cpu, ["fwd+bwd"]),
        "resnext29": (with_equivalents(resnext_stages(32, [32, 16, 8], [(1, 128), (3, 64), (8, 64)])) + sweep, PASSES),
        "resnext50": (with_equivalents(resnext_stages(32, [56, 28, 14, 7], [(1, 64), (32, 4)])), PASSES),
    }


class Layer:
    """A case's tensors on a device and its three products."""

    def __init__(self, case, dev, gen):
        self.c, self.dev = case, dev
        rand = lambda *shape: (torch.rand(*shape, generator=gen) * 2 - 1).to(dev)
        b, m, n = case.batch, case.groups, case.per_group
        if case.is_conv:
            oh, ow = case.out_hw
            self.x = rand(b, case.channels, case.h, case.w)
            self.wt = rand(case.channels, n, case.kernel, case.kernel)
            self.dy = rand(b, case.channels, oh, ow)
        elif m == 1:
            self.x, self.wt, self.dy = rand(b, n), rand(n, n), rand(b, n)
        else:
            self.x, self.wt, self.dy = rand(m, b, n), rand(m, n, n), rand(m, b, n)
        self.out = {}

    def conv_backward(self, mask):
        c, pad = self.c, self.c.kernel // 2
        return torch.ops.aten.convolution_backward(
            self.dy, self.x, self.wt, None, [c.stride] * 2, [pad] * 2, [1, 1], False, [0, 0], c.groups, mask)

    def run(self, p):
        c = self.c
        if c.is_conv:
            pad = c.kernel // 2
            if p in ("fwd", "fwd+bwd"):
                self.out["fwd"] = F.conv2d(self.x, self.wt, stride=c.stride, padding=pad, groups=c.groups)
            if p == "bwd_data":
                self.out["bwd_data"] = self.conv_backward([True, False, False])[0]
            elif p == "bwd_weight":
                self.out["bwd_weight"] = self.conv_backward([False, True, False])[1]
            elif p == "fwd+bwd":
                dx, dw, _ = self.conv_backward([True, True, False])
                self.out["bwd_data"], self.out["bwd_weight"] = dx, dw
            return
        mm, t = (torch.mm, lambda a: a.t()) if c.groups == 1 else (torch.bmm, lambda a: a.transpose(1, 2))
        if p in ("fwd", "fwd+bwd"):
            self.out["fwd"] = mm(self.x, self.wt)
        if p in ("bwd_data", "fwd+bwd"):
            self.out["bwd_data"] = mm(self.dy, t(self.wt))
        if p in ("bwd_weight", "fwd+bwd"):
            self.out["bwd_weight"] = mm(t(self.x), self.dy)

    def reference(self, q, idx):
        """float64 value of element idx of product q's output and Σ|terms|."""
        c = self.c
        if not c.is_conv:
            x, w, dy = self.x.reshape(-1, c.batch, c.per_group), self.wt.reshape(-1, c.per_group, c.per_group), \
                self.dy.reshape(-1, c.batch, c.per_group)
            if q == "fwd":
                k, b, j = _unravel(idx, (c.groups, c.batch, c.per_group))
                terms = x[k, b, :].double() * w[k, :, j].double()
            elif q == "bwd_data":
                k, b, i = _unravel(idx, (c.groups, c.batch, c.per_group))
                terms = dy[k, b, :].double() * w[k, i, :].double()
            else:
                k, i, j = _unravel(idx, (c.groups, c.per_group, c.per_group))
                terms = x[k, :, i].double() * dy[k, :, j].double()
            return terms.sum().item(), terms.abs().sum().item()
        n, s, kk, pad = c.per_group, c.stride, c.kernel, c.kernel // 2
        oh, ow = c.out_hw
        if q == "fwd":
            b, o, h, w = _unravel(idx, (c.batch, c.channels, oh, ow))
            g0 = o // n * n
            xp = F.pad(self.x[b, g0:g0 + n].double(), (pad, pad, pad, pad))
            win = xp[:, h * s:h * s + kk, w * s:w * s + kk]
            terms = win * self.wt[o].double()
        elif q == "bwd_data":
            b, ch, h, w = _unravel(idx, (c.batch, c.channels, c.h, c.w))
            g0, parts = ch // n * n, []
            for kh in range(kk):
                for kw in range(kk):
                    th, tw = h + pad - kh, w + pad - kw
                    if th < 0 or tw < 0 or th % s or tw % s or th // s >= oh or tw // s >= ow:
                        continue
                    parts.append(self.dy[b, g0:g0 + n, th // s, tw // s].double() * self.wt[g0:g0 + n, ch % n, kh, kw].double())
            terms = torch.cat(parts) if parts else torch.zeros(1, dtype=torch.float64)
        else:
            o, ci, kh, kw = _unravel(idx, (c.channels, n, kk, kk))
            ch = o // n * n + ci
            xp = F.pad(self.x[:, ch].double(), (pad, pad, pad, pad))
            win = xp[:, kh:kh + (oh - 1) * s + 1:s, kw:kw + (ow - 1) * s + 1:s]
            terms = win * self.dy[:, o].double()
        return terms.sum().item(), terms.abs().sum().item()

    def verify(self, p, samples, tol, rng):
        max_rel = 0.0
        for q in (["fwd", "bwd_data", "bwd_weight"] if p == "fwd+bwd" else [p]):
            got = self.out[q].detach().reshape(-1).cpu()
            total = got.numel()
            idx = range(total) if total <= samples else [0, total - 1] + [rng.randrange(total) for _ in range(samples - 2)]
            for i in idx:
                want, scale = self.reference(q, i)
                diff = abs(got[i].item() - want)
                if not diff <= tol * scale:
                    raise ValueError(f"{self.c.name()}: {q} output element {i} is {got[i].item():g}, want {want:g}")
                if scale > 0:
                    max_rel = max(max_rel, diff / scale)
        return max_rel


def _unravel(idx, shape):
    out = []
    for d in reversed(shape):
        out.append(idx % d)
        idx //= d
    return tuple(reversed(out))


def warn_reference_blas():
    """Warn when torch's CPU matmuls run on the reference BLAS (Debian's
    python3-torch without an optimized libblas.so.3, ~15× slower)."""
    torch.mm(torch.ones(2, 2), torch.ones(2, 2))
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return
    if "libblas.so" in maps and not any(k in maps for k in ("openblas", "mkl", "blis")):
        print("bench_torch: WARNING: PyTorch runs on the reference BLAS; on Debian install libopenblas0-pthread",
              file=sys.stderr)


def duration(s):
    """Seconds from a float or a Go-style duration such as 500ms or 1.5s."""
    m = re.fullmatch(r"([0-9.]+)(ms|s|m)?", s.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"duration {s!r}: want seconds or e.g. 500ms, 2s")
    return float(m.group(1)) * {"ms": 1e-3, "s": 1.0, "m": 60.0, None: 1.0}[m.group(2)]


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def measure(fn, dev, args):
    last = 0.0
    for _ in range(max(args.warmup, 1)):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        last = time.perf_counter() - t0
    reps = args.max_reps if last <= 0 else min(int(args.target / last) + 1, args.max_reps)
    reps = max(reps, args.min_reps)
    times = []
    for _ in range(reps):
        if dev.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return reps, statistics.median(times), min(times), max(times)


def run_case(case, passes, dev, args, gen, rng):
    layer = Layer(case, dev, gen)
    device_name = f"torch/{dev}"
    for p in passes:
        r = {"case": case.name(), "op": case.op, "device": device_name, "pass": p, "groups": case.groups,
             "per_group": case.per_group, "params": case.sizes()[1], "flops": case.flops(p),
             "bytes": case.bytes(p), "verified": False, "max_rel_err": 0.0}
        try:
            layer.out = {}
            with torch.no_grad():
                reps, med, lo, hi = measure(lambda: layer.run(p), dev, args)
                r["max_rel_err"] = layer.verify(p, args.samples, args.tol, rng)
            sec = med / 1e3
            r.update(verified=True, reps=reps, median_ms=med, min_ms=lo, max_ms=hi,
                     gflops=r["flops"] / sec / 1e9, gbps=r["bytes"] / sec / 1e9)
            if args.peak_gflops > 0:
                r["peak_frac"] = r["gflops"] / args.peak_gflops
        except (RuntimeError, ValueError) as e:
            r["error"] = str(e)
        print(json.dumps(r), flush=True)
        yield r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--preset", help="ce-cpu, resnext29 or resnext50")
    ap.add_argument("--case", action="append", default=[], help="a case, as for collegium bench (repeatable)")
    ap.add_argument("--no-equivalents", dest="equivalents", action="store_false",
                    help="do not add the dense equivalents of grouped --case cases")
    ap.add_argument("--pass", dest="passes", default="", help="fwd,bwd_data,bwd_weight,fwd+bwd or all")
    ap.add_argument("--target", type=duration, default=0.5, help="time of runs per pass: seconds or 500ms, 1s, ...")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-reps", type=int, default=3)
    ap.add_argument("--max-reps", type=int, default=200)
    ap.add_argument("--samples", type=int, default=64, help="output elements checked per output")
    ap.add_argument("--tol", type=float, default=1e-4, help="allowed error relative to Σ|terms|")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="CPU threads (torch.set_num_threads)")
    ap.add_argument("--peak-gflops", type=float, default=0, help="peak GFLOP/s for peak_frac")
    args = ap.parse_args()

    try:
        cases, passes = [], PASSES
        if args.preset:
            table = presets()
            if args.preset not in table:
                raise ValueError(f"unknown preset {args.preset!r} (want one of {', '.join(sorted(table))})")
            cases, passes = list(table[args.preset][0]), table[args.preset][1]
        given = [parse_case(s) for s in args.case]
        cases += with_equivalents(given) if args.equivalents else given
        if args.passes:
            passes = PASSES if args.passes == "all" else [p.strip() for p in args.passes.split(",")]
            bad = [p for p in passes if p not in PASSES]
            if bad:
                raise ValueError(f"unknown pass {bad[0]!r} (want fwd, bwd_data, bwd_weight, fwd+bwd or all)")
        if not cases:
            raise ValueError("nothing to run: give --preset or --case")
    except ValueError as e:
        sys.exit(f"bench_torch: {e}")

    dev = torch.device(args.device)
    torch.set_num_threads(args.threads)
    if dev.type == "cpu":
        warn_reference_blas()
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    gen = torch.Generator().manual_seed(args.seed)
    rng = random.Random(args.seed)
    failed = [r for c in cases for r in run_case(c, passes, dev, args, gen, rng) if not r["verified"]]
    if failed:
        sys.exit(f"bench_torch: {len(failed)} results not verified: "
                 + ", ".join(f"{r['case']} {r['pass']}" for r in failed))


if __name__ == "__main__":
    main()
