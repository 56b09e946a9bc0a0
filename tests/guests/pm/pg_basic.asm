; 4 KiB paging: identity map, a page mapped elsewhere, not-present faults with CR2 and
; error codes (SDM 4.3 [32-bit paging], 4.7 [#PF error code], 6.15 #PF).
    mov dword ptr [DATA], 0xAAAA0000
    mov dword ptr [DATA+0x1000], 0xBBBB1111
    PAGING
    mov eax, [DATA]
    HEX eax
    mov dword ptr [PD+4], PT1 + 7            ; 400000h-7FFFFFh through PT1
    mov dword ptr [PT1+8], DATA + 0x1000 + 7 ; 402000h -> DATA+1000h
    mov eax, [0x402000]
    HEX eax
    mov dword ptr [0x402004], 0xCCCC2222     ; write through the alias
    mov eax, [DATA+0x1004]
    HEX eax
    mov eax, cr3
    HEX eax
    NL
    FAULT mov eax, [0x401FFC]                ; PTE 1 not present: #PF(0)
    HEX cr2
    FAULT mov dword ptr [0x403010], eax      ; write: #PF(2)
    FAULT mov eax, [0x800000]                ; PDE 2 not present
    FAULT mov eax, dword ptr [0x402FFE]      ; crosses into the next (absent) page
    mov dword ptr [PT0+0x30*4], 0            ; unmap 30000h (no INVLPG needed: never used)
    FAULT mov eax, [0x30123]
    mov ebx, 0x30000
    FAULT jmp ebx                            ; instruction fetch: #PF(0), EIP 30000h
    NL
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    mov eax, [DATA+0x1004]
    HEX eax
    NL
