"""Convert the convnet-benchmarks "Imagenet Winners" CSV into benchmark.toml format.

Source: soumith/convnet-benchmarks, README section "Imagenet Winners" (June 2017),
https://github.com/soumith/convnet-benchmarks, as transcribed into
``shared/data/convnet-benchmarks-imagenet-winners.csv`` (one row per library and
model; forward, backward and total time in milliseconds, averaged over 10 runs).
The machine is a 6-core Intel Core i7-5930K @ 3.50GHz with one NVIDIA Titan X on
Ubuntu 14.04; it becomes the single machine ``[i7-5930k-titan-x]``.

Usage::

    python data/convert_convnet.py [CSV] [-o OUTPUT] [--check]

Only the standard library is used and the TOML is written by hand, so the output
is deterministic: the same CSV always gives byte-identical TOML.  ``--check``
regenerates the file in memory and exits 1 if the file on disk differs.

Numbers are copied exactly as published, including the flawed rows (a published
total that differs from forward + backward by more than rounding, as VGG [A]
"Chainer" 251 + 632 vs 885; Overfeat "CL-nn (Torch)" repeating the AlexNet row):
they are real data with real flaws and are not "fixed" here.

Dates, native stacks and model names
------------------------------------

The published table names no versions, but the convnet-benchmarks README says when
each stack was measured; the converter writes that as ``date`` on the framework
entry (a TOML date, or the year alone where only the year is given): Torch + cuDNN
R4 (fp16 and fp32) 2016-02-28; Nervana neon 2016-03-03; TensorFlow 2016-04-25 (a
build from commit 55068f32 of that day; the commit is not a release, so the version
stays "unknown"); Caffe native, cuda-convnet2, cuDNN R2 and Caffe-CLGreenTea 2015.
fbfft, Chainer, Torch-7 (native) and CL-nn get no date: none is given.

"native" (Caffe (native), and Caffe, the same stack; Torch-7 (native)) means the
framework's own kernels, no library: those entries get ``libraries = []`` ("none"),
while a stack whose libraries the table does not name (TensorFlow, Chainer, neon)
gets no ``libraries`` key ("not known").

Each model's name as published ("OxfordNet [Model-A]") is kept as the model's
``label``; its ``name`` is the one the seed benchmark.toml uses ("VGG [A]"), so the
same model compares across machines.

Label mapping
-------------

Each row's ``library`` column is a label from the published table.  It maps to a
framework, optional libraries and an optional precision as below; the label itself
is always kept verbatim in the framework entry's ``label`` key.  The published
table names no framework versions, so every ``version`` is ``"unknown"``.

=========================  ==========  ==========================  =========
CSV label                  framework   libraries (name version)    precision
=========================  ==========  ==========================  =========
CuDNN[R4]-fp16 (Torch)     Torch       cuDNN R4                    fp16
CuDNN[R4]-fp32 (Torch)     Torch       cuDNN R4                    fp32
Nervana-neon-fp16          neon        (none)                      fp16
Nervana-neon-fp32          neon        (none)                      fp32
TensorFlow                 Tensorflow  (none)                      (none)
fbfft (Torch)              Torch       fbfft unknown               (none)
Chainer                    Chainer     (none)                      (none)
cudaconvnet2*              Torch       cuda-convnet2 unknown       (none)
CuDNN[R2] *                Torch       cuDNN R2                    (none)
Caffe (native)             Caffe       [] (native: none)           (none)
Caffe                      Caffe       [] (native: none)           (none)
Torch-7 (native)           Torch       [] (native: none)           (none)
CL-nn (Torch)              Torch       clnn unknown                (none)
Caffe-CLGreenTea           Caffe       GreenTea unknown            (none)
=========================  ==========  ==========================  =========

Decisions, one per label:

- ``CuDNN[R4]-fp16 (Torch)`` / ``-fp32``: Torch running cuDNN release R4; the
  suffix is the arithmetic precision, so the two rows differ only by ``precision``.
- ``Nervana-neon-fp16`` / ``-fp32``: Nervana's neon framework with its own
  kernels, so no library; the suffix is the precision.
- ``TensorFlow``: spelled ``Tensorflow`` as in the project's seed benchmark.toml,
  so the same stack compares across machines; no library is named in the table.
- ``fbfft (Torch)``: Torch with Facebook's FFT convolution library ``fbfft``,
  whose version is not published.
- ``Chainer``: the Chainer framework; the table names no library.
- ``cudaconvnet2*``: Alex Krizhevsky's cuda-convnet2 kernels used from Torch
  (library ``cuda-convnet2``, version unknown); the asterisk is a footnote marker
  of the published table and survives only in ``label``.
- ``CuDNN[R2] *``: Torch with cuDNN release R2; the asterisk is again a
  footnote marker kept only in ``label``.
- ``Caffe (native)`` and ``Caffe``: Caffe with its own kernels, so no library;
  both spellings occur in the published table and map to the same stack.
- ``Torch-7 (native)``: Torch 7 with its own (cunn) kernels, so no library.
- ``CL-nn (Torch)``: Torch with the OpenCL backend ``clnn``, version unknown.
- ``Caffe-CLGreenTea``: Caffe with the OpenCL ``GreenTea`` backend, version
  unknown.

An unknown label is an error, so that a new CSV row cannot be silently
mis-mapped; each (model, framework, version, libraries, precision) must occur at
most once in the output, and the script fails if it does not.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CSV = HERE.parent.parent / "shared/data/convnet-benchmarks-imagenet-winners.csv"
DEFAULT_OUTPUT = HERE / "convnet-benchmarks.toml"

COLUMNS = ["model", "batch_size", "input", "library", "total_ms", "forward_ms", "backward_ms"]
UNKNOWN = "unknown"  # the published table names no framework (or these library) versions

SLUG = "i7-5930k-titan-x"
MACHINE = {"name": "Nvidia Titan X", "type": "GPU"}
HOST = {
    "os": "linux/ubuntu-14.04",
    "cpu": "Intel(R) Core(TM) i7-5930K CPU @ 3.50GHz",
    "cores": "6",
}
DEVICE = {
    "name": "Nvidia Titan X",
    "memory": "12GB",
    "cores": "3072",
    "memory_bandwith": "336.5GB/s",  # spelled so, as in the seed benchmark.toml
    "quantity": 1,
}

NATIVE = ()  # libraries = []: the framework's own kernels, no library
NOT_NAMED = None  # no libraries key: the table does not say which libraries ran

# label -> (framework, ((library, version), ...) or NATIVE or NOT_NAMED, precision or None)
LABELS: dict[str, tuple[str, tuple[tuple[str, str], ...], str | None]] = {
    "CuDNN[R4]-fp16 (Torch)": ("Torch", (("cuDNN", "R4"),), "fp16"),
    "CuDNN[R4]-fp32 (Torch)": ("Torch", (("cuDNN", "R4"),), "fp32"),
    "Nervana-neon-fp16": ("neon", NOT_NAMED, "fp16"),
    "Nervana-neon-fp32": ("neon", NOT_NAMED, "fp32"),
    "TensorFlow": ("Tensorflow", NOT_NAMED, None),
    "fbfft (Torch)": ("Torch", (("fbfft", UNKNOWN),), None),
    "Chainer": ("Chainer", NOT_NAMED, None),
    "cudaconvnet2*": ("Torch", (("cuda-convnet2", UNKNOWN),), None),
    "CuDNN[R2] *": ("Torch", (("cuDNN", "R2"),), None),
    "Caffe (native)": ("Caffe", NATIVE, None),
    "Caffe": ("Caffe", NATIVE, None),
    "Torch-7 (native)": ("Torch", NATIVE, None),
    "CL-nn (Torch)": ("Torch", (("clnn", UNKNOWN),), None),
    "Caffe-CLGreenTea": ("Caffe", (("GreenTea", UNKNOWN),), None),
}

# label -> when the convnet-benchmarks README says the stack was measured: a date, or a year
DATES: dict[str, datetime.date | int] = {
    "CuDNN[R4]-fp16 (Torch)": datetime.date(2016, 2, 28),
    "CuDNN[R4]-fp32 (Torch)": datetime.date(2016, 2, 28),
    "Nervana-neon-fp16": datetime.date(2016, 3, 3),
    "Nervana-neon-fp32": datetime.date(2016, 3, 3),
    "TensorFlow": datetime.date(2016, 4, 25),  # built from commit 55068f32 of that day
    "cudaconvnet2*": 2015,
    "CuDNN[R2] *": 2015,
    "Caffe (native)": 2015,
    "Caffe": 2015,
    "Caffe-CLGreenTea": 2015,
}

# model name (as the seed writes it) -> the name in the published table
MODEL_LABELS = {
    "AlexNet": "AlexNet",
    "Overfeat": "Overfeat [fast]",
    "VGG [A]": "OxfordNet [Model-A]",
    "GoogleNet": "GoogleNet V1",
}

HEADER = """\
# Generated by `python data/convert_convnet.py`: do not edit by hand; change the
# script or its input and regenerate (`--check` tells whether this file is current).
#
# Source: soumith/convnet-benchmarks, README "Imagenet Winners" (June 2017),
# https://github.com/soumith/convnet-benchmarks, via
# shared/data/convnet-benchmarks-imagenet-winners.csv.
# Times are milliseconds for a full forward + backward pass, averaged over 10 runs,
# as published. The published total is rounded on its own and kept as `total`.
# Flaws of the published table are kept as they are (e.g. a total that differs
# from forward + backward by more than rounding; Overfeat "CL-nn (Torch)"
# repeating the AlexNet row).
# The table names no framework versions, so every version is "unknown"; `date` is
# when the README says the stack was measured (a year where only the year is given).
# `label` is the stack's (or model's) name exactly as published (asterisks are
# footnote markers). `libraries = []` marks a native stack (no library); no
# `libraries` key means the table does not say.
"""


class ConvertError(Exception):
    """The CSV cannot be converted faithfully."""


_CONTROL = re.compile(r'[\x00-\x1f\x7f"\\]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(value: str) -> str:
    """A TOML basic string: backslash and double quote escaped (and, for safety,
    control characters, which a basic string may not contain literally)."""
    return '"' + _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04X}"), value) + '"'


def toml_value(value) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are not used in this format")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()  # a TOML local date
    if value == ():
        return "[]"
    if isinstance(value, str):
        return toml_string(value)
    raise TypeError(f"unsupported TOML value {value!r}")


def parse_int(text: str, where: str, column: str) -> int:
    if not re.fullmatch(r"[0-9]+", text):
        raise ConvertError(f"{where}: {column} must be a non-negative integer as published, got {text!r}")
    return int(text)


def read_rows(csv_path: Path) -> list[dict]:
    """The CSV rows, validated and typed, in file order."""
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != COLUMNS:
            raise ConvertError(f"{csv_path}: expected header {','.join(COLUMNS)}, got {header!r}")
        rows = []
        for lineno, record in enumerate(reader, start=2):
            where = f"{csv_path}:{lineno}"
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) != len(COLUMNS):
                raise ConvertError(f"{where}: expected {len(COLUMNS)} columns, got {len(record)}")
            row = dict(zip(COLUMNS, record))
            for col in ("model", "input", "library"):
                if not row[col]:
                    raise ConvertError(f"{where}: empty {col}")
            for col in ("batch_size", "total_ms", "forward_ms", "backward_ms"):
                row[col] = parse_int(row[col], where, col)
            row["where"] = where
            rows.append(row)
    if not rows:
        raise ConvertError(f"{csv_path}: no data rows")
    return rows


def build_models(rows: list[dict]) -> list[dict]:
    """Models in CSV order, each with its framework entries in CSV row order."""
    models: dict[str, dict] = {}
    seen: dict[tuple, str] = {}
    for row in rows:
        label = row["library"]
        if label not in LABELS:
            known = ", ".join(repr(k) for k in LABELS)
            raise ConvertError(
                f"{row['where']}: unknown label {label!r}; add it to LABELS (and the docstring "
                f"table) in {Path(__file__).name}. Known labels: {known}")
        framework, libraries, precision = LABELS[label]
        name = row["model"]
        model = models.get(name)
        if model is None:
            if name not in MODEL_LABELS:
                raise ConvertError(f"{row['where']}: unknown model {name!r}; add its published name to "
                                   f"MODEL_LABELS in {Path(__file__).name}")
            model = models[name] = {
                "name": name, "label": MODEL_LABELS[name], "batch_size": row["batch_size"], "input": row["input"],
                "frameworks": [],
            }
        else:
            for col in ("batch_size", "input"):
                if model[col] != row[col]:
                    raise ConvertError(
                        f"{row['where']}: {name} has {col} {row[col]!r} here but {model[col]!r} in an "
                        f"earlier row; one model entry can carry only one {col}")
        key = (name, framework, UNKNOWN, libraries or (), precision)
        if key in seen:
            raise ConvertError(
                f"{row['where']}: label {label!r} gives the same (model, framework, version, libraries, "
                f"precision) {key!r} as {seen[key]}; each may occur only once")
        seen[key] = f"{row['where']} ({label!r})"
        model["frameworks"].append({
            "name": framework, "version": UNKNOWN, "label": label, "precision": precision,
            "forward": row["forward_ms"], "backward": row["backward_ms"], "total": row["total_ms"],
            "libraries": libraries, "date": DATES.get(label),
        })
    return list(models.values())


def render(models: list[dict]) -> str:
    out: list[str] = [HEADER.rstrip("\n")]

    def table(header: str, indent: int, items: dict) -> None:
        pad = "  " * indent
        out.append("")
        out.append(f"{pad}{header}")
        for key, value in items.items():
            if value is not None:
                out.append(f"{pad}  {key} = {toml_value(value)}")

    table(f"[{SLUG}]", 0, MACHINE)
    table(f"[{SLUG}.host]", 1, HOST)
    table(f"[[{SLUG}.devices]]", 1, DEVICE)
    for model in models:
        table(f"[[{SLUG}.models]]", 1, {
            "name": model["name"], "label": model["label"], "type": "model",
            "batch_size": model["batch_size"], "input": model["input"],
        })
        for fw in model["frameworks"]:
            table(f"[[{SLUG}.models.frameworks]]", 2, {
                **{key: fw[key] for key in ("name", "version", "label", "precision", "date", "forward", "backward",
                                            "total")},
                "libraries": NATIVE if fw["libraries"] == NATIVE else None,
            })
            for lib_name, lib_version in fw["libraries"] or ():
                table(f"[[{SLUG}.models.frameworks.libraries]]", 3, {"name": lib_name, "version": lib_version})
    return "\n".join(out) + "\n"


def convert(csv_path: Path) -> str:
    return render(build_models(read_rows(csv_path)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description='Convert the convnet-benchmarks "Imagenet Winners" CSV into benchmark.toml format.')
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV,
                        help=f"input CSV (default: {DEFAULT_CSV})")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"output TOML (default: {DEFAULT_OUTPUT})")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if OUTPUT differs from what the CSV generates")
    args = parser.parse_args(argv)

    try:
        text = convert(args.csv)
    except (ConvertError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    data = text.encode("utf-8")
    if args.check:
        try:
            current = args.output.read_bytes()
        except OSError as exc:
            print(f"{args.output}: cannot read ({exc.strerror}); run `python data/convert_convnet.py`",
                  file=sys.stderr)
            return 1
        if current != data:
            print(f"{args.output} is out of date; run `python data/convert_convnet.py`", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
