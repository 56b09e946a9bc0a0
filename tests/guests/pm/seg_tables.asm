; SGDT/SIDT, LGDT of a new limit, SLDT/LLDT with an LDT, STR and the busy TSS (SDM 2.4, 7.2.4).
    sgdt [DATA]
    HEX4 [DATA]
    HEX [DATA+2]
    sidt [DATA+8]
    HEX4 [DATA+8]
    HEX [DATA+10]
    NL
    mov word ptr [PSEUDO], 0x1FF            ; shrink the GDT, read it back
    mov dword ptr [PSEUDO+2], GDT
    lgdt [PSEUDO]
    sgdt [DATA]
    HEX4 [DATA]
    HEX [DATA+2]
    NL
    str eax                                 ; TR from the runtime's LTR; its descriptor is busy
    HEX4 eax
    mov eax, [GDT+0x28+4]
    shr eax, 8
    HEX2 eax                                ; 8Bh: busy 32-bit TSS
    sldt eax
    HEX4 eax                                ; no LDT yet
    NL
    DESCAT LDT+8, DATA+0x100, 0xFF, 0xF3, 0 ; LDT entry 1: a data segment at DATA+100h
    DESC 0x40, LDT, 0x0F, 0x82, 0           ; an LDT descriptor in the GDT
    mov eax, 0x40
    lldt ax
    sldt eax
    HEX4 eax
    mov dword ptr [DATA+0x104], 0xCAFEF00D
    mov eax, 0x0F                           ; LDT index 1, TI=1, RPL 3
    mov es, eax
    mov eax, dword ptr es:[4]
    HEX eax
    mov eax, es
    HEX4 eax
    FAULT mov eax, dword ptr es:[0xFE]      ; beyond the 100h-byte limit
    mov eax, 0x17                           ; LDT index 2: beyond the LDT's limit
    FAULT mov fs, eax
    mov eax, 0x28                           ; a TSS descriptor is not an LDT
    FAULT lldt ax
    mov eax, 0x10                           ; nor is a data segment
    FAULT lldt ax
    mov eax, 0x10
    mov es, eax
    xor eax, eax
    lldt ax                                 ; a null LDT selector is allowed
    sldt eax
    HEX4 eax
    mov eax, 0x0F
    FAULT mov fs, eax                       ; TI=1 with a null LDTR
    NL
