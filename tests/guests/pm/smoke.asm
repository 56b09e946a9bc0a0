; The runtime itself: printing, a fault report, CPL 3 and back.
    SAY "hello\n"
    mov eax, 0x12345678
    HEX eax
    HEX4 eax
    HEX2 eax
    NL
    FAULT ud2
    FAULT nop
    RING3
    mov eax, cs
    HEX4 eax
    FAULT ud2
    RING0
    mov eax, cs
    HEX4 eax
    NL
