; U/S and R/W at CPL 3 and CPL 0, CR0.WP (SDM 4.6 [access rights], 4.7).
    PAGING
    and dword ptr [PT0+0x21*4], 0xFFFFFFFD   ; 21000h: read-only, user
    and dword ptr [PT0+0x22*4], 0xFFFFFFFB   ; 22000h: supervisor, writable
    and dword ptr [PT0+0x23*4], 0xFFFFFFFE   ; 23000h: not present
    mov eax, PD
    mov cr3, eax
    RING3
    FAULT mov eax, [0x21010]                 ; read, user: fine
    FAULT mov dword ptr [0x21010], eax       ; write to read-only: #PF(7)
    FAULT mov eax, [0x22020]                 ; supervisor page: #PF(5)
    FAULT mov dword ptr [0x22020], eax       ; #PF(7)
    FAULT mov eax, [0x23030]                 ; not present: #PF(4)
    FAULT mov dword ptr [0x23030], eax       ; #PF(6)
    RING0
    SAY "cpl0\n"
    FAULT mov eax, [0x22020]
    FAULT mov dword ptr [0x21010], eax       ; WP=0: supervisor writes ignore R/W
    mov eax, cr0
    or eax, 0x10000                          ; WP
    mov cr0, eax
    FAULT mov dword ptr [0x21010], eax       ; WP=1: #PF(3)
    FAULT mov eax, [0x23030]                 ; #PF(0)
    mov dword ptr [PT1], DATA + 7            ; 400000h -> DATA, user, writable
    mov dword ptr [PD+4], PT1 + 5            ; through a read-only user PDE
    FAULT mov dword ptr [0x400000], eax      ; WP=1: the stricter entry wins, #PF(3)
    mov eax, cr0
    and eax, 0xFFFEFFFF
    mov cr0, eax
    RING3
    FAULT mov dword ptr [0x400000], eax      ; #PF(7)
    RING0
    mov dword ptr [PD+4], PT1 + 3            ; a supervisor PDE
    mov eax, PD
    mov cr3, eax
    RING3
    FAULT mov eax, [0x400000]                ; #PF(5)
    RING0
