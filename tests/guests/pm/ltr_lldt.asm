; LTR and LLDT checks: a busy or non-TSS descriptor, not present, null, CPL 3; LTR marks
; the TSS busy (Vol. 2 LTR, LLDT; SDM 7.2.4).
    DESC 0x40, TSS2, 0x67, 0x89, 0           ; available 32-bit TSS
    DESC 0x48, TSS3, 0x67, 0x09, 0           ; not present
    DESC 0x50, LDT, 0x0F, 0x02, 0            ; LDT, not present
    DESC 0x58, TSS3, 0x2B, 0x81, 0           ; available 16-bit TSS
    mov eax, 0x28
    FAULT ltr ax                             ; busy: #GP(28h)
    mov eax, 0x10
    FAULT ltr ax                             ; data: #GP(10h)
    mov eax, 0x48
    FAULT ltr ax                             ; #NP(48h)
    xor eax, eax
    FAULT ltr ax                             ; null: #GP(0) (QEMU: no fault)
    mov eax, 0x0C
    FAULT ltr ax                             ; TI=1: #GP(0Ch)
    mov eax, 0x50
    FAULT lldt ax                            ; #NP(50h)
    mov eax, 0x40
    FAULT ltr ax
    str eax
    HEX4 eax
    mov eax, [GDT+0x44]
    shr eax, 8
    HEX2 eax                                 ; 8Bh
    mov eax, [GDT+0x2C]
    shr eax, 8
    HEX2 eax                                 ; the old TR stays busy: 8Bh
    mov eax, 0x58
    ltr ax
    str eax
    HEX4 eax
    mov eax, [GDT+0x5C]
    shr eax, 8
    HEX2 eax                                 ; 83h
    NL
    mov byte ptr [GDT+0x2D], 0x89            ; back to the runtime's TSS (for CPL 3 below)
    mov eax, 0x28
    ltr ax
    mov eax, 0x40
    RING3
    FAULT ltr ax                             ; CPL 3: #GP(0)
    FAULT lldt ax
    FAULT str eax                            ; STR and SLDT are not privileged
    FAULT sldt eax
    FAULT sgdt [DATA]
    RING0
