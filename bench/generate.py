"""Seeded synthetic benchmark files in the benchmark.toml format.

    python -m bench.generate --machines 100 --models 50 --frameworks 20 --seed 0 -o bench/out/big.toml

or from Python:

    from bench.generate import generate, write
    text = generate(machines=1, models=4, frameworks=7, seed=0)
    summary = write("bench/out/big.toml", 100, 50, 20, seed=0)

The layout is the one of data/benchmark.toml: one `[<machine>]` table per
machine with `[<machine>.host]`, one or two `[[<machine>.devices]]`, and
`[[<machine>.models]]` > `[[<machine>.models.frameworks]]` >
`[[<machine>.models.frameworks.libraries]]`, two spaces of indentation per
nesting level and a blank line between tables.

What the output holds:

* `machines` machines, keys `m0001-titan-x`, `m0002-k80`, ... (unique: the
  number is the machine's position), mostly type "GPU", about one in ten
  "CPU" (never the first one);
* the same `models` models on every machine: real names first ("Alexnet",
  "Overfeat", "VGG [A]", "GoogleNet", ...), with a few odd ones among them
  (quotes, backslashes, brackets, non-ASCII: `Réseau "β"`), then
  "Model 17 [C]"-style names once the list runs out; their canonical keys
  (ingest.document.model_key) are unique too;
* on each machine, the same `frameworks` framework entries under every model:
  distinct (name, version, libraries) stacks, grouped by framework and
  version; the same framework and version appears with different library
  versions (cuDNN 3 / cuDNN 4, ...), some entries have two libraries
  (cuDNN + cuBLAS, ...) and, from 4 entries on, at least one has none;
* forward and backward in milliseconds (integers, some floats with at most
  two decimals), backward 1.5 to 4 times forward; a "1750MB"-style memory on
  about 90% of the entries, always below the smallest device memory of the
  machine.

The same arguments and seed give byte-identical output (random.Random(seed)
for everything; one machine's numbers come from its own generator seeded from
the first one). Standard library only.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import tempfile
from typing import Iterator

__all__ = ["generate", "write", "main", "toml_string"]

# --------------------------------------------------------------------------
# catalogues

# Models: (name, forward ms on an Nvidia Titan X, memory MB with a typical framework).
# Odd names (quotes, backslashes, brackets, non-ASCII) sit among the real ones
# so that small files have some too.
MODELS: list[tuple[str, float, int]] = [
    ("Alexnet", 30, 1500),
    ("Overfeat", 100, 3500),
    ("VGG [A]", 180, 7000),
    ("GoogleNet", 140, 6000),
    ("ResNet-50", 110, 5000),
    ('Réseau "β"', 60, 2500),
    ("ResNet-101", 190, 7500),
    ("ResNet-152", 270, 9000),
    ("VGG [D]", 230, 8000),
    ("VGG [E]", 280, 8800),
    ("Inception-v3", 160, 6500),
    ("C:\\nets\\tiny [v2]", 10, 800),
    ("Inception-v4", 300, 9000),
    ("SqueezeNet 1.1", 15, 900),
    ("MobileNet", 20, 1200),
    ("DenseNet-121", 130, 6000),
    ("Network in Network", 40, 1400),
    ('LSTM "char-rnn" [ü]', 25, 2000),
    ("LeNet-5", 0.8, 300),
    ("Faster R-CNN", 350, 8000),
    ("YOLOv2", 60, 3000),
    ("SSD300", 90, 4000),
    ("U-Net", 150, 7000),
    ("DCGAN ☃ [64×64]", 35, 1800),
    ("Seq2Seq (attention)", 80, 4500),
    ("DeepSpeech 2", 300, 9000),
    ("WaveNet", 450, 5000),
    ("Transformer (base)", 120, 6000),
    ("ResNeXt-50 (32x4d)", 140, 6000),
    ("Inception \"v1\" \\ 'small'", 70, 2800),
    ("Xception", 170, 7000),
    ("CaffeNet", 28, 1450),
    ("ZFNet", 45, 2000),
    ("Wide ResNet-28-10", 210, 8500),
    ("Char-CNN «large»", 50, 2200),
]
MODEL_LETTERS = "ABCDE"

# Frameworks: name -> (versions oldest first, speed factor, memory factor, grabs nearly all GPU memory)
FRAMEWORKS: dict[str, tuple[list[str], float, float, bool]] = {
    "Torch": (["01/2016", "07/03/2016", "7.0", "11/2016"], 1.0, 0.95, False),
    "Caffe": (["rc2", "1.0.0-rc3", "1.0.0"], 1.25, 0.7, False),
    "Tensorflow": (["0.7", "0.7.1", "0.8", "0.9", "0.10", "0.12", "1.0.0"], 1.3, 1.0, True),
    "Leaf": (["0.2", "0.2.1"], 0.95, 1.0, False),
    "neon": (["1.2", "1.5.4", "1.8.1"], 0.85, 0.9, False),
    "Chainer": (["1.7.1", "1.8.0", "1.20.0"], 1.35, 1.05, False),
    "MXNet": (["0.7", "0.9.3"], 1.0, 0.75, False),
    "Theano": (["0.8", "0.8.2"], 1.4, 1.1, False),
    "CNTK": (["1.5", "2.0"], 1.05, 0.85, False),
    "Caffe2": (["0.7", "0.8.1"], 0.9, 0.7, False),
    "PyTorch": (["0.1.12", "0.2.0", "0.3.0"], 0.95, 0.9, False),
}

# Library stacks: (libraries, speed factor, kind) with kind "single", "double" or "none".
GPU_LIBS: list[tuple[tuple[tuple[str, str], ...], float, str]] = [
    ((("cuDNN", "3"),), 1.2, "single"),
    ((("cuDNN", "4"),), 1.0, "single"),
    ((("cuDNN", "5"),), 0.85, "single"),
    ((("cuDNN", "5.1"),), 0.8, "single"),
    ((("cuDNN", "6"),), 0.75, "single"),
    ((("cuDNN", "4"), ("cuBLAS", "7.5")), 0.97, "double"),
    ((("cuDNN", "5"), ("cuBLAS", "8.0")), 0.82, "double"),
    ((("cuDNN", "5.1"), ("cuBLAS", "8.0")), 0.78, "double"),
    ((("cuDNN", "6"), ("NCCL", "1.3")), 0.74, "double"),
    ((), 2.5, "none"),
]
CPU_LIBS: list[tuple[tuple[tuple[str, str], ...], float, str]] = [
    ((("MKL", "11.3"),), 1.3, "single"),
    ((("MKL", "2017"),), 1.1, "single"),
    ((("MKL", "2018"),), 1.0, "single"),
    ((("OpenBLAS", "0.2.18"),), 1.7, "single"),
    ((("OpenBLAS", "0.2.19"),), 1.6, "single"),
    ((("MKL", "2017"), ("MKL-DNN", "0.9")), 0.65, "double"),
    ((("MKL", "2018"), ("MKL-DNN", "0.12")), 0.55, "double"),
    ((("OpenBLAS", "0.2.19"), ("NNPACK", "2017.05")), 1.2, "double"),
    ((("MKL", "2018"), ("OpenMP", "4.5")), 0.95, "double"),
    ((), 3.0, "none"),
]
KIND_WEIGHT = {"single": 6, "double": 2, "none": 5}

# GPUs: (device name, key slug, memory GB, cores, bandwidth, speed factor vs Titan X)
GPUS: list[tuple[str, str, int, int, str, float]] = [
    ("Nvidia Titan X", "titan-x", 12, 3072, "336.5GB/s", 1.0),
    ("Nvidia Titan X (Pascal)", "titan-x-pascal", 12, 3584, "480GB/s", 0.7),
    ("Nvidia GeForce GTX 1080", "gtx-1080", 8, 2560, "320GB/s", 0.8),
    ("Nvidia GeForce GTX 1080 Ti", "gtx-1080-ti", 11, 3584, "484GB/s", 0.6),
    ("Nvidia GeForce GTX 980 Ti", "gtx-980-ti", 6, 2816, "336.5GB/s", 1.1),
    ("Nvidia Tesla K40", "k40", 12, 2880, "288GB/s", 1.7),
    ("Nvidia Tesla K80", "k80", 24, 4992, "480GB/s", 1.5),
    ("Nvidia Tesla M40", "m40", 24, 3072, "288GB/s", 1.05),
    ("Nvidia Tesla P100", "p100", 16, 3584, "732.2GB/s", 0.55),
    ("Nvidia Tesla V100", "v100", 16, 5120, "900GB/s", 0.35),
    ("Nvidia Quadro P6000", "quadro-p6000", 24, 3840, "432GB/s", 0.65),
]
GPU_WEIGHTS = [5, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1]

# CPUs (host and CPU-machine device): (name, short name, key slug, cores, cache, bandwidth)
CPUS: list[tuple[str, str, str, int, str, str]] = [
    ("Intel(R) Core(TM) i7-2600K CPU @ 3.40GHz", "Intel Core i7-2600K", "i7-2600k", 8, "8MB", "21GB/s"),
    ("Intel(R) Core(TM) i7-5930K CPU @ 3.50GHz", "Intel Core i7-5930K", "i7-5930k", 12, "15MB", "68GB/s"),
    ("Intel(R) Core(TM) i7-6700K CPU @ 4.00GHz", "Intel Core i7-6700K", "i7-6700k", 8, "8MB", "34.1GB/s"),
    ("Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz", "Intel Xeon E5-2630 v3", "xeon-e5-2630-v3", 16, "20MB", "59GB/s"),
    ("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "Intel Xeon E5-2680 v4", "xeon-e5-2680-v4", 28, "35MB", "76.8GB/s"),
    ("Intel(R) Xeon(R) CPU E5-2699 v4 @ 2.20GHz", "Intel Xeon E5-2699 v4", "xeon-e5-2699-v4", 44, "55MB", "76.8GB/s"),
    ("AMD Ryzen 7 1800X Eight-Core Processor", "AMD Ryzen 7 1800X", "ryzen-7-1800x", 16, "16MB", "42.7GB/s"),
]
OSES = ["linux/arch", "linux/ubuntu-14.04", "linux/ubuntu-16.04", "linux/centos-7", "linux/debian-8"]
RAMS = [8, 16, 32, 64, 128]

# --------------------------------------------------------------------------
# formatting

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string: backslash, double quote and control characters escaped."""
    out = []
    for ch in value:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _number(value: float, decimals: bool) -> str:
    """Milliseconds as an integer, or as a float with one or two decimals."""
    if not decimals:
        return str(max(1, int(round(value))))
    text = f"{max(0.01, value):.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


# --------------------------------------------------------------------------
# the synthetic world


def _model_catalogue(count: int, rng: random.Random) -> list[tuple[str, float, float]]:
    """(name, forward ms on a Titan X, memory MB) for `count` models."""
    out = []
    for i in range(count):
        if i < len(MODELS):
            name, ms, mb = MODELS[i]
            ms *= rng.uniform(0.9, 1.1)
            mb *= rng.uniform(0.9, 1.1)
        else:
            name = f"Model {i + 1} [{MODEL_LETTERS[i % len(MODEL_LETTERS)]}]"
            ms = math.exp(rng.uniform(math.log(3), math.log(400)))
            mb = min(9500.0, 300 + ms * rng.uniform(20, 45))
        out.append((name, ms, mb))
    return out


def _stacks(rng: random.Random) -> list[tuple[str, str, float, float, bool, float, bool]]:
    """Every (framework, version) with its global factors, in catalogue order:
    (name, version, speed, memory factor, greedy, backward ratio, decimals)."""
    out = []
    for name, (versions, speed, mem, greedy) in FRAMEWORKS.items():
        for k, version in enumerate(versions):
            newer = 1.0 - 0.04 * k  # later versions tend to be a little faster
            out.append((name, version, speed * newer * rng.uniform(0.85, 1.2), mem * rng.uniform(0.9, 1.1),
                        greedy, rng.uniform(1.8, 3.2), rng.random() < 0.3))
    return out


def _more_stacks(stacks: list, needed: int, rng: random.Random) -> list:
    """Make-believe later versions ("3.0.0", "3.1.0", ...) once the real ones run out."""
    stacks = list(stacks)
    names = list(FRAMEWORKS)
    j = 0
    while len(stacks) < needed:
        name = names[j % len(names)]
        n = j // len(names)
        _, speed, mem, greedy = FRAMEWORKS[name]
        stacks.append((name, f"{3 + n // 10}.{n % 10}.0", speed * rng.uniform(0.6, 1.0), mem * rng.uniform(0.9, 1.1),
                       greedy, rng.uniform(1.8, 3.2), rng.random() < 0.3))
        j += 1
    return stacks


def _pick_libs(pool, count: int, rng: random.Random, taken=()) -> list:
    """`count` distinct library stacks from `pool`, weighted by kind."""
    chosen = list(taken)
    weights = [KIND_WEIGHT[kind] for _, _, kind in pool]
    while len(chosen) < len(taken) + count:
        lib = rng.choices(pool, weights)[0]
        if lib not in chosen:
            chosen.append(lib)
    return chosen[len(taken):]


def _framework_entries(f: int, gpu: bool, stacks: list, rng: random.Random) -> list[tuple[tuple, tuple]]:
    """The F (stack, libraries) entries of one machine: groups of one to three
    entries of the same framework and version with different libraries."""
    if f <= 0:
        return []
    pool = GPU_LIBS if gpu else CPU_LIBS
    sizes = [min(2, f)]
    while sum(sizes) < f:
        sizes.append(min(rng.choice((1, 1, 2, 2, 2, 3)), f - sum(sizes)))
    rng.shuffle(sizes)
    order = sorted(rng.sample(range(len(stacks)), len(sizes)))
    mixed = next(g for g, s in enumerate(sizes) if s == min(2, f))  # same stack, different library versions
    groups = []
    for g, (size, index) in enumerate(zip(sizes, order)):
        if g == mixed and size >= 2:
            singles = [lib for lib in pool if lib[2] == "single"]
            libs = rng.sample(singles, 2)
            libs += _pick_libs(pool, size - 2, rng, libs)
        else:
            libs = _pick_libs(pool, size, rng)
        groups.append((stacks[index], libs))
    # from 4 entries on, at least one with two libraries and one with none
    if f >= 4:
        for kind in ("none", "double"):
            if any(lib[2] == kind for _, libs in groups for lib in libs):
                continue
            counts = {}
            for _, libs in groups:
                for lib in libs:
                    counts[lib[2]] = counts.get(lib[2], 0) + 1
            spots = [(g, k) for g, (_, libs) in enumerate(groups) if g != mixed
                     for k, lib in enumerate(libs) if lib[2] == "single" or counts[lib[2]] > 1]
            g, k = spots[rng.randrange(len(spots))]
            libs = groups[g][1]
            options = [lib for lib in pool if lib[2] == kind and lib not in libs]
            libs[k] = options[rng.randrange(len(options))]
    return [(stack, lib) for stack, libs in groups for lib in libs]


def _machine(i: int, rng: random.Random) -> dict:
    """One machine's name, key, host and devices."""
    cpu_name, cpu_short, cpu_slug, cores, cache, cpu_bw = CPUS[rng.randrange(len(CPUS))]
    host = {"os": rng.choice(OSES), "cpu": cpu_name, "cores": str(cores), "cache": cache}
    gpu = i == 0 or rng.random() >= 0.1
    if gpu:
        first = rng.choices(range(len(GPUS)), GPU_WEIGHTS)[0]
        picks = [first]
        if rng.random() < 0.2:  # a second, different card
            picks.append(rng.choices(range(len(GPUS)), GPU_WEIGHTS)[0])
            if picks[1] == first:
                picks.pop()
        devices = []
        for p in picks:
            name, slug, gb, dcores, bw, _ = GPUS[p]
            quantity = rng.choices((1, 2, 4, 8), (14, 4, 2, 1))[0]
            devices.append({"name": name, "memory": f"{gb}GB", "cores": str(dcores),
                            "memory_bandwith": bw, "quantity": quantity})
        name, slug, _, _, _, speed = GPUS[first]
        speed *= rng.uniform(0.95, 1.05)
        device_mb = min(GPUS[p][2] for p in picks) * 1000
        host["ram"] = f"{rng.choice(RAMS)}GB"
    else:
        sockets = rng.choice((1, 1, 2)) if "Xeon" in cpu_short else 1  # only Xeons come in pairs
        ram = rng.choice(RAMS[2:])
        devices = [{"name": cpu_short, "memory": f"{ram}GB", "cores": str(cores // 2 if cores > 8 else cores),
                    "memory_bandwith": cpu_bw, "quantity": sockets}]
        name, slug = cpu_short, cpu_slug
        speed = rng.uniform(12, 30) / sockets
        device_mb = ram * 1000
        host["ram"] = f"{ram}GB"
    label = f"{name} #{i + 1}"
    if rng.random() < 0.05:  # a few names that need escaping
        label = rng.choice((f'{name} "lab-β" #{i + 1}', f"{name} \\rack{i % 7}\\node{i + 1}"))
    return {"key": f"m{i + 1:04d}-{slug}", "name": label, "type": "GPU" if gpu else "CPU", "host": host,
            "devices": devices, "gpu": gpu, "speed": speed, "device_mb": device_mb}


def _machine_text(m: dict, models: list, f: int, stacks: list, rng: random.Random) -> str:
    """The text of one machine, from its blank line before `[key]` to its last line."""
    key = m["key"]
    out = [f"\n[{key}]\n  name = {toml_string(m['name'])}\n  type = {toml_string(m['type'])}\n",
           f"\n  [{key}.host]\n"]
    out += [f"    {k} = {toml_string(v)}\n" for k, v in m["host"].items()]
    for d in m["devices"]:
        out.append(f"\n  [[{key}.devices]]\n")
        out += [f"    {k} = {v}\n" if isinstance(v, int) else f"    {k} = {toml_string(v)}\n" for k, v in d.items()]
    entries = _framework_entries(f, m["gpu"], stacks, rng)
    # per entry: header text, library text, speed, memory factor, greedy, backward ratio, decimals
    prepared = []
    fw_header = f"\n    [[{key}.models.frameworks]]\n"
    lib_header = f"\n      [[{key}.models.frameworks.libraries]]\n"
    for (name, version, speed, mem, greedy, ratio, decimals), (libs, lib_speed, _) in entries:
        head = f"{fw_header}      name = {toml_string(name)}\n      version = {toml_string(version)}\n"
        tail = "".join(f"{lib_header}        name = {toml_string(ln)}\n        version = {toml_string(lv)}\n"
                       for ln, lv in libs)
        prepared.append((head, tail, m["speed"] * speed * lib_speed * rng.uniform(0.9, 1.1),
                         mem, greedy, ratio * rng.uniform(0.9, 1.1), decimals or rng.random() < 0.1))
    cap = m["device_mb"] * 0.97  # memory stays below the smallest device's memory
    gauss, uniform, random_ = rng.gauss, rng.uniform, rng.random
    model_header = f"\n  [[{key}.models]]\n"
    for mname, base_ms, base_mb in models:
        out.append(f"{model_header}    name = {toml_string(mname)}\n    type = \"model\"\n"
                   f"    details = \"...link...\"\n")
        for head, tail, factor, mem, greedy, ratio, decimals in prepared:
            forward = base_ms * factor * math.exp(gauss(0, 0.08))
            fwd = _number(forward, decimals)
            ratio = min(3.9, max(1.6, ratio * math.exp(gauss(0, 0.05))))
            bwd = _number(float(fwd) * ratio, decimals)
            out.append(head)
            out.append(f"      forward = {fwd}\n      backward = {bwd}\n")
            if random_() < 0.9:
                mb = m["device_mb"] * uniform(0.9, 0.96) if greedy and m["gpu"] else base_mb * mem * uniform(0.9, 1.1)
                mb = max(10, int(min(mb, cap)) // 10 * 10)
                out.append(f"      memory = \"{mb}MB\"\n")
            out.append(tail)
    return "".join(out)


def _check(machines: int, models: int, frameworks: int, seed: int) -> None:
    for name, value in (("machines", machines), ("models", models), ("frameworks", frameworks), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an integer, got {value!r}")
        if name != "seed" and value < 0:
            raise ValueError(f"{name} must be at least 0, got {value}")


def _chunks(machines: int, models: int, frameworks: int, seed: int) -> Iterator[str]:
    """The file's text: a header comment, then one string per machine."""
    _check(machines, models, frameworks, seed)
    rng = random.Random(seed)
    model_list = _model_catalogue(models, rng)
    stacks = _more_stacks(_stacks(rng), frameworks, rng)  # enough (framework, version) pairs for any F
    yield ("# Synthetic benchmarks in the benchmark.toml format, made by bench/generate.py\n"
           f"# (machines={machines}, models={models}, frameworks={frameworks}, seed={seed}).\n")
    for i in range(machines):
        mrng = random.Random(rng.getrandbits(64))
        yield _machine_text(_machine(i, mrng), model_list, frameworks, stacks, mrng)


def generate(machines: int, models: int, frameworks: int, seed: int = 0) -> str:
    """The TOML text of `machines` machines, each with the same `models` models
    and `frameworks` framework entries per model (machines*models*frameworks runs)."""
    return "".join(_chunks(machines, models, frameworks, seed))


def write(path, machines: int, models: int, frameworks: int, seed: int = 0) -> dict:
    """Write generate(...)'s text to `path` (UTF-8, machine by machine, through a
    temporary file renamed into place) and return a summary."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.tmp-", dir=folder)
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in _chunks(machines, models, frameworks, seed):
                data = chunk.encode("utf-8")
                fh.write(data)
                size += len(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return {"path": path, "bytes": size, "runs": machines * models * frameworks,
            "machines": machines, "models": models}


_TIMING = re.compile(r"^(\s*)forward = (\S+)\n\s*backward = (\S+)\n$")


def add_samples(src, dst, samples: int, seed: int = 0) -> dict:
    """Copy the generated file `src` to `dst` with `samples` raw samples on every framework entry
    (`forward_samples`, `backward_samples`): the entry's own number first, then that number times
    exp(N(0, 0.02)), rounded to 0.01 ms. A different `seed` gives other noise on the same runs, for
    two states of one warehouse. Returns a summary (bytes written, samples per metric)."""
    rng = random.Random(seed)
    gauss = rng.gauss
    written, entries = 0, 0
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        pending = None
        for line in fin:
            if pending is not None:
                m = _TIMING.match(pending + line)
                pending = None
                if m:
                    indent, fwd, bwd = m.group(1), float(m.group(2)), float(m.group(3))
                    fs = [fwd] + [round(fwd * math.exp(gauss(0, 0.02)), 2) or 0.01 for _ in range(samples - 1)]
                    bs = [bwd] + [round(bwd * math.exp(gauss(0, 0.02)), 2) or 0.01 for _ in range(samples - 1)]
                    line += (f"{indent}forward_samples = [{', '.join(map(repr, fs))}]\n"
                             f"{indent}backward_samples = [{', '.join(map(repr, bs))}]\n")
                    entries += 1
            elif line.lstrip().startswith("forward = "):
                pending = line
            fout.write(line)
            written += len(line)
    return {"path": os.fspath(dst), "entries": entries, "samples_per_metric": entries * samples}


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {value}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Write a synthetic benchmark file in the benchmark.toml format "
                    "(machines x models x frameworks runs; the same arguments give the same bytes).")
    parser.add_argument("--machines", type=_count, required=True, help="number of machines")
    parser.add_argument("--models", type=_count, required=True, help="models per machine (the same on every machine)")
    parser.add_argument("--frameworks", type=_count, required=True, help="framework entries per model")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    args = parser.parse_args(argv)
    try:
        summary = write(args.output, args.machines, args.models, args.frameworks, args.seed)
    except OSError as e:
        print(f"error: cannot write {args.output}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
