; Double fault: a #GP whose gate is not present raises #NP(vector*8+2+EXT), both
; contributory, so #DF(0) (SDM 6.15 #DF, Table 6-5); a #PF then a #GP too.
    GATE 8, 0x08, df_handler, 0x8E00
    GATE 13, 0x08, 0, 0x0E00                 ; #GP gate not present
    mov dword ptr [V_RECOVER], after_df
    mov dword ptr [V_TMP], esp
    mov eax, 0x10
    mov ebx, 0x28
    mov ds, ebx                              ; #GP(28h) -> #NP(6Bh) -> #DF
    SAY "no fault\n"
after_df:
    SAY "pf\n"
    GATE 13, 0x08, rt_stub13, 0x8E00
    GATE 14, 0x08, 0, 0x0E00                 ; #PF gate not present
    PAGING
    mov dword ptr [PT0+0x30*4], 0
    mov dword ptr [V_RECOVER], after_df2
    mov eax, [0x30000]                       ; #PF -> #NP(73h) -> #DF
    SAY "no fault\n"
after_df2:
    GATE 14, 0x08, rt_stub14, 0x8E00
    SAY "benign\n"
    GATE 6, 0x08, 0, 0x0E00                  ; #UD gate not present: #NP alone
    FAULT ud2                                ; #NP(6*8+2+EXT)
    EXIT
df_handler:
    SAY "#DF "
    HEX [esp]                                ; error code 0; the saved CS:EIP is undefined
    NL
    mov esp, dword ptr [V_TMP]
    mov eax, 0x10
    mov ds, eax
    jmp dword ptr [V_RECOVER]
