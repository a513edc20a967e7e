"""The CLI only parses: shared options defined once, the collector's defaults taken from the
collector, exit codes assigned by class in `dlbench.errors`, and every command that reads the
warehouse going through one `Warehouse` (whose interruption message is true to the file)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
import typer.main

from conftest import SEED, cli


def _commands():
    """(name, click command) of every command and subcommand."""
    import cli as cli_module

    def walk(cmd, name):
        yield name, cmd
        for sub, c in getattr(cmd, "commands", {}).items():
            yield from walk(c, f"{name} {sub}")

    return list(walk(typer.main.get_command(cli_module.app), "dlbench"))


def _option(cmd, flag: str):
    return next((p for p in cmd.params if flag in getattr(p, "opts", ())), None)


# -- exit codes: assigned in dlbench, by class ------------------------------------------------------
def test_exit_codes_are_assigned_by_class_in_dlbench():
    from dlbench import errors
    from dlbench.collect.errors import DuplicateRun
    from dlbench.compare import BadSide
    from dlbench.report import NoMatch
    from dlbench.site import NotASite

    code = errors.exit_code
    assert [code(e) for e in (errors.InvalidInput([]), errors.UsageError("u"), NoMatch("m"), BadSide("b"),
                              NotASite("s"), DuplicateRun("d"), errors.InputTooLarge("f"),
                              errors.WarehouseMissing("w"))] == [errors.ExitCode.BAD_INPUT] * 8
    assert [code(e) for e in (errors.NotAWarehouse("n"), errors.WarehouseBusy("b"), errors.WarehouseWriteError("w"),
                              errors.WarehouseDamaged("db", "x"), errors.QueryError("q"), errors.QueryTimeout("t"),
                              errors.DlbenchError("d"))] == [errors.ExitCode.RUNTIME] * 7
    assert code(errors.QueryInterrupted("i")) == errors.ExitCode.INTERRUPTED == 130
    assert [int(c) for c in errors.ExitCode] == [0, 1, 2, 130]  # as documented


def test_the_lowest_layer_defines_no_exit_codes():
    import dlbench.ingest.errors as ingest_errors

    assert not hasattr(ingest_errors, "ExitCode")
    classes = [v for v in vars(ingest_errors).values() if isinstance(v, type) and issubclass(v, BaseException)]
    assert len(classes) >= 5 and not [c.__name__ for c in classes if "exit_code" in vars(c)]


# -- shared options, defined once ------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--db", "--no-refresh", "--machine", "--model", "--framework"])
def test_a_shared_option_is_the_same_on_every_command_that_reads_the_warehouse(flag):
    """(collect's --model and --framework say what to measure: they are its own.)"""
    found = {name: _option(cmd, flag) for name, cmd in _commands()
             if _option(cmd, flag) is not None and _option(cmd, "--db") is not None}
    assert len(found) >= 2, found
    shapes = {(p.help, p.envvar, repr(p.default), p.multiple) for p in found.values()}
    assert len(shapes) == 1, shapes


def test_the_db_option_defaults_to_the_librarys_warehouse():
    from dlbench import DEFAULT_DB, warehouse

    with_db = [name for name, cmd in _commands() if _option(cmd, "--db") is not None]
    assert {"dlbench ingest", "dlbench query", "dlbench report", "dlbench site", "dlbench compare",
            "dlbench export json", "dlbench export parquet"} == set(with_db)
    assert {_option(cmd, "--db").default for name, cmd in _commands() if name in with_db} == {DEFAULT_DB}
    assert warehouse.Warehouse().db == DEFAULT_DB == "warehouse.duckdb"


# -- collect: the collector's defaults, not a copy -------------------------------------------------------
def _collect_options() -> dict:
    cmd = dict(_commands())["dlbench collect"]
    return {p.opts[0]: p for p in cmd.params if getattr(p, "opts", None)}


def test_collect_options_default_to_nothing_and_their_help_names_the_collectors_defaults():
    import inspect

    from dlbench.collect import MODELS, api
    from dlbench.collect.adapters import ADAPTERS

    options = _collect_options()
    given = ("--precision", "--iterations", "--warmup", "--device", "--output", "--batch-size", "--framework",
             "--model")
    assert {flag: options[flag].default for flag in given} == dict.fromkeys(given)
    defaults = {n: p.default for n, p in inspect.signature(api.collect).parameters.items()}
    assert f"{defaults['precision']} (the default)" in options["--precision"].help
    assert f"({defaults['iterations']})" in options["--iterations"].help
    assert f"({defaults['warmup']})" in options["--warmup"].help
    assert f"{defaults['device']} (the default)" in options["--device"].help
    assert f"Default: {defaults['output']}." in options["--output"].help
    batch = options["--batch-size"].help
    assert ", ".join(str(m.batch_size) for m in MODELS.values()) in batch
    assert ", ".join(str(m.cpu_batch_size) for m in MODELS.values()) in batch
    assert options["--framework"].help.startswith(" or ".join(ADAPTERS))
    assert options["--model"].help.startswith(", ".join(list(MODELS)[:-1]) + " or " + list(MODELS)[-1])


def test_collect_passes_only_what_was_given(tmp_path, monkeypatch):
    from dlbench.collect import api

    calls = []

    @functools.wraps(api.collect)  # its signature: the defaults the CLI reads
    def fake(frameworks, models, **kwargs):
        calls.append((frameworks, models, kwargs))
        return api.CollectResult(output=kwargs.get("output", api.DEFAULT_OUTPUT), machine_key="box", machine={})

    monkeypatch.setattr(api, "collect", fake)
    result = cli("collect", "--model", "alexnet", "--precision", "bf16", "--format", "csv")
    assert (result.exit_code, result.stdout.splitlines()[0].split(",")[:2]) == (0, ["model", "framework"])
    assert result.stderr == "dlbench: data/collected.toml is unchanged in 0 s (0 failed)\n"
    frameworks, models, kwargs = calls[0]
    assert (frameworks, models) == (["torch", "jax"], ["alexnet"])
    assert {k: v for k, v in kwargs.items() if k != "progress"} == {
        "precision": "bf16", "replace": False, "input_gradient": False, "accumulate_gradients": False}
    cli("collect", "--framework", "jax", "--iterations", "3", "--warmup", "0", "-o", tmp_path / "x.toml")
    assert calls[1][0] == ["jax"] and len(calls[1][1]) == 4
    assert {k: calls[1][2][k] for k in ("iterations", "warmup", "output")} == {
        "iterations": 3, "warmup": 0, "output": tmp_path / "x.toml"}


# -- one warehouse: an interruption's line is true to the file ---------------------------------------------
def _interrupt(monkeypatch):
    from dlbench import report

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "report_on", stop)


def test_an_interruption_after_an_earlier_commands_build_says_unchanged(seed_db, monkeypatch):
    """The same process built the warehouse before (an ingest, then a report): the report's
    interruption changed nothing, and says so. It said "already replaced" when a module-global
    set remembered every target this process had ever replaced."""
    assert cli("ingest", "-q").exit_code == 0  # replaces warehouse.duckdb in this process
    _interrupt(monkeypatch)
    result = cli("report")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == "Interrupted; the previous warehouse is unchanged.\n"


def test_an_interruption_after_the_commands_own_rebuild_says_it_is_in_place(seed_db, monkeypatch):
    Path("benchmark.toml").write_text(SEED.read_text().replace("forward = 25", "forward = 26", 1))
    _interrupt(monkeypatch)
    result = cli("report")
    assert result.exit_code == 130
    assert re.fullmatch(r"dlbench: rebuilt warehouse.duckdb from 1 file\(s\) \(26 runs\): benchmark.toml changed\n"
                        r"Interrupted; warehouse.duckdb had already been replaced by the new build, which is "
                        r"complete.\n", result.stderr), result.stderr


def test_every_argument_has_help_too():
    """(tests/test_ingest.py walks every command's help and options.)"""
    arguments = [(name, p) for name, cmd in _commands() for p in cmd.params if p.param_type_name == "argument"]
    assert len(arguments) == 8  # ingest, validate, query, site, compare (2), export json and parquet
    assert [f"{name} {p.name}" for name, p in arguments if not (getattr(p, "help", None) or "").strip()] == []
