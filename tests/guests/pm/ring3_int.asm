; INT n from CPL 3: a DPL-3 gate switches to SS0:ESP0 from the TSS and pushes SS, ESP,
; EFLAGS, CS, EIP; a DPL-0 gate is #GP(vector*8+2) (SDM 6.12.1, 6.12.1.1).
    GATE 0x40, 0x08, h40, 0xEE00             ; interrupt gate, DPL 3
    GATE 0x41, 0x08, h40, 0x8E00             ; interrupt gate, DPL 0
    GATE 0x42, 0x08, h40, 0xEF00             ; trap gate, DPL 3
    RING3
    mov dword ptr [V_TMP], after40
    push 0x3047                              ; ZF, PF, CF (IOPL 3 stays)
    popfd
    int 0x40
after40:
    mov eax, cs
    HEX4 eax
    mov ecx, esp
    HEX ecx
    NL
    mov dword ptr [V_TMP], after42
    push 0x3083                              ; SF, CF
    popfd
    int 0x42
after42:
    NL
    FAULT int 0x41
    FAULT int3                               ; the runtime's gates are DPL 0
    FAULT int 3
    mov al, 0x7F
    add al, 1                                ; OF=1
    FAULT into
    RING0
    EXIT
h40:
    mov eax, dword ptr [esp]
    sub eax, dword ptr [V_TMP]
    HEX eax                                  ; 0: the return EIP
    HEX4 [esp+4]
    HEX [esp+8]
    HEX [esp+12]
    HEX4 [esp+16]
    mov eax, esp
    HEX eax
    mov eax, ss
    HEX4 eax
    mov eax, ds
    HEX4 eax
    pushfd
    pop eax
    HEX eax
    iretd
