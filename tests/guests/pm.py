"""Protected-mode test ROMs: a fixed real-mode entry, a 32-bit runtime and one test body.

A program is ``tests/guests/pm/<name>.asm``: Intel-syntax 32-bit code (keystone,
``KS_MODE_32``) that starts at the label-less top of the file, runs at CPL 0 with
flat 4 GiB segments (CS=08h, DS=ES=FS=GS=SS=10h), interrupts off and paging off,
and prints a report to the debug console (port E9h).  :func:`build_rom` wraps it:

* the 16-bit entry at F000:0000 (reached from the reset vector) loads a GDT
  from the ROM, sets CR0.PE and jumps far to 32-bit code (SDM Vol. 3 9.9.1);
* the runtime masks both 8259s, copies the GDT to RAM (loads set accessed bits,
  SDM 3.4.5), builds
  an IDT whose vectors 0-31 report the exception, a TSS (SS0:ESP0, an I/O
  bitmap that denies every port) and loads GDTR, IDTR and TR (SDM 7.2);
* the body runs; it ends with ``EXIT`` (isa-debug-exit value 0, status 1).

An exception that reaches the runtime's handler prints one line::

    #GP(0010) 0008:F          vector, error code (vectors 8, 10-14, 17), CS, EIP
    #PF(0007) 001B:F CR2=00401000
    #DB 0008:T DR6=00004000   (DR6 masked with E00Fh)

(every field is followed by one space, as the ``HEX`` macros print)

where EIP is ``F`` when it is the first byte of the instruction in the last
``FAULT`` line (a fault), ``T`` when it is the byte after it (a trap), its hex
value otherwise.  The handler then resumes at the end of that ``FAULT`` line
(``iretd`` with the frame's EIP replaced, TF cleared); with no ``FAULT`` pending
it prints ``UNEXPECTED`` and exits with value 7Fh.

Macros (a line starting with the upper-case word; arguments are Python
expressions over the layout constants below, except the assembler operands):

``SAY "text"``            print text (``\\n`` allowed); registers and flags kept
``HEX op`` / ``HEX4 op`` / ``HEX2 op``   print ``op`` as 8/4/2 hex digits and a space
``NL``                    print a newline
``ZF``                    print ``1`` or ``0`` (ZF) and a space
``FAULT insn``            run ``insn`` expecting one exception (else ``no fault``);
                          it records its labels through SS, so SS must be flat-ish
``RING3 [iopl]``          continue at CPL 3 (CS=1Bh, DS=ES=FS=GS=SS=23h, ESP=STACK3,
                          IOPL 3 unless given); ``RING0`` comes back (registers kept,
                          flags not, ESP as it was before ``RING3``)
``DESC sel, base, limit, access, flags``   write GDT entry ``sel`` (flags: G, D/B nibble)
``DESCAT addr, base, limit, access, flags`` the same at any address (an LDT)
``GATE vec, sel, target, attr``   IDT gate; attr is the high word's low half, e.g.
                          8E00h (interrupt gate), EE00h (DPL 3), 8F00h (trap gate)
``GATEAT addr, sel, target, attr``   a gate anywhere (call gates: EC02h = 2 params)
``PAGING``                identity-map 0-4 MiB with 4 KiB pages (PD at ``PD``, page
                          table at ``PT0``, every entry U/W/P) and set CR0.PG
``JMPF sel, target`` / ``CALLF sel, target``   far JMP/CALL (32-bit offset)
``B16 insn``              one label-free 16-bit instruction (virtual-8086 code, 16-bit
                          segments; keystone makes ``push word imm`` a PUSH dword there)
``EXIT``                  end the run (debug-exit value 0)

Keystone quirks handled here: a 66h prefix it adds to LGDT/LIDT/SGDT/SIDT, to
PUSH/POP of segment registers and to IRET; ``push label``, far JMP/CALL with an
immediate pointer (``JMPF sel, target`` / ``CALLF sel, target`` macros) and
string moves are emitted as bytes.  Write ``iretd``, ``mov ds, eax``,
``pushfd``/``popfd`` and ``mov eax, label`` (an immediate) / ``[label]`` (memory).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

PM_DIR = Path(__file__).resolve().parent / "pm"
ROM_SIZE = 0x10000
ROM_BASE = 0xF0000

# --- memory layout (physical = linear while paging is off) --------------------------------
LAYOUT: dict[str, int] = {
    "GDT": 0x1000, "GDT_LIMIT": 0x3FF,
    "IDT": 0x2000, "IDT_LIMIT": 0x7FF,
    "TSS": 0x3000,            # the running task's TSS; I/O bitmap at +68h (ports 0-3FFh)
    "TSS_LIMIT": 0x68 + 0x80,  # the bitmap's last byte is the FFh terminator
    "IOMAP": 0x3068,
    "TSS2": 0x3400, "TSS3": 0x3800, "TSS4": 0x3C00,
    "LDT": 0x5000,
    "VARS": 0x6000,
    "V_RECOVER": 0x6000, "V_EXPECT": 0x6004, "V_NEXT": 0x6008, "V_SAVED_ESP": 0x600C,
    "V_CONT": 0x6010, "V_VEC": 0x6014, "V_ERR": 0x6018, "V_EIP": 0x601C, "V_CS": 0x6020,
    "V_CR2": 0x6024, "V_COUNT": 0x6028, "V_FRAME": 0x602C, "V_TMP": 0x6030,
    "PSEUDO": 0x6100,         # scratch pseudo-descriptors for LGDT/LIDT
    "STACK3": 0x70000, "STACK0": 0x80000, "STACK1": 0x78000,
    "PD": 0x10000, "PT0": 0x11000, "PT1": 0x12000, "PT2": 0x13000,
    "DATA": 0x20000,
    "SEL_CODE0": 0x08, "SEL_DATA0": 0x10, "SEL_CODE3": 0x1B, "SEL_DATA3": 0x23,
    "SEL_TSS": 0x28,
}
GDTR_ROM = 0x20            # ROM offset of the pseudo-descriptor the real-mode entry loads
GDT_ROM = 0x40             # ROM offset of the GDT template
CODE_ROM = 0x200           # ROM offset of the 32-bit code (linear F0200h)
ENTRY32 = ROM_BASE + CODE_ROM


def descriptor(base: int, limit: int, access: int, flags: int) -> int:
    """A segment descriptor as a 64-bit integer (SDM Vol. 3 3.4.5, Figure 3-8)."""
    return ((limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | (access & 0xFF) << 40
            | ((limit >> 16) & 0xF) << 48 | (flags & 0xF) << 52 | ((base >> 24) & 0xFF) << 56)


GDT_TEMPLATE = [
    0,
    descriptor(0, 0xFFFFF, 0x9B, 0xC),          # 08h ring-0 code, flat, 32-bit (accessed)
    descriptor(0, 0xFFFFF, 0x93, 0xC),          # 10h ring-0 data, flat
    descriptor(0, 0xFFFFF, 0xFB, 0xC),          # 18h ring-3 code
    descriptor(0, 0xFFFFF, 0xF3, 0xC),          # 20h ring-3 data
    descriptor(LAYOUT["TSS"], LAYOUT["TSS_LIMIT"], 0x89, 0),   # 28h available 32-bit TSS
]


def _entry16() -> bytes:
    """CLI; CLD; o32 LGDT cs:[GDTR_ROM]; CR0.PE=1; JMP 0008:ENTRY32 (SDM 9.9.1)."""
    return bytes([0xFA, 0xFC, 0x2E, 0x66, 0x0F, 0x01, 0x16, GDTR_ROM, 0x00,
                  0x0F, 0x20, 0xC0, 0x66, 0x83, 0xC8, 0x01, 0x0F, 0x22, 0xC0,
                  0x66, 0xEA]) + struct.pack("<IH", ENTRY32, 0x08)


RUNTIME = r"""
entry32:
    mov eax, 0x10
    mov ds, eax
    mov es, eax
    mov ss, eax
    mov fs, eax
    mov gs, eax
    mov esp, STACK0
    mov al, 0xFF                        # mask every interrupt at both 8259s (OCW1)
    out 0x21, al
    out 0xA1, al
    xor eax, eax
    mov edi, 0x1000
    mov ecx, (0x30000 - 0x1000) / 4
    .byte 0xF3, 0xAB                    # rep stosd: clear tables, variables, page tables
    mov esi, gdt_template
    mov edi, GDT
    mov ecx, GDT_WORDS
    .byte 0xF3, 0xA5                    # rep movsd
    mov word ptr [PSEUDO], GDT_LIMIT
    mov dword ptr [PSEUDO+2], GDT
    LGDT_PSEUDO
    .byte 0xEA
    .long rt_reload
    .byte 0x08, 0x00
rt_reload:
    mov eax, 0x10
    mov ds, eax
    mov es, eax
    mov ss, eax
    mov fs, eax
    mov gs, eax
    xor ecx, ecx
rt_idt_loop:
    mov eax, dword ptr [rt_stubs + ecx*4]
    mov word ptr [IDT + ecx*8], ax
    mov word ptr [IDT + ecx*8 + 2], 0x08
    mov word ptr [IDT + ecx*8 + 4], 0x8E00
    shr eax, 16
    mov word ptr [IDT + ecx*8 + 6], ax
    inc ecx
    cmp ecx, 32
    jb rt_idt_loop
    GATE 0x30, 0x08, rt_ring0, 0xEE00
    mov word ptr [PSEUDO], IDT_LIMIT
    mov dword ptr [PSEUDO+2], IDT
    LIDT_PSEUDO
    mov dword ptr [TSS+4], STACK0
    mov dword ptr [TSS+8], 0x10
    mov word ptr [TSS+0x66], 0x68
    mov edi, IOMAP
    mov eax, 0xFFFFFFFF
    mov ecx, 0x84 / 4
    .byte 0xF3, 0xAB
    mov eax, 0x28
    ltr ax
    jmp test_main

print_str:                              # esi: NUL-terminated string
    pushfd
    push eax
    push esi
rt_ps_loop:
    mov al, byte ptr [esi]
    test al, al
    jz rt_ps_done
    out 0xE9, al
    inc esi
    jmp rt_ps_loop
rt_ps_done:
    pop esi
    pop eax
    popfd
    ret

print_hex32:                            # eax: 8 digits and a space
    pushfd
    push ecx
    push eax
    mov ecx, 8
    jmp rt_hex
print_hex16:
    pushfd
    push ecx
    push eax
    mov ecx, 4
    rol eax, 16
    jmp rt_hex
print_hex8:
    pushfd
    push ecx
    push eax
    mov ecx, 2
    rol eax, 24
rt_hex:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, 0x30
    cmp al, 0x39
    jbe rt_hex_digit
    add al, 7
rt_hex_digit:
    out 0xE9, al
    pop eax
    dec ecx
    jnz rt_hex
    mov al, 0x20
    out 0xE9, al
    pop eax
    pop ecx
    popfd
    ret

print_nl:
    pushfd
    push eax
    mov al, 10
    out 0xE9, al
    pop eax
    popfd
    ret

no_fault:
    SAY "no fault\n"
    mov dword ptr ss:[V_RECOVER], 0
    ret

do_exit:
    mov al, 0
    out 0xF4, al
rt_hang:
    cli
    hlt
    jmp rt_hang

paging_on:                              # identity map 0-4 MiB, U/W/P; CR0.PG=1
    pushfd
    pushad
    mov dword ptr [PD], PT0 + 7
    xor ecx, ecx
rt_pt_loop:
    mov eax, ecx
    shl eax, 12
    or eax, 7
    mov dword ptr [PT0 + ecx*4], eax
    inc ecx
    cmp ecx, 1024
    jb rt_pt_loop
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    popad
    popfd
    ret

rt_ring0:                               # INT 30h from CPL 3: continue at CPL 0
    push eax
    mov eax, dword ptr ss:[esp+4]
    mov dword ptr ss:[V_CONT], eax
    pop eax
    mov esp, dword ptr ss:[V_SAVED_ESP]
    PUSH_SEG ds, 0x10
    PUSH_SEG es, 0x10
    PUSH_SEG fs, 0x10
    PUSH_SEG gs, 0x10
    jmp dword ptr ss:[V_CONT]

rt_exc_common:                          # stack: vector, error code, EIP, CS, EFLAGS...
    pushad
    .byte 0x1E, 0x06                    # push ds; push es
    mov eax, 0x10
    mov ds, eax
    mov es, eax
    mov ebp, esp
    mov dword ptr [V_FRAME], ebp
    inc dword ptr [V_COUNT]
    mov ebx, dword ptr [ebp+40]
    mov dword ptr [V_VEC], ebx
    mov eax, dword ptr [ebp+44]
    mov dword ptr [V_ERR], eax
    mov eax, dword ptr [ebp+48]
    mov dword ptr [V_EIP], eax
    mov eax, dword ptr [ebp+52]
    mov dword ptr [V_CS], eax
    mov eax, cr2
    mov dword ptr [V_CR2], eax
    mov al, 0x23
    out 0xE9, al
    mov esi, dword ptr [rt_names + ebx*4]
    call print_str
    mov eax, 0x27D00                    # vectors with an error code: 8, 10-14, 17
    bt eax, ebx
    jnc rt_exc_noerr
    mov al, 0x28
    out 0xE9, al
    mov eax, dword ptr [V_ERR]
    rol eax, 16
    mov ecx, 4
rt_err_loop:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, 0x30
    cmp al, 0x39
    jbe rt_err_digit
    add al, 7
rt_err_digit:
    out 0xE9, al
    pop eax
    dec ecx
    jnz rt_err_loop
    mov al, 0x29
    out 0xE9, al
rt_exc_noerr:
    mov al, 0x20
    out 0xE9, al
    mov eax, dword ptr [V_CS]
    rol eax, 16
    mov ecx, 4
rt_cs_loop:
    rol eax, 4
    push eax
    and al, 0x0F
    add al, 0x30
    cmp al, 0x39
    jbe rt_cs_digit
    add al, 7
rt_cs_digit:
    out 0xE9, al
    pop eax
    dec ecx
    jnz rt_cs_loop
    mov al, 0x3A
    out 0xE9, al
    mov eax, dword ptr [V_EIP]
    cmp eax, dword ptr [V_EXPECT]
    jne rt_not_f
    mov al, 0x46
    jmp rt_eip_letter
rt_not_f:
    cmp eax, dword ptr [V_NEXT]
    jne rt_not_t
    mov al, 0x54
rt_eip_letter:
    out 0xE9, al
    mov al, 0x20
    out 0xE9, al
    jmp rt_eip_done
rt_not_t:
    call print_hex32
rt_eip_done:
    cmp ebx, 14
    jne rt_not_pf
    SAY "CR2="
    mov eax, dword ptr [V_CR2]
    call print_hex32
rt_not_pf:
    cmp ebx, 1
    jne rt_not_db
    SAY "DR6="
    mov eax, dr6
    and eax, 0xE00F
    call print_hex32
    xor eax, eax
    mov dr6, eax
rt_not_db:
    call print_nl
    mov eax, dword ptr [V_RECOVER]
    test eax, eax
    jnz rt_recover
    SAY "UNEXPECTED\n"
    mov al, 0x7F
    out 0xF4, al
    jmp rt_hang
rt_recover:
    mov dword ptr [V_RECOVER], 0
    mov dword ptr [ebp+48], eax
    and dword ptr [ebp+56], 0xFFFFFEFF  # TF off in the frame
    .byte 0x07, 0x1F                    # pop es; pop ds
    popad
    add esp, 8
    iretd
"""

EXC_NAMES = ["DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS",
             "GP", "PF", "RES", "MF", "AC", "MC", "XM"] + [f"V{v}" for v in range(20, 32)]
ERROR_CODE_VECTORS = {8, 10, 11, 12, 13, 14, 17}


def _stubs() -> str:
    lines = []
    for v in range(32):
        lines.append(f"rt_stub{v}:")
        if v not in ERROR_CODE_VECTORS:
            lines.append("    push 0")
        lines.append(f"    push {v}")
        lines.append("    jmp rt_exc_common")
    lines.append("    .align 4")
    lines.append("rt_stubs:")
    lines += [f"    .long rt_stub{v}" for v in range(32)]
    lines.append("rt_names:")
    lines += [f"    .long rt_name{v}" for v in range(32)]
    for v, name in enumerate(EXC_NAMES):
        lines.append(f"rt_name{v}:")
        lines.append("    .byte " + ", ".join(str(b) for b in name.encode()) + ", 0")
    return "\n".join(lines)


# --- the macro expander -------------------------------------------------------------------
class _Expander:
    """Turns a body with macros into plain keystone source, collecting the strings."""

    def __init__(self) -> None:
        self.label = 0
        self.strings: list[bytes] = []

    def fresh(self) -> str:
        self.label += 1
        return f"__L{self.label}"

    def value(self, expr: str) -> int:
        return int(eval(expr, {"__builtins__": {}}, dict(LAYOUT)))  # noqa: S307 - test sources

    def expand(self, source: str) -> list[str]:
        out: list[str] = []
        for raw in source.splitlines():
            line = raw.strip()
            m = re.match(r'SAY\s+"(.*)"\s*(;.*)?$', line)
            if m:
                text = m.group(1).encode().decode("unicode_escape").encode("latin-1")
                self.strings.append(text)
                out += ["push esi", f"mov esi, __S{len(self.strings) - 1}", "call print_str",
                        "pop esi"]
                continue
            line = line.split(";", 1)[0].split("#", 1)[0].strip()
            if not line:
                continue
            word, _, rest = line.partition(" ")
            rest = rest.strip()
            handler = getattr(self, f"m_{word}", None) if word.isupper() else None
            if handler is not None:
                out += self.expand("\n".join(handler(rest)))
            else:
                out += self.plain(line)
        return out

    def args(self, rest: str) -> list[str]:
        return [a.strip() for a in rest.split(",")]

    # plain instructions keystone gets wrong
    def plain(self, line: str) -> list[str]:
        word, _, rest = line.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word in ("lgdt", "lidt", "sgdt", "sidt", "lmsw") or (
                word in ("push", "pop") and rest.lower() in ("ds", "es", "ss", "fs", "gs")):
            return [_bytes_of(line, strip66=True)]
        if word == "iret":
            raise ValueError("write iretd (keystone's iret is IRETW)")
        if word == "push" and re.fullmatch(r"[A-Za-z_]\w*", rest) and rest.upper() not in LAYOUT \
                and rest.lower() not in _REGS:
            return [".byte 0x68", f".long {rest}"]
        if word == "movsd" and not rest:
            return [".byte 0xA5"]
        if word == "rep" and rest.lower() in ("movsd", "stosd", "movsb", "stosb"):
            return [".byte 0xF3, " + {"movsd": "0xA5", "stosd": "0xAB", "movsb": "0xA4",
                                      "stosb": "0xAA"}[rest.lower()]]
        return [line]

    def m_SAY(self, rest: str) -> list[str]:
        raise ValueError(f"bad SAY: {rest}")

    def _hex(self, rest: str, fn: str) -> list[str]:
        # the operand is read after PUSH EAX: ESP-relative operands are corrected
        load = "lea eax, [esp+4]" if rest == "esp" else f"mov eax, {rest.replace('[esp', '[esp+4')}"
        return ["push eax", load, f"call {fn}", "pop eax"]

    def m_HEX(self, rest: str) -> list[str]:
        return self._hex(rest, "print_hex32")

    def m_HEX4(self, rest: str) -> list[str]:
        return self._hex(rest, "print_hex16")

    def m_HEX2(self, rest: str) -> list[str]:
        return self._hex(rest, "print_hex8")

    def m_NL(self, rest: str) -> list[str]:
        return ["call print_nl"]

    def m_ZF(self, rest: str) -> list[str]:
        return ["pushfd", "push eax", "setz al", "add al, 0x30", "out 0xE9, al", "mov al, 0x20",
                "out 0xE9, al", "pop eax", "popfd"]

    def m_B16(self, rest: str) -> list[str]:
        from keystone import KS_ARCH_X86, KS_MODE_16, Ks

        code = bytes(Ks(KS_ARCH_X86, KS_MODE_16).asm(_substitute(rest), 0)[0] or b"")
        return [".byte " + ", ".join(f"{b:#x}" for b in code)]

    def m_EXIT(self, rest: str) -> list[str]:
        return ["jmp do_exit"]

    def m_PAGING(self, rest: str) -> list[str]:
        return ["call paging_on"]

    def m_FAULT(self, rest: str) -> list[str]:
        f, n, r = self.fresh(), self.fresh(), self.fresh()
        return [f"mov dword ptr ss:[V_EXPECT], {f}", f"mov dword ptr ss:[V_NEXT], {n}",
                f"mov dword ptr ss:[V_RECOVER], {r}", f"{f}:", *self.plain(rest), f"{n}:",
                "call no_fault", f"{r}:"]

    def m_RING3(self, rest: str) -> list[str]:
        iopl = self.value(rest) if rest else 3
        back = self.fresh()
        return ["mov dword ptr ss:[V_SAVED_ESP], esp", "push 0x23", "push STACK3",
                f"push {0x2 | iopl << 12}", "push 0x1B", ".byte 0x68", f".long {back}",
                "PUSH_SEG ds, 0x23", "PUSH_SEG es, 0x23", "PUSH_SEG fs, 0x23",
                "PUSH_SEG gs, 0x23", "iretd", f"{back}:"]

    def m_RING0(self, rest: str) -> list[str]:
        return ["int 0x30"]

    def m_PUSH_SEG(self, rest: str) -> list[str]:
        seg, val = self.args(rest)
        pop = {"ds": "0x1F", "es": "0x07", "fs": "0x0F, 0xA1", "gs": "0x0F, 0xA9"}[seg]
        return [f"push {val}", f".byte {pop}"]

    def m_LGDT_PSEUDO(self, rest: str) -> list[str]:
        return [_bytes_of("lgdt [PSEUDO]", strip66=True)]

    def m_LIDT_PSEUDO(self, rest: str) -> list[str]:
        return [_bytes_of("lidt [PSEUDO]", strip66=True)]

    def m_DESC(self, rest: str) -> list[str]:
        sel, *desc = self.args(rest)
        return self.m_DESCAT(f"GDT + ({sel})," + ",".join(desc))

    def m_DESCAT(self, rest: str) -> list[str]:
        addr, base, limit, access, flags = (self.value(a) for a in self.args(rest))
        d = descriptor(base, limit, access, flags)
        return [f"mov dword ptr [{addr:#x}], {d & 0xFFFFFFFF:#x}",
                f"mov dword ptr [{addr + 4:#x}], {d >> 32:#x}"]

    def m_GATE(self, rest: str) -> list[str]:
        vec, sel, target, attr = self.args(rest)
        return self.m_GATEAT(f"IDT + 8 * ({vec}), {sel}, {target}, {attr}")

    def m_GATEAT(self, rest: str) -> list[str]:
        addr, sel, target, attr = self.args(rest)
        a = self.value(addr)
        # no arithmetic: the flags stay as they were
        return ["push eax", f"mov eax, {target}", f"mov dword ptr [{a + 4:#x}], eax",
                f"mov word ptr [{a:#x}], ax", f"mov word ptr [{a + 2:#x}], {self.value(sel):#x}",
                f"mov word ptr [{a + 4:#x}], {self.value(attr):#x}", "pop eax"]

    def m_JMPF(self, rest: str) -> list[str]:
        sel, target = self.args(rest)
        return [".byte 0xEA", f".long {target}", f".byte {self.value(sel) & 0xFF:#x}, "
                f"{self.value(sel) >> 8:#x}"]

    def m_CALLF(self, rest: str) -> list[str]:
        sel, target = self.args(rest)
        return [".byte 0x9A", f".long {target}", f".byte {self.value(sel) & 0xFF:#x}, "
                f"{self.value(sel) >> 8:#x}"]

    def string_pool(self) -> list[str]:
        out = []
        for n, s in enumerate(self.strings):
            out.append(f"__S{n}:")
            out.append(".byte " + ", ".join(str(b) for b in s + b"\0"))
        return out


_REGS = {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "ax", "bx", "cx", "dx", "si",
         "di", "bp", "sp", "cs", "ds", "es", "fs", "gs", "ss"}


def _substitute(text: str) -> str:
    """Replace the layout names (whole words) by their values."""
    return re.sub(r"\b[A-Z][A-Z0-9_]*\b",
                  lambda m: f"{LAYOUT[m.group(0)]:#x}" if m.group(0) in LAYOUT else m.group(0),
                  text)


def _bytes_of(line: str, strip66: bool = False) -> str:
    """Assemble one label-free instruction alone and return it as a ``.byte`` line."""
    from keystone import KS_ARCH_X86, KS_MODE_32, Ks

    code = bytes(Ks(KS_ARCH_X86, KS_MODE_32).asm(_substitute(line), 0)[0] or b"")
    if strip66 and code[:1] == b"\x66":
        code = code[1:]
    return ".byte " + ", ".join(f"{b:#x}" for b in code)


def assemble32(source: str, origin: int) -> bytes:
    """Assemble Intel-syntax 32-bit keystone ``source`` (no comments) at ``origin``."""
    from keystone import KS_ARCH_X86, KS_MODE_32, Ks, KsError

    ks = Ks(KS_ARCH_X86, KS_MODE_32)
    try:
        encoding, _ = ks.asm(source, origin)
    except KsError as e:
        raise ValueError(f"keystone: {e} near: {_first_bad_line(ks, source)}") from None
    return bytes(encoding or b"")


def _first_bad_line(ks, source: str) -> str:
    """The first line that keystone rejects on its own (labels defined as dummies)."""
    lines = source.splitlines()
    labels = [ln[:-1] for ln in lines if ln.endswith(":")]
    pad = "\n".join(f"{lb}:" for lb in labels if lb)
    for ln in lines:
        if ln.endswith(":"):
            continue
        try:
            ks.asm(ln + "\n" + pad, 0x1000)
        except Exception:  # noqa: BLE001 - any failure marks the line
            return ln
    return "?"


def program_source(name: str) -> str:
    """The body of ``tests/guests/pm/<name>.asm``."""
    return (PM_DIR / f"{name}.asm").read_text()


def program_names() -> list[str]:
    """Every program in ``tests/guests/pm``, sorted."""
    return sorted(p.stem for p in PM_DIR.glob("*.asm"))


def build_rom(body: str) -> bytes:
    """A 64 KiB ROM: real-mode entry, runtime and the 32-bit ``body`` (see the module doc)."""
    ex = _Expander()
    runtime = RUNTIME.replace("GDT_WORDS", str(len(GDT_TEMPLATE) * 2))
    lines = ex.expand(runtime) + ["test_main:"] + ex.expand(body) + ["jmp do_exit"]
    lines += ex.expand(_stubs()) + [".align 4", "gdt_template:"]
    lines += [f".long {d & 0xFFFFFFFF:#x}, {d >> 32:#x}" for d in GDT_TEMPLATE]
    lines += ex.string_pool()
    code = assemble32(_substitute("\n".join(lines)), ENTRY32)
    if CODE_ROM + len(code) > 0xFFF0:
        raise ValueError(f"{len(code)} bytes of 32-bit code do not fit in the ROM")
    rom = bytearray(b"\xff" * ROM_SIZE)
    entry = _entry16()
    rom[: len(entry)] = entry
    gdt = b"".join(struct.pack("<Q", d) for d in GDT_TEMPLATE)
    rom[GDTR_ROM:GDTR_ROM + 6] = struct.pack("<HI", len(gdt) - 1, ROM_BASE + GDT_ROM)
    rom[GDT_ROM:GDT_ROM + len(gdt)] = gdt
    rom[CODE_ROM:CODE_ROM + len(code)] = code
    rom[0xFFF0:0xFFF5] = bytes((0xEA, 0x00, 0x00, 0x00, 0xF0))   # JMP F000:0000
    return bytes(rom)


def program_rom(name: str) -> bytes:
    """:func:`build_rom` of ``tests/guests/pm/<name>.asm``."""
    return build_rom(program_source(name))
