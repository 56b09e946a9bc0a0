; Invalid control register values: #GP(0) (Vol. 2 MOV CR; SDM 2.5).
; QEMU 7.2 hangs on a reserved CR4 bit and accepts NW without CD: see QEMU_DIFFERS.
    mov eax, 0x20000011
    FAULT mov cr0, eax                       ; NW without CD
    mov eax, 0xE0000010
    FAULT mov cr0, eax                       ; PG without PE
    mov eax, cr0
    HEX eax
    NL
    mov eax, 0x80000000
    FAULT mov cr4, eax                       ; a reserved bit
    mov eax, cr4
    HEX eax
    NL
