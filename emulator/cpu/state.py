"""Names for every slot of the CPU state array and of the core memory array.

The whole guest-visible CPU state is one ``int64`` numpy array (``st``); every
index into it is named here once.  Python code (devices, BIOS, monitor,
snapshots, tests) reads and writes CPU state only through these names.  All
values are kept non-negative and masked to their architectural width.

The core's memory is one ``uint8`` array (``mem``) laid out as::

    [0, PMAP_SIZE)                 page map: one kind byte per 4 KiB physical page
    [SCRATCH, SCRATCH + 64)        instruction-fetch scratch (slow fetch path)
    [VGA_REGS, VGA_REGS + 32)      the VGA registers the memory path uses (see VGA_* below)
    [VGA_PLANES, + 4 * 64 KiB)     VGA display memory, plane p at VGA_PLANES + p * 64 KiB
    [VRAM_OFF, + VRAM_SIZE)        VBE video memory: the linear framebuffer at LFB_PHYS
    [RAM_OFF, RAM_OFF + ram_size)  guest physical memory from address 0

so a physical address ``pa`` in RAM lives at ``mem[RAM_OFF + pa]``.
"""

# --- general registers (x86 encoding order) -------------------------------
EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)
EIP = 8
EFLAGS = 9
ZERO = 15    # always 0: the "no index register" of 16-bit addressing (never written)

# --- segment registers (x86 encoding order) --------------------------------
ES, CS, SS, DS, FS, GS = range(6)
SEG_NAMES = ("es", "cs", "ss", "ds", "fs", "gs")
SEL = 16     # st[SEL + seg]   visible selector
BASE = 24    # st[BASE + seg]  cached base (linear)
LIMIT = 32   # st[LIMIT + seg] cached limit (byte granular, already scaled)
ATTR = 40    # st[ATTR + seg]  cached attributes (descriptor bits 40..55 layout)
ATTR_DB = 1 << 14  # default operand/address size 32 (the D/B bit)

# --- system registers ------------------------------------------------------
CR0, CR2, CR3, CR4 = 48, 50, 51, 52
DR0 = 56            # DR0..DR7 at 56..63
DR6, DR7 = 62, 63
GDTR_BASE, GDTR_LIMIT, IDTR_BASE, IDTR_LIMIT = 64, 65, 66, 67
LDTR_SEL, TR_SEL = 68, 69
LDTR_BASE, LDTR_LIMIT, TR_BASE, TR_LIMIT, TR_ATTR = 70, 71, 72, 73, 74
CPL = 76           # current privilege level (0 in real mode, 3 in virtual-8086 mode)
TLB_USER = 77      # 2 while CPL = 3 (user accesses test the TLB's user bits), else 0
RLIM = 160         # st[RLIM + seg]: highest offset a read may reach on the fast path, or -1
WLIM = 168         # st[WLIM + seg]: the same for writes (-1: every write takes the checked path)

# --- core control fields ---------------------------------------------------
ICOUNT = 80        # instructions retired since reset (a REP iteration counts as one)
A20_MASK = 81      # physical address mask: 0xFFFFFFFF, or 0xFFEFFFFF with A20 off
INTR = 82          # 1 while the interrupt controller asserts INTR
HALTED = 84        # 1 while the CPU waits in HLT for an interrupt
FAULT = 85         # vector of the exception raised by the current instruction, or -1
FAULT_CODE = 86    # its error code, or -1 when the exception has none
FAULT_DEPTH = 87   # 0 normally, 1 while delivering an exception (for #DF), 2 = shutdown
INST_START = 88    # EIP of the instruction being executed (faults restart here)
ESP_START = 89     # ESP at the start of the instruction (faults restore it)
RAM_SIZE = 90      # bytes of guest RAM
TSC_BASE = 91      # added to ICOUNT to give the time-stamp counter

# --- exit details (valid after run() returns) -------------------------------
EXIT_REASON = 96
EXIT_ARG = 97      # BIOS call number / unknown-opcode linear address / I/O port
IO_PORT = 98
IO_SIZE = 99       # 1, 2 or 4 bytes
IO_VALUE = 100     # value written by OUT/OUTS, or value supplied for IN/INS
IO_READY = 101     # set to 1 by the host when IO_VALUE holds the answer to an IN
IO_STRING = 102    # 1 when the access comes from INS/OUTS
EXIT_EIP = 103     # EIP of the instruction that caused the exit
FETCH_AVAIL = 104  # slow fetch: how many bytes of the scratch copy are real
FETCH_STOP = 105   # slow fetch: why the copy stopped (0 segment limit, 1 no memory)
SHADOW_ICOUNT = 106  # ICOUNT value during which INTR is inhibited (STI / MOV SS shadow)
SLOW_ENTRY = 108   # address of the rare-path entry point (emulator.cpu.slowpath), set by the host
SS_SHADOW = 109    # ICOUNT value after a MOV/POP SS: no single-step trap then (SDM Vol. 3, 6.8.3)
FPU_ENTRY = 111    # address of the x87 entry point (emulator.cpu.fpuentry), set by the host
DB_PENDING = 110   # 1 when a data breakpoint matched during the current instruction (trap after it)
FETCH_LA = 107     # slow fetch: the linear address whose translation failed (FETCH_STOP 2)

# --- model quirks (copied from emulator.cpu.models at reset) ---------------
MODEL = 112        # model id (models.MODEL_IDS)
Q_FLAGS_FIXED1 = 113   # FLAGS bits that always read as 1 (8086: 0xF000 | 2)
Q_FLAGS_WRITABLE = 114  # FLAGS bits software can change in real mode
Q_SHIFT_MASK = 115     # shift/rotate count mask (8086: 0xFF, later 0x1F)
Q_PUSH_SP_NEW = 116    # 1: PUSH SP pushes the decremented value (8086)
Q_ALIASES_8086 = 117   # 1: 8086 opcode map (60-6F=Jcc, C0/C1=RET, D0-D3 /6 SETMO, no #UD)
Q_MAX_INSN_LEN = 118   # longest instruction before #GP (286: 10, 386+: 15, 8086: none)
Q_SEG_WRAP = 119       # 1: a word at offset FFFFh wraps inside the segment (8086)
Q_FPU = 120            # 0: ESC opcodes are no-ops (no coprocessor), 1: x87 present
Q_HAS_386 = 121        # 1: 32-bit operands/addresses, FS/GS, 0F 386 page
Q_HAS_486 = 122        # 1: BSWAP, XADD, CMPXCHG, INVLPG
Q_HAS_PENTIUM = 123    # 1: CPUID (on later 486 too), RDTSC, RDMSR/WRMSR, CMPXCHG8B
Q_HAS_P6 = 124         # 1: CMOVcc, P6 MSRs
Q_CPUID = 125          # 1: CPUID present
Q_DE_NEXT_IP = 126     # 1: #DE pushes the next IP (8086)
Q_IDIV_MIN_FAULTS = 127  # 1: IDIV quotient -2^(n-1) faults (8086)
Q_REP_IDIV_NEG = 128   # 1: REP prefix negates IDIV/IMUL results (8086 microcode quirk)
Q_80186 = 129          # 1: 186+ instructions (PUSHA, BOUND, ENTER, imm shifts, INS/OUTS)
Q_PUSHF_HIGH = 130     # value ORed into pushed FLAGS (8086: 0xF000, 286 real: 0)
Q_CPUID_SIG = 131      # CPUID leaf 1 EAX (family/model/stepping)
Q_CPUID_FEAT = 132     # CPUID leaf 1 EDX feature bits
Q_STR_FAULT_STEPS = 133  # 1: a string access's limit fault leaves SI/DI/CX stepped (286 microcode)

FAULT_CHAIN = 200  # the faults of the last shutdown: count, then (vector, error code, CS, EIP) each
FAULT_CHAIN_MAX = 6
MSR_BASE = 144     # a few model-specific registers, see msr index table in core
MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP = 144, 145, 146
MSR_APIC_BASE = 147
MSR_MISC = 148
MSR_P6_FIRST = 149  # 149..157: EBL_CR_POWERON, BIOS_SIGN_ID, PERFCTR0/1, EVNTSEL0/1, DEBUGCTLMSR,
MSR_P6_COUNT = 9    # BBL_CR_CTL3, MCG_STATUS (emulator.cpu.ops_0f.P6_MSRS)

# --- x87 FPU (SDM Vol. 1, 8.1; emulator.cpu.fpu) ------------------------------
FPU_R = 176        # st[FPU_R + i]: physical data register Ri as IEEE double bits (not 80-bit)
FPU_TOP = 184      # stack top (0-7); FNSTSW/FNSTENV merge it into status word bits 11-13
FPU_SW = 185       # status word without TOP (exception flags, SF, ES, C0-C3, B)
FPU_CW = 186       # control word
FPU_TAG = 187      # tag word, 2 bits per physical register (11 = empty)
FPU_FIP = 188      # last instruction pointer: offset
FPU_FCS = 189      # its CS selector
FPU_FDP = 190      # last data (operand) pointer: offset
FPU_FDS = 191      # its segment selector
FPU_FOP = 192      # last opcode (11 bits: low 3 bits of the first byte, then the ModRM byte)

# --- software TLB (SDM Vol. 3, 4.10): direct-mapped, 4096 entries after the registers ---------
# entry = (linear page number << 32) | mem index of the page frame (bits 12-31) | bits below
TLB = 256
TLB_ENTRIES = 4096
TLB_SR, TLB_SW, TLB_UR, TLB_UW = 1, 2, 4, 8   # fast read/write allowed (supervisor, user)
TLB_GLOBAL = 0x100                           # from a global page (kept across CR3 loads)

STATE_SIZE = TLB + TLB_ENTRIES

# --- FLAGS bits ------------------------------------------------------------
CF, PF, AF, ZF, SF, TF, IF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
IOPL, NT, RF, VM, AC, VIF, VIP, ID = 0x3000, 0x4000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000, 0x200000
ARITH_FLAGS = CF | PF | AF | ZF | SF | OF

# --- exception vectors (SDM Vol. 3, 6.3.1, Table 6-1) --------------------------------------
VEC_DE, VEC_DB, VEC_BP, VEC_OF, VEC_BR, VEC_UD, VEC_NM, VEC_DF = 0, 1, 3, 4, 5, 6, 7, 8
VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF, VEC_MF = 10, 11, 12, 13, 14, 16

# --- exit reasons returned by run() -----------------------------------------
EXIT_BUDGET = 0     # the instruction budget ran out
EXIT_HLT = 1        # HLT executed with nothing to wake it (EIP is after the HLT)
EXIT_IO_IN = 2      # IN/INS needs a value: set IO_VALUE and IO_READY, run again
EXIT_IO_OUT = 3     # OUT/OUTS wrote IO_VALUE to IO_PORT (the instruction is complete)
EXIT_BIOS = 4       # BIOS call (0F 04 nn in the BIOS ROM): EXIT_ARG = nn, EIP after it
EXIT_INTR = 5       # INTR is asserted and IF=1: acknowledge and call deliver_interrupt
EXIT_UNIMPL = 6     # an opcode this core does not implement yet (EIP at the instruction)
EXIT_SHUTDOWN = 7   # triple fault: the CPU shut down
EXIT_BAD_FETCH = 8  # execution from a physical address with no memory behind it
EXIT_NAMES = ("budget", "hlt", "io-in", "io-out", "bios-call", "interrupt",
              "unimplemented-opcode", "shutdown", "fetch-outside-memory")

# --- CR0 / CR4 bits (SDM Vol. 3, 2.5) ---------------------------------------------------
CR0_PE, CR0_MP, CR0_EM, CR0_TS, CR0_ET, CR0_NE = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
CR0_WP, CR0_AM, CR0_NW, CR0_CD, CR0_PG = 0x10000, 0x40000, 0x20000000, 0x40000000, 0x80000000
CR4_VME, CR4_PVI, CR4_TSD, CR4_DE, CR4_PSE, CR4_PGE, CR4_PCE = 0x1, 0x2, 0x4, 0x8, 0x10, 0x80, 0x100

# --- core memory array layout ----------------------------------------------
PAGE_SHIFT = 12
PMAP_SIZE = 1 << 20          # 4 GiB / 4 KiB page kinds
SCRATCH = PMAP_SIZE          # 64 bytes for instructions fetched the slow way
VGA_REGS = PMAP_SIZE + 256   # VGA register bytes (below); the VGA device keeps them current
VGA_PLANES = PMAP_SIZE + 4096
VGA_PLANE_SIZE = 0x10000
VRAM_OFF = VGA_PLANES + 4 * VGA_PLANE_SIZE  # the VBE video memory (linear framebuffer)
VRAM_SIZE = 16 << 20
LFB_PHYS = 0xE0000000        # physical address of the linear framebuffer (pages of kind PG_LFB)
RAM_OFF = VRAM_OFF + VRAM_SIZE   # guest physical address 0
# page kinds in the page map
PG_RAM = 0       # readable and writable RAM
PG_ROM = 1       # readable, writes ignored (BIOS and option ROMs)
PG_NONE = 2      # nothing there: reads return all-ones, writes ignored
PG_BIOS_ALIAS = 3  # top of 4 GiB: reads the ROM at (pa & 0xFFFFF), writes ignored
PG_VGA = 4       # the VGA memory window A0000-BFFFF: accesses go through the graphics controller
PG_LFB = 5       # the linear framebuffer: pa - LFB_PHYS indexes the video memory at VRAM_OFF

# VGA register bytes at mem[VGA_REGS + i] (IBM VGA Technical Reference: sequencer,
# graphics controller); the core's VGA memory path reads them, the VGA device writes them
VGA_SEQ_MAP_MASK = 0     # sequencer register 2
VGA_SEQ_MEM_MODE = 1     # sequencer register 4 (bit 2: 0 = odd/even, bit 3: chain 4)
VGA_GC = 2               # graphics controller registers 0-8 at VGA_GC + index
VGA_LATCH = 11           # the four 8-bit latches (planes 0-3)
VGA_MISC_OUT = 15        # miscellaneous output register (bit 5: odd/even page select)
VGA_DIRTY = 16           # set to 1 by every write to display memory (cleared by the renderer)
VGA_VBE = 17             # bit 0: a VBE mode is on, the A0000-AFFFF window shows a 64 KiB bank of VRAM
VGA_VBE_BANK = 18        # that bank's number (2 bytes, little-endian, 64 KiB units)
BIOS_CALL_OPCODE = (0x0F, 0x04)  # followed by one byte: the service number

# --- register name table for the Python API -------------------------------
REG32 = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi")
REG16 = ("ax", "cx", "dx", "bx", "sp", "bp", "si", "di")
REG8 = ("al", "cl", "dl", "bl", "ah", "ch", "dh", "bh")

# --- handler results inside the core (a handler returns the next pc, or one of these) ---
R_JUMP = -1       # the handler wrote EIP itself
R_EXIT = -2       # the instruction retired, EIP written, and the loop must exit (EXIT_REASON set)
R_EXIT_STAY = -3  # exit without retiring: EIP stays at the instruction (EXIT_REASON set)
