; CPUID leaves 0 and 1, RDMSR/WRMSR, RDTSC and CR4.TSD (Vol. 2 CPUID, RDMSR, RDTSC;
; SDM 17.17 [TSC]).
    xor eax, eax
    cpuid
    mov dword ptr [DATA], ebx
    mov dword ptr [DATA+4], edx
    mov dword ptr [DATA+8], ecx
    mov byte ptr [DATA+12], 0
    mov esi, DATA
    call print_str                           ; GenuineIntel
    NL
    mov eax, 1
    cpuid
    shr eax, 8
    and eax, 0xF
    HEX2 eax                                 ; family 6
    and edx, 0xAB3F                          ; FPU VME DE PSE TSC MSR CX8 APIC SEP PGE CMOV
    HEX edx
    NL
    mov ecx, 0x174
    mov eax, 0x0008
    xor edx, edx
    wrmsr
    xor eax, eax
    rdmsr
    HEX eax
    HEX edx
    mov ecx, 0x12345                         ; no such MSR
    FAULT rdmsr
    FAULT wrmsr
    rdtsc
    mov esi, eax
    mov edi, edx
    mov ecx, 100
tsc_wait:
    loop tsc_wait
    rdtsc
    sub eax, esi
    sbb edx, edi
    jc tsc_bad                               ; went backwards
    or eax, edx
    jz tsc_bad                               ; did not move
    SAY "tsc up"
tsc_bad:
    NL
    RING3
    FAULT rdtsc                              ; CR4.TSD=0: allowed at CPL 3
    FAULT rdmsr                              ; always CPL 0
    RING0
    mov eax, cr4
    or eax, 4                                ; TSD
    mov cr4, eax
    RING3
    FAULT rdtsc
    RING0
    mov eax, 0
    mov cr4, eax
