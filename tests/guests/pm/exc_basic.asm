; Exceptions with and without error codes, faults vs traps (SDM 6.15, Table 6-1).
    DESC 0x40, 0, 0xFFFFF, 0x1A, 0xC         ; readable code, not present
    mov ecx, 0
    mov eax, 1
    xor edx, edx
    FAULT div ecx                            ; #DE
    mov eax, 0
    mov edx, 0x80000000
    mov ecx, 1
    FAULT div ecx                            ; quotient too large: #DE
    FAULT ud2
    mov dword ptr [DATA], 10
    mov dword ptr [DATA+4], 20
    mov ebx, DATA
    mov eax, 20
    FAULT bound eax, [ebx]                   ; inside: no fault
    mov eax, 21
    FAULT bound eax, [ebx]                   ; #BR (a fault)
    mov eax, 9
    FAULT bound eax, [ebx]
    FAULT int3                               ; #BP: a trap, EIP after the instruction
    FAULT int 3
    xor eax, eax                             ; OF=0: INTO does nothing
    FAULT into
    mov al, 0x7F
    add al, 1
    FAULT into                               ; #OF: a trap
    FAULT int 4
    FAULT JMPF 0x10, 0                       ; far JMP to a data segment: #GP(10h)
    FAULT JMPF 0x40, 0                       ; not-present code: #NP(40h)
    FAULT JMPF 0, 0                          ; null: #GP(0)
    FAULT CALLF 0x28, 0                      ; a busy TSS: #GP(28h)
    FAULT lock nop                           ; LOCK with a non-memory instruction: #UD
    FAULT .byte 0x0F, 0xFF                   ; an undefined opcode
    FAULT .byte 0x8E, 0xC8                   ; MOV CS, AX: #UD
