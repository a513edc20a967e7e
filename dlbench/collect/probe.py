"""What machine this is: host (OS, CPU, cores, cache, RAM) and devices.

CPU facts come from py-cpuinfo and psutil, not from parsing /proc. GPUs come
from NVML (pynvml) when it is installed, else from torch.cuda in a child
process (so the collector itself never imports torch). The GPU paths are
untested: the machine this was written on has no GPU.

`python -m dlbench.collect.probe [--cuda]` prints the probe as JSON.
"""
from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import asdict, dataclass, field


@dataclass
class Device:
    name: str
    memory_bytes: int | None = None
    cores: int | None = None
    quantity: int = 1


@dataclass
class Probe:
    os: str  # "linux/debian-12"
    cpu: str  # "AMD EPYC 7B13"
    logical_cores: int
    physical_cores: int | None
    cache_bytes: int | None  # the last-level cache as py-cpuinfo reports it
    ram_bytes: int
    gpus: list[Device] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def os_text() -> str:
    system = platform.system().lower() or "unknown"
    if system == "linux":
        try:
            rel = platform.freedesktop_os_release()
            ident = rel.get("ID", "linux")
            version = rel.get("VERSION_ID")
            return f"linux/{ident}-{version}" if version else f"linux/{ident}"
        except OSError:
            return "linux"
    if system == "darwin":
        return f"macos/{platform.mac_ver()[0]}"
    return f"{system}/{platform.release()}"


def _cache_bytes(value) -> int | None:
    """py-cpuinfo gives bytes as an int, or (older versions) text such as '32768 KB'."""
    if value is None:
        return None
    if isinstance(value, int):
        return value or None
    m = re.match(r"\s*([0-9.]+)\s*([KMG]i?B)?", str(value), re.IGNORECASE)
    if not m:
        return None
    factor = {"kb": 1024, "kib": 1024, "mb": 1024**2, "mib": 1024**2, "gb": 1024**3, "gib": 1024**3}
    return int(float(m.group(1)) * factor.get((m.group(2) or "b").lower(), 1))


def probe_host() -> Probe:
    import cpuinfo
    import psutil

    info = cpuinfo.get_cpu_info()
    cpu = (info.get("brand_raw") or platform.processor() or platform.machine() or "unknown CPU").strip()
    cache = None
    for key in ("l3_cache_size", "l2_cache_size"):
        cache = _cache_bytes(info.get(key))
        if cache:
            break
    return Probe(os=os_text(), cpu=cpu, logical_cores=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
                 physical_cores=psutil.cpu_count(logical=False), cache_bytes=cache,
                 ram_bytes=psutil.virtual_memory().total)


def probe_gpus() -> list[Device]:
    """The GPUs, by NVML or torch.cuda; [] when neither finds one. Untested (no GPU here)."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            devices = []
            for i in range(pynvml.nvmlDeviceGetCount()):
                h = pynvml.nvmlDeviceGetHandleByIndex(i)
                name = pynvml.nvmlDeviceGetName(h)
                name = name.decode() if isinstance(name, bytes) else name
                devices.append(Device(name=name, memory_bytes=int(pynvml.nvmlDeviceGetMemoryInfo(h).total)))
            return _grouped(devices)
        finally:
            pynvml.nvmlShutdown()
    except Exception:
        pass
    code = ("import json, torch\n"
            "print(json.dumps([dict(name=p.name, memory_bytes=p.total_memory, cores=None) for p in "
            "(torch.cuda.get_device_properties(i) for i in range(torch.cuda.device_count()))] "
            "if torch.cuda.is_available() else []))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        rows = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 and out.stdout.strip() else []
    except (OSError, ValueError, subprocess.TimeoutExpired):
        rows = []
    return _grouped([Device(**r) for r in rows])


def _grouped(devices: list[Device]) -> list[Device]:
    """Identical GPUs as one device with a quantity, as benchmark.toml writes them."""
    out: list[Device] = []
    for d in devices:
        for o in out:
            if (o.name, o.memory_bytes, o.cores) == (d.name, d.memory_bytes, d.cores):
                o.quantity += 1
                break
        else:
            out.append(d)
    return out


def probe(device: str = "cpu") -> Probe:
    p = probe_host()
    if device == "cuda":
        p.gpus = probe_gpus()
    return p


def slug(text: str) -> str:
    text = re.sub(r"\((R|TM|C)\)", "", text, flags=re.IGNORECASE)
    text = re.sub(r"@.*$", "", text)  # the clock speed
    text = re.sub(r"\b(CPU|Processor|with Radeon.*|[0-9]+-Core)\b", "", text, flags=re.IGNORECASE)
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-") or "machine"


def machine_key(p: Probe, device: str = "cpu") -> str:
    """A key such as "amd-epyc-2cpu" (CPU runs) or "xeon-gold-6148-tesla-v100" (GPU runs).

    The logical core count is part of a CPU key: the same CPU model with fewer cores
    (a VM, a container) is a different machine for timings."""
    if device == "cuda" and p.gpus:
        return f"{slug(p.cpu)}-{slug(p.gpus[0].name)}"
    return f"{slug(p.cpu)}-{p.logical_cores}cpu"


if __name__ == "__main__":
    print(json.dumps(probe("cuda" if "--cuda" in sys.argv else "cpu").as_dict(), indent=2))
