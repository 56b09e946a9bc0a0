; IOPL-sensitive instructions at CPL 3 with IOPL 0, the TSS I/O permission bitmap,
; HLT and POPF at CPL 3 (SDM 18.2-18.5 [I/O], 2.8.1, POPF in Vol. 2).
    and byte ptr [IOMAP+0x1D], 0xFD          ; allow port E9h (our console) ...
    and byte ptr [IOMAP+0x10], 0xFE          ; ... port 80h ...
    and byte ptr [IOMAP+0x7F], 0x7F          ; ... and 3FFh, the last port the bitmap covers
    RING3 0
    FAULT cli
    FAULT sti
    FAULT hlt
    FAULT out 0x80, al
    FAULT in al, 0x80
    FAULT out 0x81, al
    FAULT out 0x80, ax                       ; 80h and 81h: 81h denied
    mov edx, 0x80
    FAULT out dx, al
    mov edx, 0x3FF
    FAULT out dx, al
    mov edx, 0x400                           ; beyond the TSS limit: denied
    FAULT out dx, al
    FAULT out 0xF4, al
    FAULT insb
    push 0x3203                              ; IOPL 3, IF, CF
    popfd
    pushfd
    pop eax
    HEX eax                                  ; only CF changed
    NL
    RING0
    SAY "iopl3\n"
    RING3 3
    FAULT out 0x81, al                       ; IOPL 3: no bitmap check
    push 0x0203                              ; IOPL 0, IF
    popfd
    pushfd
    pop eax
    HEX eax                                  ; IF changed (CPL <= IOPL), IOPL did not
    FAULT cli
    pushfd
    pop eax
    HEX eax
    NL
    RING0
