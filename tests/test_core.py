"""The CPU core's run loop contract: exit reasons, I/O, interrupts, faults, pure-Python mode."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import keystone
import pytest

from emulator.cpu import state as S
from emulator.cpu.cpu import CPU

ROOT = Path(__file__).resolve().parent.parent
CODE_SEG = 0x100  # programs run at 0100:0000 (physical 0x1000)


def asm16(text: str) -> bytes:
    ks = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_16)
    return bytes(ks.asm(text)[0])


def real_cpu(code: bytes, model: str = "pentiumpro") -> CPU:
    cpu = CPU(ram_size=2 << 20, model=model)
    cpu["cs"] = CODE_SEG
    cpu["ip"] = 0
    cpu["ss"] = 0x9000
    cpu["sp"] = 0xFFFE
    cpu["ds"] = 0x2000
    cpu["es"] = 0x2000
    cpu.write_phys(CODE_SEG * 16, code)
    return cpu


def set_vector(cpu: CPU, vector: int, seg: int, off: int) -> None:
    cpu.write_phys(vector * 4, bytes([off & 0xFF, off >> 8, seg & 0xFF, seg >> 8]))


def test_program_runs_to_hlt() -> None:
    code = asm16("mov cx, 10; xor ax, ax; l: add ax, cx; push ax; pop bx; loop l; hlt")
    cpu = real_cpu(code)
    assert cpu.run(1000) == S.EXIT_HLT
    assert cpu["ax"] == 55 and cpu["bx"] == 55 and cpu["cx"] == 0
    assert cpu["ip"] == len(code)
    assert cpu.icount == 2 + 4 * 10 + 1
    # a halted CPU stays halted until an interrupt arrives
    assert cpu.run(10) == S.EXIT_HLT and cpu.icount == 43


def test_budget_exit_is_exact() -> None:
    cpu = real_cpu(asm16("l: inc ax; jmp l"))
    assert cpu.run(7) == S.EXIT_BUDGET
    assert cpu.icount == 7 and cpu["ax"] == 4


def test_port_io_protocol() -> None:
    cpu = real_cpu(asm16("mov dx, 0x3f8; mov al, 0x41; out dx, al; in al, dx; hlt"))
    assert cpu.run(100) == S.EXIT_IO_OUT
    st = cpu.st
    assert (st[S.IO_PORT], st[S.IO_SIZE], st[S.IO_VALUE]) == (0x3F8, 1, 0x41)
    assert cpu.run(100) == S.EXIT_IO_IN
    assert (st[S.IO_PORT], st[S.IO_SIZE]) == (0x3F8, 1)
    assert cpu["ip"] == int(st[S.EXIT_EIP])  # IN has not retired yet
    cpu.complete_in(0x5A)
    assert cpu.run(100) == S.EXIT_HLT
    assert cpu["al"] == 0x5A


def test_rep_outsb_exits_once_per_byte() -> None:
    cpu = real_cpu(asm16("mov si, 0; mov cx, 3; mov dx, 0xe9; rep outsb; hlt"))
    cpu.write_phys(0x20000, b"abc")
    out = []
    while (reason := cpu.run(100)) == S.EXIT_IO_OUT:
        out.append(int(cpu.st[S.IO_VALUE]))
    assert reason == S.EXIT_HLT and bytes(out) == b"abc"


def test_bios_call_only_from_rom_area() -> None:
    cpu = real_cpu(b"")
    cpu.write_phys(0xF0000, bytes([0x0F, 0x04, 0x13, 0xF4]))
    cpu["cs"] = 0xF000
    assert cpu.run(10) == S.EXIT_BIOS
    assert cpu.st[S.EXIT_ARG] == 0x13 and cpu["ip"] == 3
    # outside the BIOS area the same bytes are an invalid opcode (#UD, vector 6)
    cpu = real_cpu(bytes([0x0F, 0x04, 0x13]))
    cpu.write_phys(0x3000, b"\xf4")
    set_vector(cpu, 6, 0x300, 0)
    assert cpu.run(10) == S.EXIT_HLT
    assert cpu["cs"] == 0x300
    assert cpu.read_phys(0x90000 + 0xFFFE - 6, 2) == bytes([0, 0])  # pushed IP = faulting instruction


def test_rdpmc_reads_the_counters_and_rsm_is_undefined() -> None:
    """RDPMC (P6): EDX:EAX = PERFCTR0/1 (40 bits), #GP for ECX > 1; RSM outside SMM: #UD."""
    cpu = real_cpu(asm16("mov ecx, 1; rdpmc; mov esi, eax; mov edi, edx; hlt"))
    cpu.st[S.MSR_P6_FIRST + 3] = 0x12_3456_789A | (0x55 << 40)     # PERFCTR1, above 40 bits too
    assert cpu.run(10) == S.EXIT_HLT
    assert (cpu["esi"], cpu["edi"]) == (0x3456789A, 0x12)
    for code, vector in (("mov ecx, 2; rdpmc", 13), ("rsm", 6)):
        cpu = real_cpu(asm16(code))
        set_vector(cpu, vector, 0x300, 0)
        cpu.write_phys(0x3000, b"\xf4")
        assert cpu.run(10) == S.EXIT_HLT and cpu["cs"] == 0x300, code
    cpu = real_cpu(asm16("rdpmc"), model="pentium")     # before the P6: #UD
    set_vector(cpu, 6, 0x300, 0)
    cpu.write_phys(0x3000, b"\xf4")
    assert cpu.run(10) == S.EXIT_HLT and cpu["cs"] == 0x300


def test_execution_outside_memory() -> None:
    cpu = real_cpu(bytes([0xEA, 0x00, 0x10, 0x00, 0xF0]))  # jmp F000:1000, made an empty hole below
    cpu.set_page_kind(0xF0000, 0x100000, S.PG_NONE)
    assert cpu.run(10) == S.EXIT_BAD_FETCH
    assert "no memory" in cpu.describe_exit(S.EXIT_BAD_FETCH)


def test_triple_fault_shuts_down() -> None:
    # an IDT limit of 0 makes every delivery fault: #GP -> #DF -> shutdown
    cpu = real_cpu(asm16("lidt [0]; int 3"))
    cpu.write_phys(0x20000, bytes(6))
    assert cpu.run(10) == S.EXIT_SHUTDOWN


def test_divide_error_restarts_at_the_instruction() -> None:
    cpu = real_cpu(asm16("mov ax, 1; xor bl, bl; div bl"))
    cpu.write_phys(0x3000, b"\xf4")
    set_vector(cpu, 0, 0x300, 0)
    assert cpu.run(10) == S.EXIT_HLT
    assert cpu.read_phys(0x90000 + 0xFFFE - 6, 2) == bytes([5, 0])  # IP of the DIV


def test_hardware_interrupt_and_sti_shadow() -> None:
    cpu = real_cpu(asm16("sti; nop; nop; hlt"))
    cpu.write_phys(0x3000, b"\xf4")
    set_vector(cpu, 8, 0x300, 0)
    cpu.st[S.INTR] = 1
    assert cpu.run(10) == S.EXIT_INTR
    assert cpu["ip"] == 2  # STI's shadow let the first NOP run
    cpu.st[S.INTR] = 0
    cpu.deliver_interrupt(8)
    assert cpu["cs"] == 0x300 and not cpu["eflags"] & S.IF
    assert cpu.run(10) == S.EXIT_HLT


def test_a20_gate_wraps_at_1mib() -> None:
    cpu = real_cpu(asm16("mov ax, 0xffff; mov ds, ax; mov al, [0x10]; hlt"))
    cpu.write_phys(0x0, b"\x11")
    cpu.write_phys(0x100000, b"\x22")
    cpu.a20 = False
    assert cpu.run(10) == S.EXIT_HLT and cpu["al"] == 0x11
    cpu = real_cpu(asm16("mov ax, 0xffff; mov ds, ax; mov al, [0x10]; hlt"))
    cpu.write_phys(0x100000, b"\x22")
    assert cpu.run(10) == S.EXIT_HLT and cpu["al"] == 0x22


def _mix_digest(name: str) -> str:
    sys.path.insert(0, str(ROOT))
    from benchmarks.guests import load_mix

    cpu = CPU(ram_size=2 << 20)
    load_mix(cpu, name, outer=1)
    while cpu.run(1 << 20) == S.EXIT_BUDGET:
        pass
    st = cpu.st.copy()
    st[S.SLOW_ENTRY] = st[S.FPU_ENTRY] = 0  # per-process addresses (0 without the JIT)
    return hashlib.sha256(st.tobytes() + cpu.ram.tobytes()).hexdigest()


@pytest.mark.parametrize("name", ["mix16", "mix32"])
def test_disable_jit_gives_identical_results(name: str) -> None:
    """NUMBA_DISABLE_JIT=1 runs the same core as plain Python, with the same result."""
    jit = _mix_digest(name)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONPATH=str(ROOT))
    code = f"from tests.test_core import _mix_digest; print(_mix_digest({name!r}))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == jit


def test_rep_movs_fast_path_keeps_element_semantics() -> None:
    """Overlapping REP MOVSW (destination one byte above the source) copies element by element."""
    cpu = real_cpu(asm16("""
        mov ax, 0x2000
        mov ds, ax
        mov es, ax
        cld
        mov si, 0
        mov di, 1
        mov cx, 3
        rep movsw
        hlt
    """))
    cpu.write_phys(0x20000, bytes([1, 2, 3, 4, 5, 6, 7, 8]))
    assert cpu.run(100) == S.EXIT_HLT
    # element k reads the word at 2k (after earlier writes) and writes it at 2k + 1
    expect = bytearray([1, 2, 3, 4, 5, 6, 7, 8])
    for k in range(3):
        expect[2 * k + 1 : 2 * k + 3] = bytes(expect[2 * k : 2 * k + 2])
    assert cpu.read_phys(0x20000, 8) == bytes(expect)
    assert (cpu["si"], cpu["di"], cpu["cx"]) == (6, 7, 0)


def test_rep_stos_into_rom_and_budget_slices() -> None:
    """A REP STOSB running into a ROM page takes the careful path; budget slices count iterations."""
    cpu = real_cpu(asm16("""
        mov ax, 0xE000
        mov es, ax
        mov di, 0x0FF0
        mov cx, 0x20
        mov al, 0xAB
        cld
        rep stosb
        hlt
    """))
    cpu.set_page_kind(0xE1000, 0xE2000, S.PG_ROM)
    start = cpu.icount
    assert cpu.run(6 + 5) == S.EXIT_BUDGET          # 6 setup instructions, 5 iterations
    assert cpu.icount - start == 11 and cpu["cx"] == 0x20 - 5
    assert cpu.run(1000) == S.EXIT_HLT
    assert cpu.read_phys(0xE0FF0, 16) == b"\xab" * 16
    assert cpu.read_phys(0xE1000, 16) == bytes(16)    # ROM kept its bytes
    assert (cpu["di"], cpu["cx"]) == (0x1010, 0)


def test_p6_msrs_hold_64_bits_and_absent_ones_fault() -> None:
    """WRMSR/RDMSR keep EDX:EAX for the P6 MSRs an OS touches (DEBUGCTLMSR 1D9h here); the
    local APIC's base MSR (no APIC on this model) raises #GP(0) through the IVT."""
    cpu = real_cpu(asm16("mov ecx, 0x1d9; mov eax, 0x11223344; mov edx, 0x55; wrmsr; "
                         "xor eax, eax; xor edx, edx; rdmsr; mov esi, eax; mov edi, edx; "
                         "mov ecx, 0x1b; rdmsr; hlt"))
    cpu.write_phys(13 * 4, (0x0100).to_bytes(2, "little") + CODE_SEG.to_bytes(2, "little"))
    cpu.write_phys(CODE_SEG * 16 + 0x100, b"\xf4")          # the #GP handler: HLT
    assert cpu.run(100) == S.EXIT_HLT
    assert (cpu["esi"], cpu["edi"]) == (0x11223344, 0x55)
    assert cpu["ip"] == 0x101                               # stopped in the #GP handler


@pytest.mark.parametrize("model", ["286", "386"])
def test_word_string_fault_at_ffff(model: str) -> None:
    """A word string access at offset FFFFh raises #GP(13) in real mode.  The 386 restarts
    the instruction cleanly; the 286 leaves SI/DI/CX stepped (ops_string.str_fault_286, the
    rule the SingleStepTests 80286 vectors show).  An INS whose write faults drops the
    host's answer, so a restart reads the port again and interrupts are not held off."""
    cpu = real_cpu(asm16("cld; mov di, 0xfffd; mov cx, 5; rep stosw"), model)
    cpu.write_phys(13 * 4, (0x0100).to_bytes(2, "little") + CODE_SEG.to_bytes(2, "little"))
    cpu.write_phys(CODE_SEG * 16 + 0x100, b"\xf4")          # the #GP handler: HLT
    assert cpu.run(100) == S.EXIT_HLT and cpu["ip"] == 0x101
    # the first word (FFFD-FFFE) is stored, the second faults
    assert (cpu["di"], cpu["cx"]) == ((0x0001, 2) if model == "286" else (0xFFFF, 4))

    cpu = real_cpu(asm16("mov si, 0xffff; xor di, di; cmpsw"), model)
    cpu.write_phys(13 * 4, (0x0100).to_bytes(2, "little") + CODE_SEG.to_bytes(2, "little"))
    cpu.write_phys(CODE_SEG * 16 + 0x100, b"\xf4")
    assert cpu.run(100) == S.EXIT_HLT and cpu["ip"] == 0x101
    assert (cpu["si"], cpu["di"]) == ((0x0001, 0x0002) if model == "286" else (0xFFFF, 0))

    cpu = real_cpu(asm16("mov di, 0xffff; mov dx, 0x60; insw"), model)
    cpu.write_phys(13 * 4, (0x0100).to_bytes(2, "little") + CODE_SEG.to_bytes(2, "little"))
    cpu.write_phys(CODE_SEG * 16 + 0x100, b"\xf4")
    assert cpu.run(100) == S.EXIT_IO_IN
    cpu.complete_in(0x1234)
    assert cpu.run(100) == S.EXIT_HLT and cpu["ip"] == 0x101
    assert cpu.st[S.IO_READY] == 0
    assert cpu["di"] == (0x0001 if model == "286" else 0xFFFF)
