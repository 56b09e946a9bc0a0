; mix16.asm -- 16-bit real-mode instruction mix for the pyx86 MIPS benchmark.
;
; Intel syntax, assembled with keystone (KS_MODE_16) at offset 0 of CS.
; benchmarks/guests.py loads it as:
;   CS:IP = 1000h:0000h   code
;   DS    = 2000h         data; DS:0000 = outer iteration count (word, 1..65535,
;                         written by the loader), DS:0002 = inner loop counter,
;                         DS:0010..001F scratch words (also the REP MOVSB source)
;   ES    = 3000h         REP MOVSB destination ES:0200h
;   SS:SP = 4000h:FFFEh   stack; SS:0100h.. is addressed through BP
;
; Instruction count (every executed instruction counts 1; REP MOVSB with
; CX = 16 counts 16, one per iteration):
;   prologue P1..P4                  4
;   per outer iteration O1..O3       3 + the 64 inner iterations
;   per inner iteration             A1..A29 (29) + parity block + B1..B36 (36)
;       parity block: odd counter 2 (ADD, JMP), even counter 1 (SUB)
;       -> 67 (odd) or 66 (even); the counter runs 64..1: 32 odd, 32 even
;       -> 64 inner iterations = 32*67 + 32*66 = 4256
;   epilogue E1 (HLT)                1
;   total = 4 + OUTER * (3 + 4256) + 1 = 5 + 4259 * OUTER
; B9..B12 are the four instructions of sub16 (RET included); B19..B34 are the
; 16 iterations of REP MOVSB.
;
; keystone encodes near CALL, RET and rel16 JMP/Jcc in 16-bit mode with a 66h
; operand-size prefix (a 32-bit CALL/RET), so those three are spelled out as
; bytes here to get the plain 16-bit forms (E8 rel16, C3, 0F 85 rel16).

start:
    cld                         ; P1
    xor ax, ax                  ; P2
    mov bx, 0x10                ; P3  data pointer (DS:0010)
    mov bp, 0x100               ; P4  stack-segment pointer (SS:0100)

outer:
    mov word ptr [2], 64        ; O1  inner loop count

inner:
    ; ALU reg/mem, loads and stores through BX
    mov ax, word ptr [bx]       ; A1   load
    add ax, word ptr [bx+2]     ; A2   reg += mem
    mov word ptr [bx+4], ax     ; A3   store
    mov dx, ax                  ; A4
    xor dx, 0x5a5a              ; A5   reg ^= imm
    sub dx, word ptr [bx+6]     ; A6   reg -= mem
    and ax, 0x7fff              ; A7
    or dx, 1                    ; A8
    adc ax, dx                  ; A9   reg/reg with carry
    sbb dx, 3                   ; A10
    add word ptr [bx+8], ax     ; A11  mem += reg
    inc word ptr [bx+6]         ; A12  mem read-modify-write
    shl ax, 1                   ; A13
    shr dx, 1                   ; A14
    cmp ax, dx                  ; A15
    xor word ptr [bx+10], dx    ; A16
    mov cx, word ptr [bx+12]    ; A17
    add cx, ax                  ; A18
    sub cx, dx                  ; A19
    mov word ptr [bx+12], cx    ; A20
    neg cx                      ; A21
    not dx                      ; A22
    and word ptr [bx+14], 0x0fff ; A23
    ; SS-relative memory through BP
    mov word ptr [bp+2], ax     ; A24
    add cx, word ptr [bp+2]     ; A25
    mov word ptr [bp+4], cx     ; A26
    ; a branch that alternates with the parity of the inner counter
    mov si, word ptr [2]        ; A27
    test si, 1                  ; A28
    jz even_path                ; A29  taken when the counter is even
    add ax, si                  ; odd 1
    jmp join                    ; odd 2
even_path:
    sub ax, si                  ; even 1
join:
    ; branches with a fixed outcome
    cmp ax, ax                  ; B1
    jne never                   ; B2  never taken
    or si, si                   ; B3
    jns always                  ; B4  always taken (SI <= 64)
never:
    inc ax                      ;     never executed
always:
    ; PUSH/POP and CALL/RET
    push ax                     ; B5
    push dx                     ; B6
    push bx                     ; B7
    .byte 0xe8                  ; B8  CALL rel16 sub16 (B9..B12 inside sub16)
    .short sub16 - . - 2
    pop bx                      ; B13
    pop dx                      ; B14
    pop ax                      ; B15
    ; REP MOVSB: 16 bytes DS:0010 -> ES:0200
    mov si, bx                  ; B16
    mov di, 0x200               ; B17
    mov cx, 16                  ; B18
    rep movsb                   ; B19..B34  (16 iterations)
    dec word ptr [2]            ; B35
    jnz inner                   ; B36
    dec word ptr [0]            ; O2
    .byte 0x0f, 0x85            ; O3  JNZ rel16 outer
    .short outer - . - 2
    hlt                         ; E1

sub16:
    mov cx, ax                  ; S1
    xor cx, dx                  ; S2
    add word ptr [bp+6], cx     ; S3
    .byte 0xc3                  ; S4  RET (near, 16-bit)
