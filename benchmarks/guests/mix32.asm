; mix32.asm -- 32-bit flat-mode instruction mix for the pyx86 MIPS benchmark.
;
; Intel syntax, assembled with keystone (KS_MODE_32) for address 00100000h.
; benchmarks/guests.py loads it with cpu.set_flat32() (every segment base 0,
; limit 4 GiB, 32-bit default operand and address size) and:
;   EIP = 00100000h  code
;   ESI = 00110000h  data base; [ESI+0] = outer iteration count (dword, >= 1,
;                    written by the loader), [ESI+4] = inner loop counter,
;                    [ESI+10h..2Fh] scratch dwords (also the REP MOVSB source)
;   EDI = 00118000h  REP MOVSB destination (kept in EBP between copies)
;   ESP = 00180000h  stack
;
; Instruction count (every executed instruction counts 1; REP MOVSB with
; ECX = 32 counts 32, one per iteration):
;   prologue P1..P5                  5
;   per outer iteration O1..O3       3 + the 64 inner iterations
;   per inner iteration             A1..A37 (37) + parity block + B1..B55 (55)
;       parity block: odd counter 2 (ADD, JMP), even counter 1 (SUB)
;       -> 94 (odd) or 93 (even); the counter runs 64..1: 32 odd, 32 even
;       -> 64 inner iterations = 32*94 + 32*93 = 5984
;   epilogue E1 (HLT)                1
;   total = 5 + OUTER * (3 + 5984) + 1 = 6 + 5987 * OUTER
; B9..B15 are the seven instructions of sub32 (RET included); B22..B53 are
; the 32 iterations of REP MOVSB.

start:
    cld                                     ; P1
    mov ebx, esi                            ; P2  data base
    mov ebp, edi                            ; P3  copy destination
    xor eax, eax                            ; P4
    mov edx, 1                              ; P5

outer:
    mov dword ptr [ebx+4], 64               ; O1  inner loop count

inner:
    ; ALU reg/mem, loads and stores, base+index*scale+disp addressing
    mov ecx, 2                              ; A1
    mov eax, dword ptr [ebx+0x10]           ; A2   load
    add eax, dword ptr [ebx+ecx*4+0x10]     ; A3   reg += mem (SIB)
    mov dword ptr [ebx+0x18], eax           ; A4   store
    mov edx, eax                            ; A5
    xor edx, 0x5a5a5a5a                     ; A6   reg ^= imm32
    sub edx, dword ptr [ebx+0x1c]           ; A7   reg -= mem
    and eax, 0x7fffffff                     ; A8
    or edx, 1                               ; A9
    adc eax, edx                            ; A10  reg/reg with carry
    sbb edx, 3                              ; A11
    add dword ptr [ebx+0x20], eax           ; A12  mem += reg
    inc dword ptr [ebx+0x1c]                ; A13  mem read-modify-write
    shl eax, 3                              ; A14
    shr edx, 1                              ; A15
    cmp eax, edx                            ; A16
    xor dword ptr [ebx+ecx*8+0x14], edx     ; A17  [ebx+24h]
    lea edi, [eax+edx*2+0x1234]             ; A18
    ; multiply and divide
    imul eax, edx                           ; A19  two-operand IMUL
    imul edi, dword ptr [ebx+0x10], 0x3b    ; A20  three-operand IMUL, mem source
    mov dword ptr [ebx+0x28], edi           ; A21
    mov eax, dword ptr [ebx+0x18]           ; A22
    mov ecx, 0x3e9                          ; A23  divisor 1001
    xor edx, edx                            ; A24
    div ecx                                 ; A25  EDX:EAX / ECX, quotient fits
    add dword ptr [ebx+0x2c], edx           ; A26  remainder
    mov ecx, eax                            ; A27
    imul ecx                                ; A28  one-operand IMUL: EDX:EAX = EAX*ECX
    xor eax, edx                            ; A29
    mov edx, eax                            ; A30
    xor edx, 0x0f0f0f0f                     ; A31
    neg eax                                 ; A32
    not edx                                 ; A33
    and dword ptr [ebx+0x14], 0x0fffffff    ; A34
    ; a branch that alternates with the parity of the inner counter
    mov esi, dword ptr [ebx+4]              ; A35
    test esi, 1                             ; A36
    jz even_path                            ; A37  taken when the counter is even
    add eax, esi                            ; odd 1
    jmp join                                ; odd 2
even_path:
    sub eax, esi                            ; even 1
join:
    ; branches with a fixed outcome
    cmp eax, eax                            ; B1
    jne never                               ; B2  never taken
    or esi, esi                             ; B3
    jns always                              ; B4  always taken (ESI <= 64)
never:
    inc eax                                 ;     never executed
always:
    ; PUSH/POP and CALL/RET
    push eax                                ; B5
    push edx                                ; B6
    push ebx                                ; B7
    call sub32                              ; B8  (B9..B15 inside sub32)
    pop ebx                                 ; B16
    pop edx                                 ; B17
    pop eax                                 ; B18
    ; REP MOVSB: 32 bytes [ebx+10h] -> [ebp]
    lea esi, [ebx+0x10]                     ; B19
    mov edi, ebp                            ; B20
    mov ecx, 32                             ; B21
    rep movsb                               ; B22..B53  (32 iterations)
    dec dword ptr [ebx+4]                   ; B54
    jnz inner                               ; B55
    dec dword ptr [ebx]                     ; O2
    jnz outer                               ; O3
    hlt                                     ; E1

sub32:
    mov ecx, dword ptr [esp+8]              ; S1  the pushed EDX
    add ecx, eax                            ; S2
    push ecx                                ; S3
    xor ecx, dword ptr [esp+16]             ; S4  the pushed EAX
    add dword ptr [ebx+0x24], ecx           ; S5
    pop ecx                                 ; S6
    ret                                     ; S7
