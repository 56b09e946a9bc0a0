; Far CALL through a DPL-3 call gate to CPL 0 copies the parameters to the inner stack;
; RETF n returns to CPL 3 and pops them from both stacks (SDM 5.8.3-5.8.6).
    GATEAT GDT+0x40, 0x08, gate_target, 0xEC02   ; call gate, DPL 3, 2 dwords
    GATEAT GDT+0x48, 0x08, gate_target, 0x8C02   ; call gate, DPL 0
    GATEAT GDT+0x50, 0x08, gate3_target, 0xEC03  ; 3 dwords
    RING3
    push 0x1111
    push 0x2222
    CALLF 0x43, 0
after_call:
    mov ecx, esp
    HEX ecx
    mov eax, ds
    HEX4 eax
    mov eax, cs
    HEX4 eax
    NL
    mov eax, 0x23
    mov ds, eax
    push 0xA
    push 0xB
    push 0xC
    CALLF 0x53, 0
after_call3:
    mov ecx, esp
    HEX ecx
    NL
    FAULT CALLF 0x4B, 0                      ; gate DPL 0 < CPL 3: #GP(gate selector)
    RING0
    EXIT
gate_target:
    mov eax, dword ptr [esp]
    sub eax, after_call
    HEX eax
    HEX4 [esp+4]
    HEX [esp+8]
    HEX [esp+12]
    HEX [esp+16]
    HEX4 [esp+20]
    mov eax, esp
    HEX eax
    NL
    mov eax, 0x10                            ; DS DPL 0: nulled by the return to CPL 3
    mov ds, eax
    retf 8
gate3_target:
    HEX [esp+8]
    HEX [esp+12]
    HEX [esp+16]
    HEX [esp+20]
    mov eax, esp
    HEX eax
    NL
    retf 12
