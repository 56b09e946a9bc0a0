"""The PC: CPU, memory map, port bus, virtual clock and the AT chipset, wired together.

:class:`Machine` builds an AT-class PC from a :class:`~emulator.cli.Config`
and runs it.  The run loop gives the CPU core slices of instructions that end
exactly at the next timer deadline, handles each exit (port I/O on the bus,
interrupt acknowledge through the PIC, HLT by skipping idle time, BIOS calls,
errors) and fires due timers; after every exit the PIC's INTR output is copied
to the core, which takes the interrupt before the next instruction when IF
allows (respecting the STI / MOV SS shadow).

Physical memory map (IBM PC AT Technical Reference, "System memory map")::

    00000000-0009FFFF  conventional RAM (640 KiB)
    000A0000-000BFFFF  video memory window (see the note below)
    000C0000-000DFFFF  option ROMs (reads FFh where none is loaded)
    000E0000-000FFFFF  system BIOS ROM (read-only to the guest)
    00100000-RAM top   extended memory
    FFFE0000-FFFFFFFF  the BIOS ROM again, where a 386+ fetches its first instruction

Until the video card exists (its own issue) the video window is plain RAM, as
a CGA/MDA text buffer at B8000h/B0000h behaves.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.base import Device, IrqLine
from devices.cmos import CMOS, parse_rtc_base
from devices.debugport import DebugConsole, DebugExit, PostCodePort
from devices.dma import DMA
from devices.i8042 import I8042
from devices.ide import IdeChannel, ide_channels
from devices.pic import DualPIC
from devices.pit import PIT
from devices.sysctrl import SystemControlA, SystemControlB
from devices.uart import UART
from devices.vbe import DisplayInterface
from devices.vga import VGA

from . import linuxboot, snapshot
from .blockdev import IDE_DRIVES, ImageCloser, open_drive_images
from .chardev import CharBackend, StdioBackend, parse_serial_spec
from .cli import Config
from .clock import Clock
from .cpu import state as S
from .cpu.cpu import CPU
from .linuxboot import LinuxBoot
from .portbus import PortBus

KiB = 1 << 10
VIDEO_WINDOW = (0xA0000, 0xC0000)
OPTION_ROMS = (0xC0000, 0xE0000)
BIOS_ROM = (0xE0000, 0x100000)
BIOS_MAX = BIOS_ROM[1] - BIOS_ROM[0]
BIOS_ALIAS = (0xFFFE0000, 0x1_0000_0000)
SERIAL_PORTS = ((0x3F8, 4), (0x2F8, 3))      # COM1, COM2: base port and IRQ
SLICE = 1 << 20                               # most instructions between two looks at the host
NS_PER_INSN = 10                              # nominal 100 MIPS

# Exit statuses of a stopped machine (debug-exit statuses are odd: (v << 1) | 1)
STATUS_OK = 0              # the guest reset with -no-reboot, or the user ended the run
STATUS_UNIMPLEMENTED = 4   # the guest used an instruction pyx86 does not implement
STATUS_SHUTDOWN = 6        # triple fault with -no-reboot
STATUS_BAD_FETCH = 8       # execution from an address with no memory
STATUS_HALTED = 10         # HLT with nothing that can ever wake the CPU
STATUS_BIOS = 12           # a BIOS call with no BIOS service behind it


class MachineError(ValueError):
    """The machine cannot be built as asked (bad ROM image, serial back end, ...)."""


@dataclass(frozen=True)
class Stop:
    """Why :meth:`Machine.run` ended: the process exit status and a message for the user."""

    status: int
    message: str = ""


class Machine:
    """An AT-class PC.  ``serial`` / ``debugcon`` override the back ends the config names."""

    def __init__(self, config: Config, *, serial: list[CharBackend | None] | None = None,
                 debugcon: CharBackend | None = None, log: Callable[[str], None] | None = None,
                 bios_service: Callable[[Machine, int], None] | None = None) -> None:
        self.config = config
        self.log = log or (lambda text: print(f"pyx86: {text}", file=sys.stderr))
        self.cpu = CPU(config.ram_size, config.cpu)
        self.clock = Clock(self._icount, NS_PER_INSN)
        # the time-stamp counter runs at the nominal rate (one tick per 10 ns of virtual time),
        # through skipped idle time too
        self.clock.on_advance = self._tsc_follows
        self.realtime = config.rtc_clock in ("host", "rt")
        trace = self.log if config.log_items & {"unimp", "guest_errors"} else None
        #: -d in_asm / exec / cpu: execute one instruction per slice and log each one
        self.step_trace = bool(config.log_items & {"in_asm", "exec", "cpu"})
        self.trace_int = "int" in config.log_items
        self.bus = PortBus(trace_unclaimed=trace)
        self._io_trace = trace                # for the IDE channels' unsupported-command notes
        self.bios_service = bios_service
        self._stop: Stop | None = None
        self._time_limit: int | None = None
        self._reset_pending = False
        self.executed = 0                     # instructions retired since power-on (across resets)
        self.a20_kbc = True                   # A20 as the 8042 output port drives it
        self.a20_port92 = False               # A20 as port 92h drives it
        self.backends: list[CharBackend] = []
        #: a front end (window, terminal) can still send keys: an idle guest is not stuck
        self.interactive = False
        #: -kernel: the checked load plan; the BIOS's INT 19h starts it (see bios.linuxboot)
        self.linux: LinuxBoot | None = _linux_boot(config)

        self.uarts: list[UART] = []
        try:
            self._build(config, serial, debugcon)
        except BaseException:
            self.close()        # a terminal put in raw mode, an open file: nothing stays behind
            raise

    def _build(self, config: Config, serial: list[CharBackend | None] | None,
               debugcon: CharBackend | None) -> None:
        """The devices, their host back ends and the BIOS (the back ends open here)."""
        # --- the chipset -------------------------------------------------------------
        self.pic = DualPIC()
        self.irq = [IrqLine(self.pic.set_irq, n) for n in range(16)]
        self.pit = PIT(self.clock, self.irq[0])
        self.port61 = SystemControlB(self.clock, self.pit)
        self.port92 = SystemControlA(self._set_a20_port92, self.request_reset)
        self.kbc = I8042(self.clock, self.irq[1], self.irq[12], self._set_a20_kbc, self.request_reset)
        self.cmos = CMOS(self.clock, self.irq[8], _rtc_base(config.rtc_base))
        self.dma = DMA(self.cpu.ram)
        self.port80 = PostCodePort()
        self.vga = VGA(self.clock, self.cpu.vga_regs, self._vga_window)
        self.vbe = DisplayInterface(self.cpu.vga_regs, self.cpu.vram, self.vga)   # ports 1CEh-1D0h
        # one UART per -serial (COM1, COM2); none given: COM1 with a null back end
        specs: list[Any] = list(config.serial or ("null",)) if serial is None else list(serial)
        if len(specs) > len(SERIAL_PORTS):
            raise MachineError(f"at most {len(SERIAL_PORTS)} serial ports (COM1, COM2)")
        for n, spec in enumerate(specs):
            backend = self._backend(spec, "-serial")
            if backend is not None:
                base, irq = SERIAL_PORTS[n]
                self.uarts.append(UART(self.clock, self.irq[irq], base, backend, f"com{n + 1}",
                                       paced_tx=False))
        dc = debugcon if debugcon is not None else (
            self._backend(config.debugcon, "-debugcon") if config.debugcon else None)
        self.debugcon = DebugConsole(dc.write if dc is not None else None)
        # IDE: -hda/-hdb on the primary channel, -cdrom (or -hdc) and -hdd on the secondary; the
        # BIOS serves its drives from these same image objects (one disk, one -snapshot overlay)
        self.drive_images = open_drive_images(
            {name: getattr(config, name, None) for name in IDE_DRIVES}, config.snapshot)
        self.backends.append(ImageCloser(self.drive_images))
        self.ide: list[IdeChannel] = ide_channels(self.drive_images, self.irq[14], self.irq[15],
                                                    self._io_trace)
        self.devices: list[Device] = [self.pic, self.pit, self.port61, self.port92, self.kbc,
                                      self.cmos, self.dma, self.port80, self.debugcon, self.vga, self.vbe,
                                      *self.uarts, *self.ide]
        for driver, props in config.devices:
            if driver == "isa-debug-exit":
                self.devices.append(DebugExit(self._debug_exit, int(props.get("iobase", 0x501)),
                                              int(props.get("iosize", 2))))
        for dev in self.devices:
            self.bus.attach(dev)

        self._map_memory()
        self._fill_cmos()
        self.bios = None
        if config.bios is not None:
            self.load_bios(config.bios.read_bytes())
        elif self.bios_service is None:
            from bios import create_bios  # our own BIOS
            self.bios = create_bios(self)
            self.bios_service = self.bios

    # --- construction helpers ----------------------------------------------------------
    def _backend(self, spec: CharBackend | str | None, option: str) -> CharBackend | None:
        if spec is None or isinstance(spec, CharBackend):
            if spec is not None:
                self.backends.append(spec)
            return spec
        try:
            backend = parse_serial_spec(spec)
        except ValueError as e:
            raise MachineError(f"{option} {spec}: {e}") from None
        if backend is not None:
            self.backends.append(backend)
            if isinstance(backend, StdioBackend):
                # the guest does the line editing: a terminal goes raw (QEMU's stdio does too)
                backend.on_quit = lambda: self.stop(STATUS_OK, "quit from the terminal (Ctrl-A X)")
                backend.open(raw=True)
            else:
                backend.open()
        return backend

    def _map_memory(self) -> None:
        cpu = self.cpu
        cpu.set_page_kind(0, min(self.config.ram_size, 1 << 32), S.PG_RAM)
        cpu.set_page_kind(*OPTION_ROMS, S.PG_NONE)
        cpu.set_page_kind(*BIOS_ROM, S.PG_ROM)
        cpu.set_page_kind(*BIOS_ALIAS, S.PG_BIOS_ALIAS)
        if cpu.model.address_bits == 24:
            # a 286 has 24 address lines: its first fetch is at FFFFF0h, where the AT
            # decodes the BIOS ROM again (top 128 KiB of the 16 MiB space)
            cpu.set_page_kind(0xFE0000, 0x1000000, S.PG_BIOS_ALIAS)
        cpu.set_page_kind(*VIDEO_WINDOW, S.PG_RAM)
        cpu.set_page_kind(S.LFB_PHYS, S.LFB_PHYS + S.VRAM_SIZE, S.PG_LFB)  # the VBE framebuffer
        cpu.ram[BIOS_ROM[0]:BIOS_ROM[1]] = 0xFF

    def _fill_cmos(self) -> None:
        self.cmos.set_memory_size(self.config.ram_size)
        self.cmos.update_checksum()

    def load_bios(self, image: bytes) -> None:
        """Put a raw BIOS ROM image at the top of the first MiB (and so of the 4 GiB space)."""
        if not 0 < len(image) <= BIOS_MAX:
            raise MachineError(f"BIOS image is {len(image)} bytes: it must be from 1 byte to "
                               f"{BIOS_MAX // KiB} KiB")
        self.cpu.write_phys(BIOS_ROM[1] - len(image), image)

    def load_option_rom(self, addr: int, image: bytes) -> None:
        """Map an option ROM image (read-only) at ``addr`` in C0000-DFFFF."""
        end = addr + ((len(image) + 0x7FF) & ~0x7FF)
        if not (OPTION_ROMS[0] <= addr and end <= OPTION_ROMS[1] and addr % 0x800 == 0):
            raise MachineError(f"option ROM of {len(image)} bytes does not fit at {addr:#x}")
        self.cpu.write_phys(addr, image)
        self.cpu.set_page_kind(addr, end, S.PG_ROM)

    # --- wiring callbacks ----------------------------------------------------------------
    def _icount(self) -> int:
        return int(self.cpu.st[S.ICOUNT])

    def _set_a20_kbc(self, on: bool) -> None:
        self.a20_kbc = bool(on)
        self.cpu.a20 = self.a20_kbc or self.a20_port92

    def _set_a20_port92(self, on: bool) -> None:
        self.a20_port92 = bool(on)
        self.cpu.a20 = self.a20_kbc or self.a20_port92

    def _vga_window(self, start: int, end: int) -> None:
        """The VGA routes [start, end) through the core's VGA memory path; the rest is RAM."""
        self.cpu.set_page_kind(*VIDEO_WINDOW, S.PG_RAM)
        if end > start:
            self.cpu.set_page_kind(start, end, S.PG_VGA)

    def _debug_exit(self, status: int) -> None:
        self.stop(status & 0xFF, "")

    def request_reset(self) -> None:
        """A device asked for a CPU reset (8042 pulse, port 92h, triple fault)."""
        self._reset_pending = True

    def _tsc_follows(self, skipped_ns: int) -> None:
        self.cpu.st[S.TSC_BASE] += skipped_ns // NS_PER_INSN

    def stop(self, status: int, message: str = "") -> None:
        """End :meth:`run` after the current exit with this status and message."""
        if self._stop is None:
            self._stop = Stop(status, message)

    # --- reset -------------------------------------------------------------------------
    def reset(self) -> None:
        """A system reset: the CPU and every device return to power-on state; RAM and time stay."""
        now = self.clock.now
        self.cpu.reset()
        self.clock.offset_ns = now           # ICOUNT restarts at 0: keep time going forward
        for dev in self.devices:
            dev.reset()
        self.a20_kbc, self.a20_port92 = True, False
        self.cpu.a20 = True
        self._reset_pending = False
        self.cpu.st[S.INTR] = 1 if self.pic.intr else 0

    # --- running -----------------------------------------------------------------------
    def run(self, max_insns: int | None = None, max_ns: int | None = None) -> Stop | None:
        """Run until the machine stops (returns a :class:`Stop`), or until ``max_insns``
        instructions ran or ``max_ns`` of virtual time passed (returns None)."""
        cpu, st, clock = self.cpu, self.cpu.st, self.clock
        limit = None if max_insns is None else self.executed + max_insns
        self._time_limit = None if max_ns is None else clock.now + max_ns
        self._stop = None
        if self.realtime:
            self._rt_host0 = time.perf_counter_ns()
            self._rt_virt0 = clock.now
        while self._stop is None:
            budget = SLICE
            deadline = clock.next_deadline()
            if deadline is not None:
                budget = min(budget, clock.insns_until(deadline))
            if limit is not None:
                if self.executed >= limit:
                    return None
                budget = min(budget, limit - self.executed)
            if self._time_limit is not None:
                if clock.now >= self._time_limit:
                    return None
                budget = min(budget, clock.insns_until(self._time_limit))
            if self.step_trace:
                budget = 1
                self._trace_step()
            before = int(st[S.ICOUNT])
            reason = cpu.run(budget)
            self.executed += int(st[S.ICOUNT]) - before
            self._handle_exit(reason)
            if self._reset_pending:
                self._reset_pending = False
                if self.config.no_reboot:
                    self.stop(STATUS_OK, "the guest reset the machine (-no-reboot)")
                    break
                self.reset()
            clock.run_due()
            if self.realtime:
                self._pace()
            st[S.INTR] = 1 if self.pic.intr else 0  # the core finishes an answered IN first
        return self._stop

    def _handle_exit(self, reason: int) -> None:
        cpu, st = self.cpu, self.cpu.st
        if reason == S.EXIT_BUDGET:
            return
        if reason == S.EXIT_IO_IN:
            cpu.complete_in(self.bus.read(int(st[S.IO_PORT]), int(st[S.IO_SIZE])))
        elif reason == S.EXIT_IO_OUT:
            self.bus.write(int(st[S.IO_PORT]), int(st[S.IO_SIZE]), int(st[S.IO_VALUE]))
        elif reason == S.EXIT_INTR:
            if self.pic.intr:
                vector = self.pic.acknowledge()
                if self.trace_int:
                    self.log(f"hardware interrupt {vector:02X}h at {cpu.exit_location()}")
                cpu.deliver_interrupt(vector)
        elif reason == S.EXIT_HLT:
            self._idle()
        elif reason == S.EXIT_BIOS:
            if self.bios_service is None:
                self.stop(STATUS_BIOS, cpu.describe_exit(reason) + " (no BIOS service is loaded)")
            else:
                if self.trace_int:
                    self.log(f"BIOS service {int(st[S.EXIT_ARG]):02X}h AX={cpu['ax']:04X} "
                             f"BX={cpu['bx']:04X} CX={cpu['cx']:04X} DX={cpu['dx']:04X}")
                self.bios_service(self, int(st[S.EXIT_ARG]))
        elif reason == S.EXIT_SHUTDOWN:
            if self.config.no_reboot:
                self.stop(STATUS_SHUTDOWN, "the guest triple-faulted (CPU shutdown) at "
                          f"{cpu.exit_location()} (-no-reboot): {cpu.fault_chain()}")
            else:
                self.log(f"guest triple fault at {cpu.exit_location()} ({cpu.fault_chain()}): "
                         "resetting")
                self.request_reset()
        elif reason == S.EXIT_UNIMPL:
            self.stop(STATUS_UNIMPLEMENTED, cpu.describe_exit(reason))
        elif reason == S.EXIT_BAD_FETCH:
            self.stop(STATUS_BAD_FETCH, cpu.describe_exit(reason))
        else:
            raise RuntimeError(f"unknown CPU exit reason {reason}")

    def _trace_step(self) -> None:
        items = self.config.log_items
        cpu = self.cpu
        if "cpu" in items:
            self.log(cpu.describe_registers())
        if "in_asm" in items:
            self.log(cpu.describe_next())
        elif "exec" in items:
            self.log(f"exec {cpu.describe_next().split()[0]}")

    def _idle(self) -> None:
        """The CPU halted: move virtual time to the next event (sleeping in realtime mode)."""
        st = self.cpu.st
        if not st[S.EFLAGS] & S.IF:
            self.stop(STATUS_HALTED, f"the guest halted with interrupts disabled at "
                      f"{self.cpu.exit_location()}")
            return
        deadline = self.clock.next_deadline()
        if deadline is None:
            if not self._host_inputs():
                self.stop(STATUS_HALTED, "the guest halted with no interrupt source armed at "
                          f"{self.cpu.exit_location()}")
                return
            deadline = self.clock.now + 10_000_000       # look for host input every 10 ms
        if self._time_limit is not None:
            deadline = min(deadline, max(self._time_limit, self.clock.now))
        if self.realtime:
            ahead = (deadline - self._rt_virt0) - (time.perf_counter_ns() - self._rt_host0)
            if ahead > 0:
                time.sleep(min(ahead, 50_000_000) / 1e9)
                host_now = self._rt_virt0 + time.perf_counter_ns() - self._rt_host0
                deadline = min(deadline, max(host_now, self.clock.now))
        self.clock.advance_to(deadline)

    def _host_inputs(self) -> bool:
        """Whether input can still arrive from the host (a window, or a serial back end that reads)."""
        return self.interactive or any(b.can_read for b in self.backends)

    def _pace(self) -> None:
        """Realtime mode: keep virtual time within a few ms of the host clock."""
        virt = self.clock.now - self._rt_virt0
        host = time.perf_counter_ns() - self._rt_host0
        if virt > host + 2_000_000:
            time.sleep(min(virt - host, 50_000_000) / 1e9)
        elif host > virt + 20_000_000:
            # the guest runs slower than nominal: skip ahead, but never past the next event
            target = self._rt_virt0 + host
            deadline = self.clock.next_deadline()
            if deadline is not None:
                target = min(target, deadline)
            self.clock.advance_to(target)

    def close(self) -> None:
        """Release host resources (files, sockets, terminal modes); pending serial output is sent."""
        if not self.backends:
            return
        for uart in self.uarts:
            uart.flush_to_host()
        for b in self.backends:
            b.close()
        self.backends.clear()

    # --- save / restore ------------------------------------------------------------------
    def save_state(self) -> bytes:
        """The whole machine as a snapshot (see :mod:`emulator.snapshot`)."""
        cpu = self.cpu
        state: dict[str, Any] = {
            "machine": {"ram_size": self.config.ram_size, "cpu": cpu.model.name,
                        "executed": self.executed, "a20_kbc": self.a20_kbc,
                        "a20_port92": self.a20_port92},
            "cpu": {"st": cpu.st, "pmap": cpu.pmap, "ram": cpu.ram, "vga_planes": cpu.vga_planes,
                    "vga_regs": cpu.vga_regs},
            "clock": self.clock.save_state(),
            "devices": {dev.NAME: {"version": dev.STATE_VERSION, "state": dev.save_state()}
                        for dev in self.devices if dev.STATE_FIELDS},
            "irq_lines": [line.level for line in self.irq],
        }
        disks = getattr(self.bios, "disks", None)
        if disks is not None:
            state["disks"] = disks.save_state()
        return snapshot.dumps(state)

    def load_state(self, data: bytes) -> None:
        """Restore a snapshot taken by :meth:`save_state` on a machine built the same way."""
        state = snapshot.loads(data)
        m = state["machine"]
        cpu = self.cpu
        if m["ram_size"] != self.config.ram_size or m["cpu"] != cpu.model.name:
            raise snapshot.SnapshotError(
                f"snapshot of a {m['cpu']} machine with {m['ram_size'] // (1 << 20)} MiB; this machine "
                f"is a {cpu.model.name} with {self.config.ram_size // (1 << 20)} MiB")
        devices = {dev.NAME: dev for dev in self.devices if dev.STATE_FIELDS}
        if set(devices) != set(state["devices"]):
            raise snapshot.SnapshotError(f"snapshot devices {sorted(state['devices'])} differ from "
                                         f"this machine's {sorted(devices)}")
        for name, saved in state["devices"].items():
            devices[name].load_state(saved["state"], saved["version"])
        cpu.st[:] = state["cpu"]["st"]
        cpu.pmap[:] = state["cpu"]["pmap"]
        cpu.ram[:] = state["cpu"]["ram"]
        cpu.vga_planes[:] = state["cpu"]["vga_planes"]
        cpu.vga_regs[:] = state["cpu"]["vga_regs"]
        self.clock.load_state(state["clock"])
        for line, level in zip(self.irq, state["irq_lines"], strict=True):
            line.level = int(level)
        disks = getattr(self.bios, "disks", None)
        if disks is not None and "disks" in state:
            disks.load_state(state["disks"])
        self.executed = int(m["executed"])
        self.a20_kbc, self.a20_port92 = bool(m["a20_kbc"]), bool(m["a20_port92"])


def _rtc_base(text: str):
    try:
        return parse_rtc_base(text)
    except ValueError as e:
        raise MachineError(f"-rtc base={text}: {e}") from None


def _linux_boot(config: Config) -> LinuxBoot | None:
    """The load plan of ``-kernel`` (None without it); MachineError for a file it cannot boot."""
    if config.kernel is None:
        return None
    if config.bios is not None:
        raise MachineError("-kernel needs pyx86's own BIOS: it cannot be used with -bios")
    top = linuxboot.ram_top(config.ram_size, config.cpu.address_bits)
    try:
        return linuxboot.plan_from_files(config.kernel, config.initrd, config.append, top)
    except linuxboot.LinuxBootError as e:
        raise MachineError(str(e)) from None
