; MOV SS and POP SS hold off the single-step trap for one instruction (SDM 6.8.3).
    GATE 1, 0x08, db_log, 0x8E00
    mov dword ptr [DATA], 0
    mov eax, 0x10
    pushfd
    or dword ptr [esp], 0x100
    popfd
    nop                                      ; trap after this (1: EIP = next)
ms_1:
    mov ss, eax                              ; no trap after MOV SS ...
    nop                                      ; ... but after this one
ms_2:
    push 0x10
    .byte 0x17                               ; POP SS
    nop
ms_3:
    pushfd
    and dword ptr [esp], 0xFFFFFEFF
    popfd
    NL
    EXIT
db_log:
    push eax
    mov eax, dword ptr [esp+4]
    cmp eax, ms_1
    je db_mark
    cmp eax, ms_2
    je db_mark
    cmp eax, ms_3
    je db_mark
    SAY ". "
    pop eax
    iretd
db_mark:
    SAY "M "
    pop eax
    iretd
