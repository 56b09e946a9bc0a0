"""The PC platform end to end: guests in ROM (``-bios``) driving the real chipset models."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from emulator import machine as M
from emulator.blockdev import DiskError
from emulator.chardev import BufferBackend, NullBackend
from emulator.cli import Config
from emulator.cpu import state as S
from emulator.cpu.models import get_model
from emulator.snapshot import SnapshotError
from tests.guests import rom_from_source, rom_image

REPO = Path(__file__).resolve().parent.parent
RTC_BASE = "2024-02-29T23:59:58"
PLATFORM_REPORT = b"TICKS=0064 LOOP=5 RTC=20240229 235958 SPUR=0000\r\n"
DEBUG_EXIT = (("isa-debug-exit", {"iobase": 0xF4, "iosize": 4}),)


def make_config(tmp_path: Path, rom: bytes, **changes) -> Config:
    path = tmp_path / "guest.rom"
    path.write_bytes(rom)
    cfg = Config(cpu=get_model("pentiumpro"), ram_size=32 << 20, bios=path, display="none",
                 rtc_base=RTC_BASE, devices=DEBUG_EXIT)
    return dataclasses.replace(cfg, **changes)


def boot(tmp_path: Path, source: str, max_insns: int = 2_000_000, serial=None, **changes):
    """Build a machine whose ROM is ``source``; run it; return (machine, stop, serial output)."""
    serial = serial or BufferBackend()
    m = M.Machine(make_config(tmp_path, rom_from_source(source), **changes), serial=[serial],
                  log=lambda text: None)
    stop = m.run(max_insns, max_ns=10_000_000_000)
    return m, stop, bytes(getattr(serial, "output", b""))


# --- the end-to-end guest ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def platform_rom() -> bytes:
    return rom_image("platform")


def run_platform(tmp_path: Path, rom: bytes, chunk: int | None = None, ram_size: int = 32 << 20):
    serial = BufferBackend()
    cfg = make_config(tmp_path, rom, ram_size=ram_size)
    m = M.Machine(cfg, serial=[serial])
    if chunk is None:
        stop = m.run(5_000_000)
    else:
        # save and restore into a newly built machine every `chunk` instructions
        while (stop := m.run(chunk)) is None and m.executed < 5_000_000:
            data = m.save_state()
            m = M.Machine(cfg, serial=[serial])
            m.load_state(data)
    m.close()
    return m, stop, bytes(serial.output)


def test_platform_guest(tmp_path, platform_rom):
    """PIC + PIT interrupts counted in an ISR, RTC, UART loopback and output, debug exit."""
    m, stop, out = run_platform(tmp_path, platform_rom)
    assert out == PLATFORM_REPORT
    assert stop == M.Stop(0x43, "")
    # 100 ticks at 1193182/1193 Hz: virtual time passed the 100th rising edge of OUT0, 99
    # periods of 0.99985 ms after the first (the report itself leaves at once: no baud pacing)
    assert 98_980_000 < m.clock.now < 110_000_000
    assert m.executed < 1_000_000            # HLT skipped the idle time instead of spinning


def test_platform_guest_is_deterministic(tmp_path, platform_rom):
    a, stop_a, out_a = run_platform(tmp_path, platform_rom)
    b, stop_b, out_b = run_platform(tmp_path, platform_rom)
    assert (a.executed, a.clock.now, stop_a, out_a) == (b.executed, b.clock.now, stop_b, out_b)
    assert np.array_equal(a.cpu.st, b.cpu.st) and np.array_equal(a.cpu.ram, b.cpu.ram)


@pytest.mark.parametrize("chunk", [1999, 50_021])
def test_save_restore_while_running(tmp_path, platform_rom, chunk):
    """Snapshots taken every `chunk` instructions and restored into a new machine change nothing."""
    ref, ref_stop, ref_out = run_platform(tmp_path, platform_rom, ram_size=2 << 20)
    m, stop, out = run_platform(tmp_path, platform_rom, chunk, ram_size=2 << 20)
    assert (stop, out) == (ref_stop, ref_out)
    assert (m.executed, m.clock.now) == (ref.executed, ref.clock.now)
    assert np.array_equal(m.cpu.st, ref.cpu.st) and np.array_equal(m.cpu.ram, ref.cpu.ram)


def test_snapshot_refuses_other_machines(tmp_path, platform_rom):
    m = M.Machine(make_config(tmp_path, platform_rom), serial=[BufferBackend()])
    data = m.save_state()
    other = M.Machine(make_config(tmp_path, platform_rom, ram_size=16 << 20), serial=[BufferBackend()])
    with pytest.raises(SnapshotError, match="16 MiB"):
        other.load_state(data)
    with pytest.raises(SnapshotError):
        m.load_state(b"not a snapshot")


def test_cli_runs_a_rom_guest(tmp_path, platform_rom):
    rom = tmp_path / "platform.rom"
    rom.write_bytes(platform_rom)
    out = tmp_path / "com1.txt"
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "-bios", str(rom), "-display", "none", "-serial",
         f"file:{out}", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-rtc", f"base={RTC_BASE}"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0x43, done.stderr
    assert out.read_bytes() == PLATFORM_REPORT
    assert done.stderr == ""


# --- memory map and A20 ------------------------------------------------------------------------
MEMMAP_PROBE = """
    xor ax, ax
    mov ds, ax
    mov ax, 0xF000
    mov es, ax
    mov byte ptr es:[0x100], 0x55      ; ROM: ignored
    mov al, byte ptr es:[0x100]
    mov byte ptr [0x600], al
    mov ax, 0xC000
    mov es, ax
    mov al, byte ptr es:[0x10]         ; no option ROM: all ones
    mov byte ptr [0x601], al
    mov ax, 0xB800
    mov es, ax
    mov word ptr es:[0], 0x1F41        ; the text buffer is memory
    mov ax, word ptr es:[0]
    mov word ptr [0x602], ax
    mov ax, 0xFFFF
    mov es, ax
    mov byte ptr [0x10], 0xAA          ; linear 000010h
    mov byte ptr es:[0x20], 0xBB       ; linear 100010h, or 000010h when A20 is off
    mov al, 0xD1                       ; 8042: write output port, A20 off (bit 0 = no reset)
    out 0x64, al
    mov al, 0xDD
    out 0x60, al
    mov al, 0                          ; and port 92h too: A20 is the OR of both
    out 0x92, al
    mov al, byte ptr es:[0x20]
    mov byte ptr [0x604], al           ; A20 off: reads linear 000010h
    mov al, 2
    out 0x92, al
    mov al, byte ptr es:[0x20]
    mov byte ptr [0x605], al
    cli
    hlt
"""


def test_memory_map_and_a20(tmp_path):
    m, stop, _ = boot(tmp_path, MEMMAP_PROBE)
    ram = m.cpu.ram
    assert stop.status == M.STATUS_HALTED
    assert ram[0x600] == 0xFF                       # the ROM (FFh filler there) ignored the write
    assert ram[0x601] == 0xFF
    assert int(ram[0x602]) | int(ram[0x603]) << 8 == 0x1F41
    assert ram[0x10] == 0xAA and ram[0x100010] == 0xBB   # A20 on: FFFF:0020 is 100010h
    assert ram[0x604] == 0xAA                            # A20 off: it wraps to 000010h
    assert ram[0x605] == 0xBB                            # on again through port 92h


def test_a20_gate_sources(tmp_path):
    m, _, _ = boot(tmp_path, "cli\nhlt")
    assert m.cpu.a20
    m.bus.write(0x92, 1, 0)                          # port 92h clear, 8042 still on
    assert m.cpu.a20
    m.bus.write(0x64, 1, 0xD1)                       # 8042: write output port, A20 off
    m.bus.write(0x60, 1, 0xDD)
    assert not m.cpu.a20
    m.bus.write(0x92, 1, 2)                          # fast A20 on
    assert m.cpu.a20
    m.bus.write(0x92, 1, 0)
    assert not m.cpu.a20
    assert m.cpu.st[S.A20_MASK] == 0xFFEFFFFF


def test_bios_alias_at_top_of_4g(tmp_path):
    m, _, _ = boot(tmp_path, "cli\nhlt")
    # the first instruction came from FFFFFFF0h, i.e. the ROM's far jump
    assert m.cpu.read_phys(0xFFFF0, 5) == bytes((0xEA, 0x00, 0x00, 0x00, 0xF0))
    assert m.cpu.pmap[0xFFFFF] == S.PG_BIOS_ALIAS and m.cpu.pmap[0xF0] == S.PG_ROM


# --- stops, resets and errors --------------------------------------------------------------------
RESET_TWICE = """
    mov al, 0x8F                       ; CMOS 0Fh (shutdown status), NMI off
    out 0x70, al
    in al, 0x71
    inc al
    mov ah, al
    mov al, 0x8F
    out 0x70, al
    mov al, ah
    out 0x71, al
    out 0x80, al                       ; POST code = boot number
    cmp ah, 3
    je done
    {reset}
    hlt
done:
    mov al, 0x07
    out 0xF4, al
"""


@pytest.mark.parametrize("reset", [
    "mov al, 0xFE\nout 0x64, al",                          # 8042: pulse the reset line
    "mov al, 1\nout 0x92, al",                             # port 92h fast reset
    # a real-mode triple fault: an IDT limit of 0 makes INT3 fault, then #DF, then shutdown
    "mov word ptr [0x7000], 0\nmov word ptr [0x7002], 0\nmov word ptr [0x7004], 0\nlidt [0x7000]\nint3",
])
def test_reset_runs_the_rom_again(tmp_path, reset):
    m, stop, _ = boot(tmp_path, RESET_TWICE.format(reset=reset))
    assert stop == M.Stop(0x0F, "")
    assert m.port80.codes == [1, 2, 3]


def test_no_reboot_exits(tmp_path):
    m, stop, _ = boot(tmp_path, RESET_TWICE.format(reset="mov al, 0xFE\nout 0x64, al"), no_reboot=True)
    assert stop.status == M.STATUS_OK and "-no-reboot" in stop.message
    assert m.port80.codes == [1]


def test_triple_fault_with_no_reboot(tmp_path):
    source = "xor ax, ax\nmov ds, ax\nmov word ptr [0x7000], 0\nlidt [0x7000]\nint3"
    m, stop, _ = boot(tmp_path, source, no_reboot=True)
    assert stop.status == M.STATUS_SHUTDOWN and "triple" in stop.message and "F000:" in stop.message
    # the fault chain: INT3 cannot reach its vector (#GP), neither can #GP (#DF), nor #DF
    assert stop.message.endswith("#0D at F000:0000000F -> #08 at F000:0000000F -> shutdown"), stop.message


def test_a_failed_build_closes_the_back_ends_it_opened(tmp_path):
    """A bad disk image found after -serial opened its back end (a raw terminal, say) leaves
    nothing open behind the error."""
    class Recording(NullBackend):
        closed = False

        def close(self) -> None:
            self.closed = True

    backend = Recording()
    cfg = make_config(tmp_path, rom_from_source("hlt"), hda=tmp_path / "missing.img")
    with pytest.raises(DiskError, match="missing.img"):
        M.Machine(cfg, serial=[backend])
    assert backend.closed


def test_halt_with_interrupts_off(tmp_path):
    _, stop, _ = boot(tmp_path, "cli\nhlt")
    assert stop.status == M.STATUS_HALTED and "interrupts disabled" in stop.message


def test_halt_with_nothing_armed(tmp_path):
    _, stop, _ = boot(tmp_path, "sti\nhlt", serial=NullBackend())
    assert stop.status == M.STATUS_HALTED and "no interrupt source" in stop.message


def test_halt_waiting_for_host_input_respects_time_limit(tmp_path):
    """A serial back end that can still deliver input keeps an idle guest alive until the limit."""
    m, stop, _ = boot(tmp_path, "sti\nhlt")
    assert stop is None and m.clock.now >= 10_000_000_000


def test_budget_returns_none(tmp_path):
    m, stop, _ = boot(tmp_path, "spin:\njmp spin", max_insns=12345)
    assert stop is None and m.executed == 12345


def test_debugcon_and_post_codes(tmp_path):
    con = BufferBackend()
    src = "mov al, 0x48\nout 0xE9, al\nmov al, 0x69\nout 0xE9, al\nin al, 0xE9\nout 0x80, al\ncli\nhlt"
    m = M.Machine(make_config(tmp_path, rom_from_source(src)), serial=[BufferBackend()], debugcon=con)
    m.run(1000)
    assert bytes(con.output) == b"Hi" and m.port80.codes == [0xE9] and m.port80.last == 0xE9


def test_bad_machine_configs(tmp_path):
    with pytest.raises(M.MachineError, match="BIOS image"):
        M.Machine(make_config(tmp_path, b"\x00" * (M.BIOS_MAX + 1)))
    with pytest.raises(M.MachineError, match="-serial"):
        M.Machine(make_config(tmp_path, b"\x90", serial=("pipe:x",)))
    with pytest.raises(M.MachineError, match="at most 2"):
        M.Machine(make_config(tmp_path, b"\x90"), serial=[BufferBackend()] * 3)


def test_port_hammering_never_crashes(tmp_path):
    """Every port, read and written with random values at every width, through the machine's bus."""
    m, _, _ = boot(tmp_path, "cli\nhlt")
    rng = np.random.default_rng(7)
    for port in range(0x10000):
        for size in (1, 2, 4):
            m.bus.write(port, size, int(rng.integers(0, 1 << (8 * size))))
            value = m.bus.read(port, size)
            assert 0 <= value < 1 << (8 * size)
    m.clock.run_due()
    assert isinstance(m.pic.intr, bool)


def test_trace_items(tmp_path):
    """-d in_asm,cpu logs each instruction before it runs; -d int logs hardware interrupts."""
    lines: list[str] = []
    cfg = make_config(tmp_path, rom_from_source("xor ax, ax\nmov bx, 0x1234\ncli\nhlt"),
                      log_items=frozenset({"in_asm", "cpu", "int"}))
    m = M.Machine(cfg, serial=[NullBackend()], log=lines.append)
    stop = m.run(100)
    assert stop.status == M.STATUS_HALTED
    asm = [line for line in lines if line.startswith("F000:")]
    assert asm[0] == "F000:0000FFF0  EA 00 00 00 F0 (ljmp 0xf000:0)"
    assert asm[1:] == ["F000:00000000  31 C0 (xor ax, ax)", "F000:00000002  BB 34 12 (mov bx, 0x1234)",
                       "F000:00000005  FA (cli)", "F000:00000006  F4 (hlt)"]
    assert any(line.startswith("EAX=00000000") and "EBX=00001234" in line for line in lines)


def test_realtime_clock_paces_to_the_host(tmp_path, platform_rom):
    """-rtc clock=host: the 100 ms of timer ticks the guest waits for take 100 ms of wall time."""
    import time

    m = M.Machine(make_config(tmp_path, platform_rom, rtc_clock="host"), serial=[BufferBackend()])
    start = time.perf_counter()
    stop = m.run(5_000_000)
    assert stop == M.Stop(0x43, "")
    assert time.perf_counter() - start >= 0.09    # a lower bound only: pacing never runs ahead


def test_cli_screendump_at_exit(tmp_path):
    """-screendump writes the text screen as a PNG when the guest ends the run."""
    rom = tmp_path / "hello.rom"
    rom.write_bytes(rom_from_source("""
        mov ax, 0xB800
        mov es, ax
        mov word ptr es:[0], 0x1F48
        mov word ptr es:[2], 0x1F69
        mov al, 0
        out 0xF4, al
    """))
    png = tmp_path / "screen.png"
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "-bios", str(rom), "-display", "none", "-screendump", str(png),
         "-device", "isa-debug-exit,iobase=0xf4,iosize=4"],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tsc_follows_skipped_idle_time(tmp_path):
    """RDTSC counts virtual time at the nominal 100 MHz, idle time skipped by HLT included."""
    src = "rdtsc\nmov esi, eax\nmov edi, edx\nhlt\nrdtsc\nhlt"
    m, stop, _ = boot(tmp_path, src, max_insns=5)          # the reset JMP, then up to HLT
    first = (m.cpu["edi"] << 32) | m.cpu["esi"]
    m.clock.advance_to(m.clock.now + 54_925_000)            # what HLT does while idle
    m.cpu.st[S.HALTED] = 0
    m.cpu.run(1)                                          # the second RDTSC
    second = (m.cpu["edx"] << 32) | m.cpu["eax"]
    assert second - first == 5_492_500 + 4    # + the 4 instructions from one RDTSC to the next
