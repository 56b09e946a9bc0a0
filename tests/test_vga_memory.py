"""The core's VGA display-memory path (``emulator/cpu/vgamem.py``) against the IBM VGA reference."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.cpu import state as S
from emulator.cpu.cpu import CPU
from tests.guests import assemble16

GC = S.VGA_GC


@pytest.fixture
def cpu() -> CPU:
    c = CPU(ram_size=2 << 20)
    c.set_page_kind(0xA0000, 0xC0000, S.PG_VGA)
    regs = c.vga_regs
    regs[S.VGA_SEQ_MAP_MASK] = 0x0F
    regs[S.VGA_SEQ_MEM_MODE] = 0x06          # planar (odd/even off), extended memory
    regs[GC + 6] = 0x05                      # graphics, memory map A0000-AFFFF
    regs[GC + 8] = 0xFF                      # bit mask: all bits from the CPU
    return c


def gc(cpu: CPU, index: int, value: int) -> None:
    cpu.vga_regs[GC + index] = value


def test_write_mode_0_all_planes_and_dirty(cpu):
    cpu.vga_write(0xA0010, 0x5A)
    assert list(cpu.vga_planes[:, 0x10]) == [0x5A] * 4
    assert cpu.vga_regs[S.VGA_DIRTY] == 1


def test_map_mask_selects_planes(cpu):
    cpu.vga_regs[S.VGA_SEQ_MAP_MASK] = 0b0101
    cpu.vga_write(0xA0000, 0xFF)
    assert list(cpu.vga_planes[:, 0]) == [0xFF, 0, 0xFF, 0]


def test_set_reset_and_bit_mask(cpu):
    cpu.vga_planes[:, 4] = 0xF0
    cpu.vga_read(0xA0004)                    # load the latches
    gc(cpu, 0, 0b0011)                       # set/reset: planes 0, 1 set
    gc(cpu, 1, 0b0111)                       # enable set/reset for planes 0-2
    gc(cpu, 8, 0x0F)                         # only the low nibble from the new data
    cpu.vga_write(0xA0004, 0x00)
    # planes 0, 1: 0xFF under the mask; plane 2: 0x00 under the mask; plane 3: CPU data 0x00
    assert list(cpu.vga_planes[:, 4]) == [0xFF, 0xFF, 0xF0, 0xF0]


def test_rotate_and_logical_functions(cpu):
    cpu.vga_planes[:, 0] = 0b1100_1100
    cpu.vga_read(0xA0000)
    gc(cpu, 3, (1 << 3) | 1)                 # AND with the latches, rotate right by 1
    cpu.vga_write(0xA0000, 0b0000_0011)      # rotated: 1000_0001
    assert cpu.vga_planes[0, 0] == 0b1000_0000
    gc(cpu, 3, 3 << 3)                       # XOR, no rotation; the latches still hold 0xCC
    cpu.vga_write(0xA0001, 0xFF)
    assert cpu.vga_planes[0, 1] == 0x33


def test_write_mode_1_copies_latches(cpu):
    cpu.vga_planes[:, 0x100] = [1, 2, 3, 4]
    cpu.vga_read(0xA0100)
    gc(cpu, 5, 1)
    cpu.vga_write(0xA0200, 0x99)
    assert list(cpu.vga_planes[:, 0x200]) == [1, 2, 3, 4]


def test_write_mode_2_colour_and_write_mode_3(cpu):
    gc(cpu, 5, 2)
    gc(cpu, 8, 0x80)
    cpu.vga_read(0xA0000)
    cpu.vga_write(0xA0000, 0b1010)           # colour 10 into the leftmost pixel
    assert list(cpu.vga_planes[:, 0] >> 7) == [0, 1, 0, 1]
    gc(cpu, 5, 3)
    gc(cpu, 8, 0xFF)
    gc(cpu, 0, 0b0110)                       # colour 6 from set/reset
    cpu.vga_read(0xA0001)
    cpu.vga_write(0xA0001, 0x0F)             # CPU data is the bit mask
    assert list(cpu.vga_planes[:, 1]) == [0x00, 0x0F, 0x0F, 0x00]


def test_read_modes(cpu):
    cpu.vga_planes[:, 8] = [0b0110, 0b0110, 0b0110, 0b0010]   # pixel bit 1: colour 15, bit 2: 7
    gc(cpu, 4, 3)
    assert cpu.vga_read(0xA0008) == 0b0010   # read mode 0: the read map select plane
    gc(cpu, 5, 8)                            # read mode 1
    gc(cpu, 2, 0b0111)                       # colour 7
    gc(cpu, 7, 0b1111)
    assert cpu.vga_read(0xA0008) == 0b0100
    gc(cpu, 7, 0b0111)                       # plane 3 does not matter: colours 7 and 15 match
    assert cpu.vga_read(0xA0008) == 0b0110


def test_chain4_and_odd_even(cpu):
    cpu.vga_regs[S.VGA_SEQ_MEM_MODE] = 0x0E  # chain 4
    cpu.vga_write(0xA0000 + 4 * 10 + 2, 0x77)
    assert cpu.vga_planes[2, 40] == 0x77 and cpu.vga_read(0xA0000 + 42) == 0x77
    cpu.vga_regs[S.VGA_SEQ_MEM_MODE] = 0x02  # odd/even, text at B8000
    gc(cpu, 6, 0x0E)
    cpu.vga_regs[S.VGA_SEQ_MAP_MASK] = 0x03
    cpu.vga_write(0xB8000 + 20, ord("A"))
    cpu.vga_write(0xB8000 + 21, 0x1F)
    assert cpu.vga_planes[0, 20] == ord("A") and cpu.vga_planes[1, 20] == 0x1F
    assert cpu.vga_read(0xB8000 + 21) == 0x1F
    assert cpu.vga_read(0xA0000) == 0xFF     # outside the B8000 window


def test_guest_code_goes_through_the_vga_path(cpu):
    """Word stores and REP STOSW from real-mode code reach the planes byte by byte."""
    code = assemble16("""
        mov ax, 0xA000
        mov es, ax
        xor di, di
        mov ax, 0x3412
        mov cx, 4
        rep stosw
        mov bl, byte ptr es:[3]
        hlt
    """)
    cpu.write_phys(0x10000, code)
    cpu["cs"], cpu["ip"] = 0x1000, 0
    assert S.EXIT_NAMES[cpu.run(100)] == "hlt"
    assert bytes(cpu.vga_planes[0, :8]) == bytes.fromhex("1234123412341234")
    assert cpu["bl"] == 0x34
    assert not np.any(cpu.ram[0xA0000:0xA0010])   # RAM under the window is untouched
