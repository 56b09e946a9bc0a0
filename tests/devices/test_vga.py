"""The VGA register file (devices/vga.py) against the IBM VGA Technical Reference."""

from __future__ import annotations

import numpy as np
import pytest

from devices.vga import LINE_NS, VGA
from emulator.cpu import state as S
from emulator.portbus import PortBus


@pytest.fixture
def vga(fake_time):
    regs = np.zeros(32, dtype=np.uint8)
    dev = VGA(fake_time.clock, regs)
    bus = PortBus()
    bus.attach(dev)
    dev.bus = bus
    return dev


def test_sequencer_and_graphics_registers_reach_the_memory_path(vga):
    bus = vga.bus
    bus.write(0x3C4, 2, 0x0F02)                 # word OUT: index 2, data 0Fh (map mask)
    bus.write(0x3C4, 1, 4)
    bus.write(0x3C5, 1, 0x06)
    bus.write(0x3CE, 2, 0xFF08)                 # bit mask
    bus.write(0x3CE, 2, 0x0305)                 # write mode 3
    assert vga.regs[S.VGA_SEQ_MAP_MASK] == 0x0F and vga.regs[S.VGA_SEQ_MEM_MODE] == 0x06
    assert vga.regs[S.VGA_GC + 8] == 0xFF and vga.regs[S.VGA_GC + 5] == 0x03
    bus.write(0x3CE, 1, 5)
    assert bus.read(0x3CF, 1) == 0x03 and bus.read(0x3CE, 1) == 5
    bus.write(0x3C2, 1, 0x67)
    assert bus.read(0x3CC, 1) == 0x67 and vga.regs[S.VGA_MISC_OUT] == 0x67


def test_crtc_follows_the_io_address_select_and_write_protect(vga):
    bus = vga.bus
    bus.write(0x3C2, 1, 0x67)                   # colour: 3D4h
    bus.write(0x3D4, 2, 0x0E0A)                 # cursor start = 0Eh
    assert vga.crtc[0x0A] == 0x0E and bus.read(0x3B5, 1) == 0xFF
    bus.write(0x3D4, 2, 0x8011)                 # protect registers 0-7
    bus.write(0x3D4, 2, 0x5F00)
    bus.write(0x3D4, 2, 0xFF07)
    assert vga.crtc[0] == 0 and vga.crtc[7] == 0x10
    bus.write(0x3C2, 1, 0x66)                   # monochrome: 3B4h
    bus.write(0x3B4, 2, 0x0B0A)
    assert vga.crtc[0x0A] == 0x0B and bus.read(0x3DA, 1) == 0xFF


def test_attribute_flip_flop_is_reset_by_input_status_1(vga):
    bus = vga.bus
    bus.write(0x3C2, 1, 0x67)
    bus.write(0x3C0, 1, 0x01)                   # index 1
    bus.write(0x3C0, 1, 0x3F)                   # data
    assert vga.attr[1] == 0x3F
    bus.write(0x3C0, 1, 0x02)                   # index 2 ...
    bus.read(0x3DA, 1)                          # ... then a status read: back to "index"
    bus.write(0x3C0, 1, 0x23)                   # index 3 with PAS set
    bus.write(0x3C0, 1, 0x15)
    assert vga.attr[3] == 0x15 and vga.attr[2] == 0 and bus.read(0x3C0, 1) == 0x23
    assert bus.read(0x3C1, 1) == 0x15


def test_dac_auto_increment(vga):
    bus = vga.bus
    bus.write(0x3C8, 1, 10)
    for v in (1, 2, 3, 4, 5, 6, 0xFF):
        bus.write(0x3C9, 1, v)
    assert list(vga.dac[10]) == [1, 2, 3] and list(vga.dac[11]) == [4, 5, 6] and vga.dac[12, 0] == 0x3F
    assert bus.read(0x3C8, 1) == 12 and bus.read(0x3C7, 1) == 0
    bus.write(0x3C7, 1, 11)
    assert [bus.read(0x3C9, 1) for _ in range(4)] == [4, 5, 6, 0x3F]
    assert bus.read(0x3C7, 1) == 3
    assert tuple(vga.palette_rgb()[11]) == (16, 20, 24)


def test_input_status_1_retrace_timing(vga, fake_time):
    vga.bus.write(0x3C2, 1, 0x67)               # 400-line timing: 449 lines a frame
    retrace = blank = 0
    samples = 449 * 4
    for _ in range(samples):
        status = vga.bus.read(0x3DA, 1)
        retrace += bool(status & 8)
        blank += bool(status & 1)
        fake_time.advance(LINE_NS // 4)
    assert 7 <= retrace <= 9                    # 2 of 449 lines, sampled 4 times a line
    assert 0.2 < blank / samples < 0.35         # horizontal and vertical blanking


def test_state_round_trip(vga, fake_time):
    bus = vga.bus
    bus.write(0x3C4, 2, 0x0302)
    bus.write(0x3C8, 1, 7)
    bus.write(0x3C9, 1, 9)
    saved = vga.save_state()
    other = VGA(fake_time.clock, np.zeros(32, dtype=np.uint8))
    other.load_state(saved, VGA.STATE_VERSION)
    assert other.regs[S.VGA_SEQ_MAP_MASK] == 3 and other.dac_component == 1 and other.dac[7, 0] == 9


def test_any_port_value_is_harmless(vga):
    rng = np.random.default_rng(3)
    ports = [p for first, n in vga.port_ranges() for p in range(first, first + n)]
    for _ in range(20000):
        port = int(rng.choice(ports))
        if rng.random() < 0.5:
            vga.bus.write(port, 1, int(rng.integers(0, 256)))
        else:
            assert 0 <= vga.bus.read(port, 1) <= 0xFF


def test_window_routing_follows_memory_mode_and_map_select(fake_time):
    windows: list[tuple[int, int]] = []
    vga = VGA(fake_time.clock, np.zeros(32, dtype=np.uint8), lambda a, b: windows.append((a, b)))
    bus = PortBus()
    bus.attach(vga)
    assert windows == [(0, 0)]                  # power-on: odd/even, the window is RAM
    bus.write(0x3CE, 2, 0x0506)                 # graphics, A0000-AFFFF
    bus.write(0x3C4, 2, 0x0E04)                 # chain 4 (mode 13h)
    assert windows[-1] == (0xA0000, 0xB0000)
    bus.write(0x3C4, 2, 0x0604)                 # sequential planar: same window, no new call
    assert windows[-1] == (0xA0000, 0xB0000) and len(windows) == 2
    bus.write(0x3CE, 2, 0x0106)                 # 128 KiB map
    assert windows[-1] == (0xA0000, 0xC0000)
    bus.write(0x3C4, 2, 0x0204)                 # odd/even again (text, CGA): RAM
    assert windows[-1] == (0, 0)


def test_machine_routes_guest_writes_to_the_planes(tmp_path):
    """Mode-13h-style registers through the ports, then a guest store at A000:0010."""
    from emulator.cpu import state as S
    from tests.bios_harness import BiosBox

    box = BiosBox()
    bus, cpu = box.machine.bus, box.cpu
    bus.write(0x3C4, 2, 0x0F02)
    bus.write(0x3CE, 2, 0x0506)
    bus.write(0x3CE, 2, 0x4005)
    bus.write(0x3C4, 2, 0x0E04)
    assert cpu.pmap[0xA0] == S.PG_VGA and cpu.pmap[0xB8] == S.PG_RAM
    cpu.write_phys(0x7E00, bytes((0xB8, 0x00, 0xA0, 0x8E, 0xC0, 0x26, 0xC6, 0x06, 0x12, 0x00, 0x2A, 0xCF)))
    # mov ax, 0A000h; mov es, ax; mov byte es:[0012h], 2Ah; iret  -- called as INT 60h below
    box.bios.set_vector(0x60, 0, 0x7E00)
    box.call(0x60)
    assert cpu.vga_planes[2, 0x10] == 0x2A and cpu.ram[0xA0012] == 0
