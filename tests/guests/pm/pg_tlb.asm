; A changed PTE is used after INVLPG or a CR3 write; global pages (CR4.PGE) work
; (SDM 4.10.4). Stale translations are allowed, so none is checked.
    mov dword ptr [DATA], 0x11111111
    mov dword ptr [DATA+0x1000], 0x22222222
    mov dword ptr [DATA+0x2000], 0x33333333
    PAGING
    mov dword ptr [PD+4], PT1 + 7
    mov dword ptr [PT1], DATA + 7
    mov eax, [0x400000]
    HEX eax
    mov dword ptr [PT1], DATA + 0x1000 + 7
    invlpg [0x400000]
    mov eax, [0x400000]
    HEX eax
    mov dword ptr [PT1], DATA + 0x2000 + 7
    mov eax, cr3
    mov cr3, eax
    mov eax, [0x400000]
    HEX eax
    mov dword ptr [PT1], 0
    invlpg [0x400abc]                        ; any address in the page
    FAULT mov eax, [0x400000]
    NL
    mov eax, cr4
    or eax, 0x80                             ; PGE
    mov cr4, eax
    mov dword ptr [PT1], DATA + 0x107        ; G, U, W, P
    mov eax, [0x400000]
    HEX eax
    mov dword ptr [PT1], DATA + 0x1000 + 0x107
    invlpg [0x400000]                        ; INVLPG flushes global entries too
    mov eax, [0x400000]
    HEX eax
    mov eax, cr4                             ; so does clearing CR4.PGE
    and eax, 0xFFFFFF7F
    mov cr4, eax
    mov dword ptr [PT1], DATA + 0x2000 + 7
    or eax, 0x80
    mov cr4, eax
    mov eax, [0x400000]
    HEX eax
    NL
