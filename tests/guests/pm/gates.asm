; Interrupt gates clear IF, trap gates keep it; IRETD restores it (SDM 6.12.1.3).
    GATE 0x40, 0x08, g_int, 0x8E00           ; 32-bit interrupt gate
    GATE 0x41, 0x08, g_int, 0x8F00           ; 32-bit trap gate
    push 0x202                               ; IF (both 8259s are masked: nothing comes)
    popfd
    mov esi, esp
    int 0x40
    int 0x41
    pushfd
    cli
    pop eax
    HEX eax                                  ; IF back on after each IRETD
    mov ecx, esp
    sub ecx, esi
    HEX ecx                                  ; 0: balanced
    NL
    EXIT
g_int:
    pushfd
    pop eax
    and eax, 0x200
    HEX eax                                  ; IF in the handler
    HEX [esp+8]                              ; EFLAGS pushed: IF set
    mov eax, esi
    sub eax, esp
    HEX eax                                  ; 12 bytes pushed
    NL
    iretd
