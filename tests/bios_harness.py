"""A machine with pyx86's BIOS, stopped after POST, for calling BIOS services from tests.

    box = BiosBox()                       # POST has run; INT 19h was not taken
    out = box.call(0x10, ax=0x0E41)       # INT 10h from 0000:7C00 with these registers
    out["ax"], out["cf"], box.ram[...]

``call`` runs ``STI; INT n; CLI; HLT`` at 0000:7C00 (interrupts on, as DOS
calls the BIOS) and returns the registers and flags at the HLT.  Keys can be
typed through the keyboard controller with ``box.machine.kbc.keyboard``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from emulator.chardev import BufferBackend
from emulator.cli import Config
from emulator.cpu import state as S
from emulator.cpu.models import get_model
from emulator.machine import Machine, Stop

RTC_BASE = "2024-02-29T23:59:58"
CALL_ADDR = 0x7C00


class BiosBox:
    """POST done, ready to call services; ``machine``, ``cpu``, ``ram``, ``bios``, ``serial``."""

    def __init__(self, **config_changes: Any) -> None:
        cfg = Config(cpu=get_model("pentiumpro"), ram_size=32 << 20, display="none", rtc_base=RTC_BASE,
                     devices=(("isa-debug-exit", {"iobase": 0xF4, "iosize": 4}),))
        cfg = dataclasses.replace(cfg, **config_changes)
        self.serial = BufferBackend()
        self.machine = Machine(cfg, serial=[self.serial], log=self._log)
        self.log: list[str] = []
        self.cpu = self.machine.cpu
        self.ram = self.cpu.ram
        self.bios = self.machine.bios
        assert self.bios is not None
        boot = self.bios.services.get(0x19)
        self.bios.services[0x19] = lambda: self.machine.stop(0, "INT 19h reached")
        self.post_stop = self.machine.run(max_insns=50_000_000, max_ns=60_000_000_000)
        if boot is not None:
            self.bios.services[0x19] = boot

    def _log(self, text: str) -> None:
        self.log.append(text)

    def call(self, vector: int, max_ns: int = 5_000_000_000, **regs: int) -> dict[str, Any]:
        """INT ``vector`` with ``regs`` (ax=..., es=..., ...); the registers and flags after it."""
        code = bytes((0xFB, 0xCD, vector, 0xFA, 0xF4))      # sti; int n; cli; hlt
        self.cpu.write_phys(CALL_ADDR, code)
        self.cpu["cs"] = 0
        self.cpu["ip"] = CALL_ADDR
        self.cpu["ss"] = 0
        self.cpu["sp"] = 0x7000
        for name, value in regs.items():
            self.cpu[name] = value
        self.cpu.st[S.HALTED] = 0
        stop = self.machine.run(max_insns=200_000_000, max_ns=max_ns)
        return self.registers(stop)

    def registers(self, stop: Stop | None = None) -> dict[str, Any]:
        names = ("ax", "bx", "cx", "dx", "si", "di", "bp", "sp", "ds", "es", "ip", "cs",
                 "eax", "ebx", "ecx", "edx", "esi", "edi")
        out: dict[str, Any] = {n: self.cpu[n] for n in names}
        for n in ("al", "ah", "bl", "bh", "cl", "ch", "dl", "dh"):
            out[n] = self.cpu[n]
        flags = self.cpu["flags"]
        out.update(flags=flags, cf=bool(flags & S.CF), zf=bool(flags & S.ZF), stop=stop)
        return out

    def screen_row(self, row: int, cols: int = 80, base: int = 0xB8000) -> str:
        """Characters of text row ``row`` (colour text buffer) as a str."""
        start = base + row * cols * 2
        return bytes(self.ram[start : start + cols * 2 : 2]).decode("cp437")


def image_path(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
