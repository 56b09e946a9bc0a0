"""The core's VBE memory paths: the linear framebuffer (page kind PG_LFB) and the
64 KiB bank window at A0000h (``emulator/cpu/vgamem.py``), VBE 2.0 functions 02h/05h."""

from __future__ import annotations

import keystone

from emulator.cpu import state as S
from emulator.cpu.cpu import CPU

LFB = S.LFB_PHYS


def flat_cpu(source: str) -> CPU:
    """A flat 32-bit CPU with the LFB mapped, running ``source`` from 1000h up to HLT."""
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_32)
    code = bytes(ks.asm(source, 0x1000)[0]) + b"\xf4"
    cpu = CPU(ram_size=2 << 20)
    cpu.set_page_kind(LFB, LFB + S.VRAM_SIZE, S.PG_LFB)
    cpu.set_flat32()
    cpu.write_phys(0x1000, code)
    cpu.st[S.EIP] = 0x1000
    cpu.st[S.ESP] = 0x8000
    return cpu


def run(cpu: CPU) -> None:
    assert cpu.run(100_000) == S.EXIT_HLT


def test_lfb_reads_and_writes_reach_vram() -> None:
    cpu = flat_cpu(f"mov dword ptr [{LFB + 0x10:#x}], 0x11223344; "
                   f"mov eax, dword ptr [{LFB + 0x12:#x}]; "
                   f"mov word ptr [{LFB + 0xFFFFFF:#x}], 0x5566")   # top byte unbacked
    cpu.vram[0x14] = 0x77
    run(cpu)
    assert bytes(cpu.vram[0x10:0x14]) == bytes([0x44, 0x33, 0x22, 0x11])
    assert cpu["eax"] & 0xFFFFFF == 0x771122
    assert cpu.vram[S.VRAM_SIZE - 1] == 0x66


def test_rep_stosd_fills_the_framebuffer_across_pages() -> None:
    cpu = flat_cpu(f"mov edi, {LFB + 0xFF0:#x}; mov ecx, 0x1000; mov eax, 0xAABBCCDD; cld; rep stosd")
    run(cpu)
    words = cpu.vram[0xFF0:0xFF0 + 0x4000].view("<u4")
    assert (words == 0xAABBCCDD).all()
    assert cpu.vram[0xFEF] == 0 and cpu.vram[0x4FF0] == 0


def test_paged_mapping_of_the_framebuffer() -> None:
    cpu = flat_cpu("mov byte ptr [0x400123], 0x9C; mov al, byte ptr [0x401000]")
    pd, pt = 0x10000, 0x11000
    ram = cpu.ram
    ram[pd:pd + 4] = list((pt | 0x3).to_bytes(4, "little"))            # 0-4 MiB: identity
    ram[pd + 4:pd + 8] = list((pt + 0x1000 | 0x3).to_bytes(4, "little"))  # 4-8 MiB: the LFB
    for i in range(1024):
        ram[pt + 4 * i:pt + 4 * i + 4] = list((i << 12 | 0x3).to_bytes(4, "little"))
        ram[pt + 0x1000 + 4 * i:pt + 0x1004 + 4 * i] = list((LFB + (i << 12) | 0x3).to_bytes(4, "little"))
    cpu.vram[0x1000] = 0x42
    cpu.st[S.CR3] = pd
    cpu.write_cr(0, int(cpu.st[S.CR0]) | S.CR0_PE | S.CR0_PG)
    run(cpu)
    assert cpu.vram[0x123] == 0x9C
    assert cpu["al"] == 0x42


def test_bank_window_maps_64k_of_vram() -> None:
    cpu = CPU(ram_size=2 << 20)
    cpu.set_page_kind(0xA0000, 0xB0000, S.PG_VGA)
    regs = cpu.vga_regs
    regs[S.VGA_VBE] = 1
    regs[S.VGA_VBE_BANK] = 3
    cpu.vga_write(0xA0005, 0xAB)
    assert cpu.vram[3 * 0x10000 + 5] == 0xAB
    assert cpu.vga_read(0xA0005) == 0xAB
    regs[S.VGA_VBE_BANK + 1] = 1                    # bank 259: past 16 MiB
    cpu.vga_write(0xA0000, 0x11)                    # ignored
    assert cpu.vga_read(0xA0000) == 0xFF
    regs[S.VGA_VBE] = 0                             # back to the VGA planes
    regs[S.VGA_SEQ_MAP_MASK] = 0xF
    regs[S.VGA_SEQ_MEM_MODE] = 0x06
    regs[S.VGA_GC + 6] = 0x05
    regs[S.VGA_GC + 8] = 0xFF
    cpu.vga_write(0xA0005, 0x3C)
    assert list(cpu.vga_planes[:, 5]) == [0x3C] * 4
    assert cpu.vram[3 * 0x10000 + 5] == 0xAB
