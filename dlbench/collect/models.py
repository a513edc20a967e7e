"""The four ImageNet winners of soumith/convnet-benchmarks, described once.

Each model is a tuple of framework-neutral layer specs (the dataclasses below);
every adapter builds its own model from the same specs, so the layers are
defined here and nowhere else. Sources, in soumith/convnet-benchmarks:

* ``torch7/imagenet_winners/alexnet.lua``  -- AlexNet, "One weird trick" form
* ``torch7/imagenet_winners/overfeat.lua`` -- Overfeat [fast]
* ``torch7/imagenet_winners/vgg_a.lua``    -- VGG model A (OxfordNet)
* ``torch7/imagenet_winners/googlenet.lua``-- GoogLeNet v1 (no LRN, no auxiliary heads)

What the lua files do and this module keeps: convolutions with bias, pooling
in floor mode (torch7's default), ``nn.Threshold(0, 1e-6)`` after the hidden
fully connected layers (``Threshold`` here), no dropout, no LRN and no
softmax (all commented out in the lua). Memory layout is NCHW.

Batch sizes and inputs are the published ones (benchmark.lua's models return
them): AlexNet 128x3x224x224, Overfeat 128x3x231x231, VGG-A 64x3x224x224,
GoogLeNet 128x3x224x224. On a CPU those take minutes per iteration, so
``ModelSpec.cpu_batch_size`` is a smaller default there; the batch size used
is always written to the output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import UnknownModel


@dataclass(frozen=True)
class Conv:
    """2-D convolution with bias (nn.SpatialConvolution(in, out, k, k, s, s, p, p))."""
    in_channels: int
    out_channels: int
    kernel: int
    stride: int = 1
    pad: int = 0


@dataclass(frozen=True)
class MaxPool:
    """Max pooling, floor mode (nn.SpatialMaxPooling(k, k, s, s, p, p))."""
    kernel: int
    stride: int
    pad: int = 0


@dataclass(frozen=True)
class AvgPool:
    """Average pooling without padding (nn.SpatialAveragePooling(k, k, s, s))."""
    kernel: int
    stride: int


@dataclass(frozen=True)
class ReLU:
    """max(x, 0)."""


@dataclass(frozen=True)
class Threshold:
    """nn.Threshold(threshold, value): x if x > threshold else value."""
    threshold: float = 0.0
    value: float = 1e-6


@dataclass(frozen=True)
class Flatten:
    """nn.View(C*H*W): (N, C, H, W) -> (N, C*H*W)."""


@dataclass(frozen=True)
class Linear:
    """Fully connected layer with bias (nn.Linear(in, out))."""
    in_features: int
    out_features: int


@dataclass(frozen=True)
class Concat:
    """nn.Concat(2): run each branch (a tuple of layers) on the same input, join on channels."""
    branches: tuple


Layer = Union[Conv, MaxPool, AvgPool, ReLU, Threshold, Flatten, Linear, Concat]


@dataclass(frozen=True)
class ModelSpec:
    key: str  # the identifier on the command line: alexnet, overfeat, vgg_a, googlenet
    name: str  # the name written to the TOML, as data/convnet-benchmarks.toml spells it
    layers: tuple
    input_shape: tuple  # (C, H, W)
    batch_size: int  # the published batch size
    cpu_batch_size: int  # the default on a CPU, where the published one takes minutes per iteration
    parameter_count: int  # derived by hand from the lua file; see the comment at each model
    source: str  # the lua file it follows

    @property
    def input_text(self) -> str:
        return "x".join(str(d) for d in self.input_shape)


def _inception(in_ch: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool_k: int, pool_proj: int) -> Concat:
    """googlenet.lua's inception(): 1x1 | 1x1->3x3 | 1x1->5x5 | maxpool(k, stride 1, pad 1)->1x1."""
    return Concat((
        (Conv(in_ch, c1, 1), ReLU()),
        (Conv(in_ch, c3r, 1), ReLU(), Conv(c3r, c3, 3, 1, 1), ReLU()),
        (Conv(in_ch, c5r, 1), ReLU(), Conv(c5r, c5, 5, 1, 2), ReLU()),
        (MaxPool(pool_k, 1, 1), Conv(in_ch, pool_proj, 1), ReLU()),
    ))


ALEXNET = ModelSpec(
    key="alexnet", name="AlexNet", source="torch7/imagenet_winners/alexnet.lua",
    input_shape=(3, 224, 224), batch_size=128, cpu_batch_size=16,
    layers=(
        Conv(3, 64, 11, 4, 2), ReLU(), MaxPool(3, 2),  # 224 -> 55 -> 27
        Conv(64, 192, 5, 1, 2), ReLU(), MaxPool(3, 2),  # 27 -> 27 -> 13
        Conv(192, 384, 3, 1, 1), ReLU(),
        Conv(384, 256, 3, 1, 1), ReLU(),
        Conv(256, 256, 3, 1, 1), ReLU(), MaxPool(3, 2),  # 13 -> 6
        Flatten(),
        Linear(256 * 6 * 6, 4096), Threshold(),
        Linear(4096, 4096), Threshold(),
        Linear(4096, 1000),
    ),
    # weights k*k*in*out + bias out:
    #   conv 3*64*121+64 = 23,296; 64*192*25+192 = 307,392; 192*384*9+384 = 663,936;
    #        384*256*9+256 = 884,992; 256*256*9+256 = 590,080           (convs 2,469,696)
    #   fc   9216*4096+4096 = 37,752,832; 4096*4096+4096 = 16,781,312;
    #        4096*1000+1000 = 4,097,000                                 (fcs 58,631,144)
    #   total 61,100,840 (the "61.1M" of AlexNet OWT)
    parameter_count=61_100_840,
)

OVERFEAT = ModelSpec(
    key="overfeat", name="Overfeat", source="torch7/imagenet_winners/overfeat.lua",
    input_shape=(3, 231, 231), batch_size=128, cpu_batch_size=8,
    layers=(
        Conv(3, 96, 11, 4), ReLU(), MaxPool(2, 2),  # 231 -> 56 -> 28
        Conv(96, 256, 5, 1), ReLU(), MaxPool(2, 2),  # 28 -> 24 -> 12
        Conv(256, 512, 3, 1, 1), ReLU(),
        Conv(512, 1024, 3, 1, 1), ReLU(),
        Conv(1024, 1024, 3, 1, 1), ReLU(), MaxPool(2, 2),  # 12 -> 6
        Flatten(),
        Linear(1024 * 6 * 6, 3072), Threshold(),
        Linear(3072, 4096), Threshold(),
        Linear(4096, 1000),
    ),
    #   conv 3*96*121+96 = 34,944; 96*256*25+256 = 614,656; 256*512*9+512 = 1,180,160;
    #        512*1024*9+1024 = 4,719,616; 1024*1024*9+1024 = 9,438,208   (convs 15,987,584)
    #   fc   36864*3072+3072 = 113,249,280; 3072*4096+4096 = 12,587,008;
    #        4096*1000+1000 = 4,097,000                                 (fcs 129,933,288)
    #   total 145,920,872
    parameter_count=145_920_872,
)

_VGG_A_CFG = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def _vgg_features(cfg) -> tuple:
    layers: list[Layer] = []
    in_ch = 3
    for v in cfg:
        if v == "M":
            layers.append(MaxPool(2, 2))
        else:
            layers += [Conv(in_ch, v, 3, 1, 1), ReLU()]
            in_ch = v
    return tuple(layers)


VGG_A = ModelSpec(
    key="vgg_a", name="VGG [A]", source="torch7/imagenet_winners/vgg_a.lua",
    input_shape=(3, 224, 224), batch_size=64, cpu_batch_size=8,
    layers=_vgg_features(_VGG_A_CFG) + (  # 224 / 2**5 = 7
        Flatten(),
        Linear(512 * 7 * 7, 4096), Threshold(),
        Linear(4096, 4096), Threshold(),
        Linear(4096, 1000),
    ),
    #   conv 3*64*9+64 = 1,792; 64*128*9+128 = 73,856; 128*256*9+256 = 295,168;
    #        256*256*9+256 = 590,080; 256*512*9+512 = 1,180,160;
    #        3 x (512*512*9+512 = 2,359,808)                            (convs 9,220,480)
    #   fc   25088*4096+4096 = 102,764,544; 4096*4096+4096 = 16,781,312;
    #        4096*1000+1000 = 4,097,000                                 (fcs 123,642,856)
    #   total 132,863,336 (VGG-11's well-known 132.9M)
    parameter_count=132_863_336,
)

GOOGLENET = ModelSpec(
    key="googlenet", name="GoogleNet", source="torch7/imagenet_winners/googlenet.lua",
    input_shape=(3, 224, 224), batch_size=128, cpu_batch_size=16,
    layers=(
        Conv(3, 64, 7, 2, 3), ReLU(), MaxPool(3, 2, 1),  # 224 -> 112 -> 56
        Conv(64, 64, 1), ReLU(),
        Conv(64, 192, 3, 1, 1), ReLU(), MaxPool(3, 2, 1),  # 56 -> 28
        _inception(192, 64, 96, 128, 16, 32, 3, 32),  # 3a -> 256
        _inception(256, 128, 128, 192, 32, 96, 3, 64),  # 3b -> 480
        MaxPool(3, 2, 1),  # 28 -> 14
        _inception(480, 192, 96, 208, 16, 48, 3, 64),  # 4a -> 512
        _inception(512, 160, 112, 224, 24, 64, 3, 64),  # 4b -> 512
        _inception(512, 128, 128, 256, 24, 64, 3, 64),  # 4c -> 512
        _inception(512, 112, 144, 288, 32, 64, 3, 64),  # 4d -> 528
        _inception(528, 256, 160, 320, 32, 128, 3, 128),  # 4e -> 832
        MaxPool(3, 2, 1),  # 14 -> 7
        _inception(832, 256, 160, 320, 32, 128, 3, 128),  # 5a -> 832
        _inception(832, 384, 192, 384, 48, 128, 3, 128),  # 5b -> 1024
        AvgPool(7, 1),  # 7 -> 1
        Flatten(),
        Linear(1024, 1000), ReLU(),  # googlenet.lua ends with nn.ReLU, not Threshold
    ),
    #   stem 3*64*49+64 = 9,472; 64*64+64 = 4,160; 64*192*9+192 = 110,784   (124,416)
    #   an inception(in; c1; c3r,c3; c5r,c5; proj) has
    #     (in*c1+c1) + (in*c3r+c3r) + (c3r*c3*9+c3) + (in*c5r+c5r) + (c5r*c5*25+c5) + (in*proj+proj):
    #     3a 163,696; 3b 388,736; 4a 376,176; 4b 449,160; 4c 510,104; 4d 605,376;
    #     4e 868,352; 5a 1,043,456; 5b 1,444,080                        (5,849,136)
    #   fc   1024*1000+1000 = 1,025,000
    #   total 6,998,552 (about 7.0M: GoogLeNet v1 without its auxiliary classifiers)
    parameter_count=6_998_552,
)

MODELS: dict[str, ModelSpec] = {m.key: m for m in (ALEXNET, OVERFEAT, VGG_A, GOOGLENET)}


def get_model(name: str) -> ModelSpec:
    """The spec for a model key (alexnet, overfeat, vgg_a, googlenet) or its published name."""
    norm = "".join(ch for ch in name.lower() if ch.isalnum())
    for m in MODELS.values():
        if norm in ("".join(ch for ch in m.key if ch.isalnum()), "".join(ch for ch in m.name.lower() if ch.isalnum())):
            return m
    raise UnknownModel(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")


def count_parameters(layers) -> int:
    """Parameters of a layer tuple, computed from the specs (the tests compare it with the hand count)."""
    total = 0
    for layer in layers:
        if isinstance(layer, Conv):
            total += layer.in_channels * layer.out_channels * layer.kernel ** 2 + layer.out_channels
        elif isinstance(layer, Linear):
            total += layer.in_features * layer.out_features + layer.out_features
        elif isinstance(layer, Concat):
            total += sum(count_parameters(b) for b in layer.branches)
    return total


def output_shape(layers, shape: tuple) -> tuple:
    """(C, H, W) or (F,) after `layers`, floor-mode arithmetic; checks the specs agree with each other."""
    for layer in layers:
        if isinstance(layer, Conv):
            c, h, w = shape
            if c != layer.in_channels:
                raise ValueError(f"{layer} gets {c} channels")
            size = lambda n: (n + 2 * layer.pad - layer.kernel) // layer.stride + 1  # noqa: E731
            shape = (layer.out_channels, size(h), size(w))
        elif isinstance(layer, (MaxPool, AvgPool)):
            c, h, w = shape
            pad = getattr(layer, "pad", 0)
            size = lambda n: (n + 2 * pad - layer.kernel) // layer.stride + 1  # noqa: E731
            shape = (c, size(h), size(w))
        elif isinstance(layer, Flatten):
            n = 1
            for d in shape:
                n *= d
            shape = (n,)
        elif isinstance(layer, Linear):
            if shape != (layer.in_features,):
                raise ValueError(f"{layer} gets {shape}")
            shape = (layer.out_features,)
        elif isinstance(layer, Concat):
            outs = [output_shape(b, shape) for b in layer.branches]
            if len({o[1:] for o in outs}) != 1:
                raise ValueError(f"inception branches disagree: {outs}")
            shape = (sum(o[0] for o in outs),) + outs[0][1:]
    return shape
