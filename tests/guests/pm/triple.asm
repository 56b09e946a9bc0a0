; With an IDT too small for any vector, an exception is a triple fault: shutdown
; (SDM 6.15 #DF "Interrupt 8", 6.14.1 [shutdown]).
    SAY "before\n"
    mov word ptr [PSEUDO], 0
    mov dword ptr [PSEUDO+2], IDT
    lidt [PSEUDO]
    ud2
    SAY "after\n"
