; The processor sets A in the PDE and PTE on any access and D in the PTE on a write
; (SDM 4.8); a 4 KiB PDE has no D bit that is set.
    PAGING
    mov dword ptr [PD+4], PT1 + 7            ; 400000h: PDE with A=0
    mov dword ptr [PT1], DATA + 7            ; 400000h -> DATA, A=D=0
    mov dword ptr [PT1+4], DATA + 0x1000 + 7
    HEX [PD+4]
    HEX [PT1]
    NL
    mov eax, [0x400000]                      ; read: A in both
    HEX [PD+4]
    HEX [PT1]
    HEX [PT1+4]
    NL
    mov dword ptr [0x401000], eax            ; write: A and D
    HEX [PD+4]
    HEX [PT1]
    HEX [PT1+4]
    NL
    and dword ptr [PT1+4], 0xFFFFFF9F        ; clear A and D; flush; write again
    invlpg [0x401000]
    mov byte ptr [0x401001], 1
    HEX [PT1+4]
    FAULT mov dword ptr [0x402000], eax      ; a fault sets neither
    HEX [PT1+8]
    NL
