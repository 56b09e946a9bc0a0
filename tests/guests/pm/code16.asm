; A 16-bit code segment (D=0) in protected mode: 16-bit default operand and address
; size, 66h/67h prefixes, a far return to 32-bit code (SDM 3.4.5 [D/B], 21.1).
    DESC 0x40, 0xF0000, 0xFFFF, 0x9B, 0x0    ; 16-bit code at F0000h
    DESC 0x48, DATA, 0xFFFF, 0x93, 0x0       ; 16-bit data at DATA
    mov ebx, 0x12345678
    mov dword ptr [DATA+0x10], 0
    push 0x08
    push c16_back
    mov eax, c16_code - 0xF0000
    push 0x40
    push eax
    retf                                     ; to 16-bit code
c16_code:
    B16 mov ax, 0x48
    B16 mov ds, ax
    B16 mov word ptr [0x10], bx              ; 16-bit: stores 5678h
    B16 mov dword ptr [0x14], ebx            ; 66h: all 32 bits
    B16 mov si, 0x18
    B16 mov word ptr [si], 0xABCD
    B16 mov ecx, 0x20
    B16 mov byte ptr [ecx], 0x77             ; 67h: 32-bit addressing
    .byte 0x68, 0x34, 0x12                   ; push 1234h (16-bit)
    B16 pop ax
    B16 mov word ptr [0x22], ax
    .byte 0x66, 0xCB                         ; o32 RETF: pops EIP, CS (32-bit)
c16_back:
    mov eax, 0x10
    mov ds, eax
    HEX [DATA+0x10]
    HEX [DATA+0x14]
    HEX4 [DATA+0x18]
    HEX2 [DATA+0x20]
    HEX4 [DATA+0x22]
    mov eax, esp
    HEX eax
    NL
