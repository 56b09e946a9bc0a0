; Hardware breakpoints: an instruction breakpoint is a fault before the instruction and
; RF lets it run; a data write breakpoint is a trap after it (SDM 17.2.4, 17.3.1.1-2).
    mov eax, bp_insn
    mov dr0, eax
    mov eax, 0x00000001                      ; L0, R/W0=00 (execute), LEN0=00
    mov dr7, eax
    FAULT nop
    mov dword ptr [V_EXPECT], bp_insn
    mov dword ptr [V_NEXT], bp_next
    mov dword ptr [V_RECOVER], bp_done
bp_insn:
    nop
bp_next:
    call no_fault
bp_done:
    SAY "rf\n"
    GATE 1, 0x08, db_resume, 0x8E00
    mov dword ptr [DATA], 0
    mov eax, bp_loop
    mov dr0, eax
    xor ecx, ecx
bp_loop:
    inc ecx                                  ; the breakpoint
    cmp ecx, 5                               ; (bounded, should breakpoints not work)
    jb bp_loop
bp_after:
    HEX [DATA]                               ; two hits ...
    HEX ecx                                  ; ... and the instruction ran once between
    NL
    GATE 1, 0x08, rt_stub1, 0x8E00
    SAY "data\n"
    mov eax, DATA + 0x100
    mov dr1, eax
    mov eax, 0x00D00004                      ; L1, R/W1=01 (write), LEN1=11 (4 bytes)
    mov dr7, eax
    FAULT mov eax, dword ptr [DATA+0x100]    ; a read: no hit
    FAULT mov byte ptr [DATA+0x102], 1       ; a write in the range: trap
    HEX [DATA+0x100]
    FAULT mov dword ptr [DATA+0x104], 1      ; outside
    mov eax, 0x00F00004                      ; R/W1=11: reads and writes
    mov dr7, eax
    FAULT mov eax, dword ptr [DATA+0xFE]     ; overlaps the range
    mov eax, 0
    mov dr7, eax
    EXIT
db_resume:
    inc dword ptr [DATA]
    push eax
    mov eax, dr6
    and eax, 0xE00F
    HEX eax
    cmp dword ptr [DATA], 2
    je db_resume_second
    pop eax
    or dword ptr [esp+8], 0x10000            ; RF in the saved EFLAGS
    iretd
db_resume_second:
    xor eax, eax
    mov dr7, eax
    mov dr6, eax
    pop eax
    mov dword ptr [esp], bp_after
    iretd
