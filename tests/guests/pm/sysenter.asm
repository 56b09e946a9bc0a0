; SYSENTER/SYSEXIT with IA32_SYSENTER_CS/ESP/EIP (MSRs 174h-176h): flat CPL-0 and
; CPL-3 segments derived from the CS MSR (SDM 5.8.7; Vol. 2 SYSENTER, SYSEXIT).
    mov eax, 1
    cpuid
    shr edx, 11
    and edx, 1
    HEX2 edx                                 ; SEP
    mov ecx, 0x174
    mov eax, 0x08
    xor edx, edx
    wrmsr
    mov ecx, 0x175
    mov eax, 0x7F000
    wrmsr
    mov ecx, 0x176
    mov eax, sys_target
    wrmsr
    NL
    RING3
    mov ecx, esp
    mov edx, sys_back
    push 0x3202                              ; IOPL 3, IF: SYSENTER clears IF
    popfd
    sysenter
sys_back:
    mov eax, cs
    HEX4 eax
    mov eax, ss
    HEX4 eax
    mov eax, esp
    HEX eax
    mov eax, ds
    HEX4 eax
    NL
    FAULT sysexit                            ; CPL 3: #GP(0)
    RING0
    mov ecx, 0x174
    xor eax, eax
    xor edx, edx
    wrmsr
    RING3
    FAULT sysenter                           ; SYSENTER_CS = 0: #GP(0)
    RING0
    EXIT
sys_target:
    mov eax, cs
    HEX4 eax
    mov eax, ss
    HEX4 eax
    mov eax, esp
    HEX eax
    pushfd
    pop eax
    HEX eax
    NL
    mov ecx, 0x6FFF0                         ; SYSEXIT: ESP from ECX, EIP from EDX
    sysexit
