; A page fault in the middle of REP MOVSD leaves ECX, ESI, EDI at the faulting
; iteration, so the instruction restarts where it stopped (SDM 6.5 [restarting],
; Vol. 2 REP); an instruction fetch from a supervisor page at CPL 3 is #PF(5).
    mov esi, DATA
    mov ecx, 16
fill:
    mov dword ptr [esi], ecx
    add esi, 4
    loop fill
    PAGING
    mov dword ptr [PT0+0x31*4], 0            ; 31000h: not present
    mov esi, DATA
    mov edi, 0x31000 - 16                    ; four dwords fit before the hole
    mov ecx, 8
    cld
    FAULT rep movsd
    HEX ecx
    mov eax, esi
    sub eax, DATA
    HEX eax
    HEX edi
    NL
    mov dword ptr [PT0+0x31*4], 0x31000 + 3  ; map it; run the same instruction again
    FAULT rep movsd
    HEX ecx
    HEX edi
    HEX [0x31000]
    HEX [0x3100C]
    NL
    and dword ptr [PT0+0x22*4], 0xFFFFFFFB   ; 22000h: supervisor
    mov eax, PD
    mov cr3, eax
    RING3
    mov ebx, 0x22000
    FAULT jmp ebx                            ; #PF(5) at EIP 22000h
    RING0
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
