; DR0-DR7 moves, DR4/DR5 aliases and CR4.DE, CPL 3 access (SDM 17.2, Vol. 2 MOV DR).
    mov eax, 0x11111111
    mov dr0, eax
    mov eax, 0x22222222
    mov dr1, eax
    mov eax, 0x33333333
    mov dr2, eax
    mov eax, 0x44444444
    mov dr3, eax
    mov eax, dr0
    HEX eax
    mov eax, dr1
    HEX eax
    mov eax, dr2
    HEX eax
    mov eax, dr3
    HEX eax
    NL
    mov eax, dr6
    HEX eax                                  ; FFFF0FF0h
    mov eax, 0
    mov dr7, eax
    mov eax, dr7
    HEX eax                                  ; bit 10 reads as 1
    mov eax, dr4                             ; DR6 when CR4.DE=0
    HEX eax
    mov eax, dr5                             ; DR7
    HEX eax
    NL
    mov eax, 8
    mov cr4, eax
    FAULT mov eax, dr4                       ; CR4.DE=1: #UD
    FAULT mov dr5, eax
    mov eax, 0
    mov cr4, eax
    mov dr0, eax
    mov dr1, eax
    mov dr2, eax
    mov dr3, eax
    RING3
    FAULT mov eax, dr0                       ; #GP(0) at CPL 3
    FAULT mov dr7, eax
    RING0
