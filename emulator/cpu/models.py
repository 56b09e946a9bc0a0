"""CPU models selectable with ``-cpu``: one table of every model quirk.

Each row gives the values copied into the state array's ``Q_*`` slots at reset,
so the core asks the state, never the model name.  Sources: Intel 8086 Family
User's Manual (1979), iAPX 286 Programmer's Reference (1983), Intel 386 and
486 Programmer's Reference Manuals, Pentium Pro Developer's Manual Vol. 2/3 and
the SDM Vol. 2 CPUID tables; the 8086 quirks were confirmed against the
SingleStepTests vectors captured on real chips.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import state as S

# CPUID leaf 1 EDX bits (SDM Vol. 2, CPUID, Table "Feature Information")
FEAT_FPU, FEAT_VME, FEAT_DE, FEAT_PSE, FEAT_TSC, FEAT_MSR = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5
FEAT_CX8, FEAT_SEP, FEAT_PGE, FEAT_CMOV = 1 << 8, 1 << 11, 1 << 13, 1 << 15


@dataclass(frozen=True)
class Model:
    """The quirks of one CPU model, copied into the state array at reset."""

    name: str
    ident: int
    description: str
    flags_fixed1: int        # FLAGS bits that always read as 1
    flags_writable: int      # FLAGS bits POPF/IRET may change in real mode
    pushf_high: int          # ORed into FLAGS when pushed
    shift_mask: int          # shift/rotate count mask
    push_sp_new: bool        # PUSH SP stores the decremented SP
    aliases_8086: bool       # 8086 opcode map: aliases instead of #UD
    max_insn_len: int        # 0 = no limit
    seg_wrap: bool           # word at offset FFFFh wraps (no #GP)
    fpu: bool                # x87 present (ESC opcodes execute)
    has_80186: bool
    has_386: bool
    has_486: bool
    has_pentium: bool
    has_p6: bool
    cpuid: bool
    de_next_ip: bool         # #DE pushes the address of the next instruction
    idiv_min_faults: bool    # IDIV quotient of -2^(n-1) raises #DE
    rep_idiv_negates: bool   # REP prefix negates the IDIV/IMUL result
    address_bits: int        # physical address lines (8086: 20, 286: 24, 386+: 32)
    cpuid_signature: int = 0
    cpuid_features: int = 0
    str_fault_steps: bool = False  # string #GP at FFFFh leaves SI/DI/CX stepped (ops_string)


_COMMON_8086 = dict(
    flags_fixed1=0xF002, flags_writable=0x0FD5, pushf_high=0xF000, shift_mask=0xFF,
    push_sp_new=True, aliases_8086=True, max_insn_len=0, seg_wrap=True, fpu=False,
    has_80186=False, has_386=False, has_486=False, has_pentium=False, has_p6=False,
    cpuid=False, de_next_ip=True, idiv_min_faults=True, rep_idiv_negates=True, address_bits=20,
)
_LATER = dict(
    push_sp_new=False, aliases_8086=False, seg_wrap=False, has_80186=True,
    de_next_ip=False, idiv_min_faults=False, rep_idiv_negates=False, shift_mask=0x1F,
)

MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("8086", 0, "Intel 8086 (no FPU)", **_COMMON_8086),
        Model("286", 1, "Intel 80286, real mode (no FPU)", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x0FD5,
            "pushf_high": 0, "max_insn_len": 10, "address_bits": 24,
            "str_fault_steps": True}),
        Model("386", 2, "Intel 80386DX with 387", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x7FD5,
            "pushf_high": 0, "max_insn_len": 15, "fpu": True, "has_386": True, "address_bits": 32}),
        Model("486", 3, "Intel 486DX (CPUID-capable stepping)", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x247FD5,
            "pushf_high": 0, "max_insn_len": 15, "fpu": True, "has_386": True, "has_486": True,
            "cpuid": True, "address_bits": 32, "cpuid_signature": 0x0480,
            "cpuid_features": FEAT_FPU | FEAT_VME}),
        Model("486sx", 6, "Intel 486SX (no FPU; CPUID-capable stepping)", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x247FD5,
            "pushf_high": 0, "max_insn_len": 15, "fpu": False, "has_386": True, "has_486": True,
            "cpuid": True, "address_bits": 32, "cpuid_signature": 0x0420,
            "cpuid_features": FEAT_VME}),
        Model("pentium", 4, "Intel Pentium (P54C)", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x247FD5,
            "pushf_high": 0, "max_insn_len": 15, "fpu": True, "has_386": True, "has_486": True,
            "has_pentium": True, "cpuid": True, "address_bits": 32, "cpuid_signature": 0x0525,
            "cpuid_features": FEAT_FPU | FEAT_VME | FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR | FEAT_CX8}),
        Model("pentiumpro", 5, "Intel Pentium Pro (P6, no APIC)", **{
            **_COMMON_8086, **_LATER, "flags_fixed1": 0x0002, "flags_writable": 0x247FD5,
            "pushf_high": 0, "max_insn_len": 15, "fpu": True, "has_386": True, "has_486": True,
            "has_pentium": True, "has_p6": True, "cpuid": True, "address_bits": 32,
            "cpuid_signature": 0x0619,
            "cpuid_features": FEAT_FPU | FEAT_VME | FEAT_DE | FEAT_PSE | FEAT_TSC | FEAT_MSR
            | FEAT_CX8 | FEAT_SEP | FEAT_PGE | FEAT_CMOV}),
    )
}
DEFAULT_MODEL = "pentiumpro"
MODEL_ALIASES = {"80286": "286", "i386": "386", "80386": "386", "i486": "486", "80486": "486",
                 "p6": "pentiumpro", "qemu32": "pentiumpro"}


def get_model(name: str) -> Model:
    """Return the model called ``name`` (``-cpu help`` lists them); ValueError if unknown."""
    key = MODEL_ALIASES.get(name.lower(), name.lower())
    if key not in MODELS:
        raise ValueError(f"unknown CPU model '{name}' (choose from: {', '.join(MODELS)})")
    return MODELS[key]


def apply_model(st, model: Model) -> None:
    """Copy ``model``'s quirks into the state array ``st``."""
    st[S.MODEL] = model.ident
    st[S.Q_FLAGS_FIXED1] = model.flags_fixed1
    st[S.Q_FLAGS_WRITABLE] = model.flags_writable
    st[S.Q_PUSHF_HIGH] = model.pushf_high
    st[S.Q_SHIFT_MASK] = model.shift_mask
    st[S.Q_PUSH_SP_NEW] = int(model.push_sp_new)
    st[S.Q_ALIASES_8086] = int(model.aliases_8086)
    st[S.Q_MAX_INSN_LEN] = model.max_insn_len or 64
    st[S.Q_SEG_WRAP] = int(model.seg_wrap)
    st[S.Q_FPU] = int(model.fpu)
    st[S.Q_80186] = int(model.has_80186)
    st[S.Q_HAS_386] = int(model.has_386)
    st[S.Q_HAS_486] = int(model.has_486)
    st[S.Q_HAS_PENTIUM] = int(model.has_pentium)
    st[S.Q_HAS_P6] = int(model.has_p6)
    st[S.Q_CPUID] = int(model.cpuid)
    st[S.Q_DE_NEXT_IP] = int(model.de_next_ip)
    st[S.Q_IDIV_MIN_FAULTS] = int(model.idiv_min_faults)
    st[S.Q_REP_IDIV_NEG] = int(model.rep_idiv_negates)
    st[S.Q_CPUID_SIG] = model.cpuid_signature
    st[S.Q_STR_FAULT_STEPS] = int(model.str_fault_steps)
    # a model without a coprocessor never reports one (CPUID.1:EDX bit 0, SDM Vol. 2 CPUID)
    st[S.Q_CPUID_FEAT] = model.cpuid_features & (~FEAT_FPU if not model.fpu else -1)
