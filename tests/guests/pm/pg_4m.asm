; 4 MiB pages with CR4.PSE (SDM 4.3, Figure 4-4), mixed with 4 KiB page tables.
    mov dword ptr [0x803010], 0x4D4D4D4D     ; physical 8 MiB + 3010h
    mov dword ptr [0xC01000], 0x12341234     ; physical 12 MiB + 1000h
    mov dword ptr [0x800010], 0x802007       ; PTE 4 if 800000h is read as a page table
    mov dword ptr [0x802000], 0x55AA55AA
    PAGING
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov dword ptr [PD+4], 0x800000 + 0x87    ; 400000h-7FFFFFh -> 800000h, 4 MiB, U/W/P
    mov dword ptr [PD+8], 0xC00000 + 0x85    ; 800000h -> C00000h, read-only
    mov eax, [0x403010]
    HEX eax
    mov eax, [0x801000]
    HEX eax
    HEX [PD+4]                               ; A set
    mov dword ptr [0x400020], 0
    HEX [PD+4]                               ; A and D set in a 4 MiB PDE
    NL
    RING3
    FAULT mov dword ptr [0x801000], eax      ; #PF(7)
    RING0
    mov eax, cr4
    and eax, 0xFFFFFFEF                      ; PSE off: the PS bit is ignored, the PDE
    mov cr4, eax                             ; points to a page table at 800000h
    mov eax, [0x404000]
    HEX eax
    NL
