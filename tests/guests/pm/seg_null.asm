; A null selector loads at CPL 0 but any access through it is #GP(0) (SDM 3.4.2, 5.4.1).
    SAY "loaded\n"
    xor eax, eax
    mov ds, eax                              ; (nothing below may print through DS)
    mov es, eax
    mov fs, eax
    mov gs, eax
    FAULT mov eax, dword ptr ds:[0x100]
    FAULT mov byte ptr es:[0x100], 1
    FAULT mov eax, dword ptr fs:[0]
    FAULT mov eax, dword ptr gs:[0]
    mov edi, DATA
    FAULT stosd                             ; ES:EDI with a null ES
    mov eax, dword ptr ss:[DATA]            ; SS and CS still work
    mov eax, dword ptr cs:[0xFFFF0]
    HEX eax
    NL
    mov eax, 0x10
    mov ds, eax
    mov es, eax
