; A task switch with paging on loads CR3 from the new TSS; CR3 is a static field, never
; written to the old TSS (SDM 7.2.1, 7.3).
    mov dword ptr [DATA], 0x11111111
    mov dword ptr [DATA+0x1000], 0x22222222
    PAGING
    mov dword ptr [PD+4], PT1 + 7            ; main task: 400000h -> DATA
    mov dword ptr [PT1], DATA + 7
    mov dword ptr [0x14000], PT0 + 7         ; second page directory at 14000h:
    mov dword ptr [0x14004], PT2 + 7         ; 400000h -> DATA+1000h
    mov dword ptr [PT2], DATA + 0x1000 + 7
    DESC 0x40, TSS2, 0x67, 0x89, 0
    mov dword ptr [TSS2+0x1C], 0x14000       ; CR3
    mov dword ptr [TSS2+0x20], t2
    mov dword ptr [TSS2+0x24], 0x2
    mov dword ptr [TSS2+0x38], 0x60000
    mov dword ptr [TSS2+0x4C], 0x08
    mov dword ptr [TSS2+0x50], 0x10
    mov dword ptr [TSS2+0x54], 0x10
    mov dword ptr [TSS2+0x48], 0x10
    mov dword ptr [TSS2+0x58], 0x10
    mov dword ptr [TSS2+0x5C], 0x10
    mov dword ptr [TSS+0x1C], 0x99999000     ; the main TSS's CR3 field: not written
    HEX [0x400000]
    CALLF 0x40, 0
    mov eax, cr3
    HEX eax                                  ; loaded from the main TSS by the IRET
    NL
    mov eax, PD
    mov cr3, eax
    HEX [0x400000]
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    clts
    NL
    EXIT
t2:
    mov eax, cr3
    HEX eax
    HEX [0x400000]
    HEX [TSS+0x1C]
    mov dword ptr [TSS+0x1C], PD             ; so that the return finds its tables
    iretd
