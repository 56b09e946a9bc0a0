; MOV to/from CR0, CR2, CR3, CR4, LMSW, SMSW, CLTS, INVD, WBINVD (Vol. 2; SDM 2.5, 2.7).
    mov eax, cr0
    HEX eax                                  ; 60000011h: CD, NW, ET, PE (SDM 9.1.1)
    mov eax, 0x12345678
    mov cr2, eax
    mov eax, cr2
    HEX eax
    mov eax, 0x00012018                      ; PCD, PWT
    mov cr3, eax
    mov eax, cr3
    HEX eax
    mov eax, cr4
    HEX eax
    mov eax, 0x19D                           ; VME, TSD, DE, PSE, PGE, PCE
    mov cr4, eax
    mov eax, cr4
    HEX eax
    NL
    SAY "msw\n"
    mov eax, 0x0E
    lmsw ax                                  ; MP, EM, TS; PE cannot be cleared
    mov eax, cr0
    HEX eax
    smsw eax
    and eax, 0xFFFF
    HEX eax
    smsw word ptr [DATA]
    HEX4 [DATA]
    clts
    mov eax, cr0
    HEX eax
    mov eax, 0x0
    lmsw ax
    mov eax, cr0
    HEX eax
    NL
    invd
    wbinvd
    mov eax, 0
    mov cr4, eax
    SAY "cpl3\n"
    RING3
    FAULT mov eax, cr0
    FAULT mov cr0, eax
    FAULT clts
    FAULT lmsw ax
    FAULT smsw eax                           ; SMSW is not privileged
    FAULT wbinvd
    FAULT invd
    RING0
