"""The four models: the specs agree with the hand-derived parameter counts, and every
adapter builds a model with exactly that many parameters."""
from __future__ import annotations

import sys

import pytest

from dlbench.collect.adapters import get_adapter
from dlbench.collect.models import MODELS, count_parameters, get_model, output_shape
from helpers import FRAMEWORKS

# published / derived from the lua files (see the comments in models.py)
EXPECTED = {"alexnet": 61_100_840, "overfeat": 145_920_872, "vgg_a": 132_863_336, "googlenet": 6_998_552}


def test_specs_match_hand_counts():
    assert {k: m.parameter_count for k, m in MODELS.items()} == EXPECTED
    for m in MODELS.values():
        assert count_parameters(m.layers) == m.parameter_count, m.key
        assert output_shape(m.layers, m.input_shape) == (1000,), m.key


def test_published_shapes():
    assert [(m.key, m.batch_size, m.input_text) for m in MODELS.values()] == [
        ("alexnet", 128, "3x224x224"), ("overfeat", 128, "3x231x231"),
        ("vgg_a", 64, "3x224x224"), ("googlenet", 128, "3x224x224")]


def test_model_names_resolve():
    assert get_model("VGG [A]").key == "vgg_a"
    assert get_model("GoogleNet").key == "googlenet"
    from dlbench.collect.errors import UnknownModel

    with pytest.raises(UnknownModel, match="expected one of alexnet"):
        get_model("resnet50")


def test_import_does_not_import_frameworks():
    import subprocess

    code = ("import sys, dlbench.collect, dlbench.collect.adapters.torch_adapter, "
            "dlbench.collect.adapters.jax_adapter; print(sorted(m for m in ('torch', 'jax') if m in sys.modules))")
    from conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow  # builds the model in a real framework (importing jax alone takes seconds)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("model", list(MODELS))
def test_adapter_parameter_count(framework, model):
    a = get_adapter(framework)
    a.available()
    a.build(MODELS[model], 1, "fp32", "cpu")
    assert a.parameter_count() == EXPECTED[model]


@pytest.mark.slow  # builds the model in a real framework (importing jax alone takes seconds)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_forward_backward_shapes(framework):
    """A tiny batch through GoogLeNet (the one with branches): runs, syncs, gives 1000 outputs."""
    a = get_adapter(framework)
    a.available()
    a.build(MODELS["googlenet"], 1, "fp32", "cpu", input_gradient=True)
    a.make_input()
    h = a.forward()
    a.synchronize()
    out = h[0] if isinstance(h, tuple) else h
    assert tuple(out.shape) == (1, 1000)
    a.backward(h)
    a.synchronize()



@pytest.mark.slow  # builds the model in a real framework (importing jax alone takes seconds)
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_unsupported_precision_is_a_named_error_in_the_result(framework, tmp_path, monkeypatch):
    """When the framework cannot run a precision, the worker writes ok=false with
    PrecisionUnsupported naming it (exit 3), not a traceback. The framework's op that the
    adapter's check uses is made to fail as an unsupported dtype does."""
    import json

    from dlbench.collect import worker

    def refuse(*args, **kwargs):
        raise RuntimeError('"max_pool2d" not implemented for \'Half\'')

    if framework == "torch":
        import torch

        monkeypatch.setattr(torch.nn.functional, "max_pool2d", refuse)
    else:
        import jax

        monkeypatch.setattr(jax.lax, "conv_general_dilated", refuse)
    out = tmp_path / "r.json"
    spec = dict(framework=framework, model="googlenet", batch_size=1, precision="fp16", device="cpu", warmup=0,
                iterations=1)
    assert worker.main(["--spec", json.dumps(spec), "--out", str(out)]) == 3
    result = json.loads(out.read_text())
    assert result["ok"] is False
    assert result["reason"].startswith("PrecisionUnsupported:") and "cannot run fp16 on cpu" in result["reason"]
