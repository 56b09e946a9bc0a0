; Single-step with EFLAGS.TF: #DB after the instruction that follows the POPFD that set
; TF, DR6.BS (SDM 17.3.1.4); INT1 (ICEBP).
    pushfd
    or dword ptr [esp], 0x100
    mov dword ptr [V_EXPECT], step1
    mov dword ptr [V_NEXT], step2
    mov dword ptr [V_RECOVER], step_done
    popfd
step1:
    inc eax
step2:
    call no_fault
step_done:
    pushfd
    pop eax
    HEX eax                                  ; TF is off again (the handler cleared it)
    NL
    SAY "gate\n"
    GATE 1, 0x08, db_count, 0x8E00           ; count the steps of a short loop
    mov dword ptr [DATA], 0
    pushfd
    or dword ptr [esp], 0x100
    mov ecx, 3
    popfd
step_loop:
    dec ecx
    jnz step_loop
    pushfd
    and dword ptr [esp], 0xFFFFFEFF
    popfd
    HEX [DATA]                               ; dec/jnz x3, pushfd, and, popfd: 9
    mov eax, dr6
    and eax, 0xE00F
    HEX eax
    NL
    EXIT
db_count:
    inc dword ptr [DATA]
    iretd
