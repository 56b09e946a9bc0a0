; Loading a segment register sets the accessed bit in its descriptor (SDM 3.4.5.1).
    DESC 0x40, 0, 0xFFFFF, 0x92, 0xC         ; data, A=0
    DESC 0x48, 0, 0xFFFFF, 0x9A, 0xC         ; code, A=0
    DESC 0x50, 0, 0xFFFFF, 0x92, 0xC         ; data, A=0, only examined
    mov eax, [GDT+0x44]
    HEX eax
    mov eax, 0x40
    mov fs, eax
    mov eax, [GDT+0x44]
    HEX eax
    JMPF 0x48, acc_cs
acc_cs:
    mov eax, [GDT+0x4C]
    HEX eax
    mov eax, 0x50
    lar ecx, eax                             ; LAR, LSL, VERR do not set it
    lsl ecx, eax
    verr ax
    mov eax, [GDT+0x54]
    HEX eax
    NL
    JMPF 0x08, acc_back
acc_back:
    mov eax, 0x10
    mov fs, eax
