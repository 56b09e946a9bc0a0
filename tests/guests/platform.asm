; platform.asm -- end-to-end test guest for the PC platform (no BIOS: it is the ROM).
;
; Intel syntax, assembled with keystone (KS_MODE_16) at offset 0 of segment F000h;
; tests/test_platform_guest.py puts it at F0000h with a far jump to `start` at
; F000:FFF0 (the reset vector) and runs it with -bios.
;
; What it does, in order:
;   1. programs the 8259A pair (ICW1-4: vectors 08h and 70h), unmasks IRQ0 only;
;   2. programs PIT channel 0 as a rate generator (mode 2) at 1193182/1193 Hz;
;   3. counts IRQ0 interrupts in an ISR (INT 08h) while HLTing, until 100;
;   4. reads the RTC (century, year, month, day, hours, minutes, seconds: BCD)
;      after waiting for update-in-progress to clear;
;   5. sends "PYX86" through COM1 in loopback mode and reads it back;
;   6. writes a report line through COM1 to the host:
;        "TICKS=0064 LOOP=5 RTC=20240229 235958 SPUR=0000\r\n"
;      (hex words and BCD bytes printed as two hex digits each);
;   7. waits for the transmitter to be empty (TEMT), then exits through
;      isa-debug-exit (port F4h) with value 21h (exit status 43h).
;
; Memory (segment 0): 0500h tick count, 0502h loopback matches, 0504h spurious
; count, 0600h.. report buffer.  Keystone encodes near CALL/RET with a 66h
; prefix in 16-bit mode, so the program uses none.

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov ds, ax
    mov es, ax
    cld
    mov word ptr [0x20], isr        ; INT 08h -> F000:isr
    mov word ptr [0x22], 0xF000
    mov word ptr [0x3C], spurious   ; INT 0Fh (IRQ7) -> F000:spurious
    mov word ptr [0x3E], 0xF000
    mov word ptr [0x500], 0
    mov word ptr [0x502], 0
    mov word ptr [0x504], 0
    mov byte ptr [0x6FE], 0

    mov al, 0x11                    ; ICW1: edge, cascade, ICW4 needed
    out 0x20, al
    out 0xA0, al
    mov al, 0x08                    ; ICW2: master vectors 08h-0Fh
    out 0x21, al
    mov al, 0x70                    ; ICW2: slave vectors 70h-77h
    out 0xA1, al
    mov al, 0x04                    ; ICW3: slave on IRQ2
    out 0x21, al
    mov al, 0x02                    ; ICW3: slave identity 2
    out 0xA1, al
    mov al, 0x01                    ; ICW4: 8086 mode, normal EOI
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE                    ; OCW1: only IRQ0
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al

    mov al, 0x34                    ; counter 0, LSB then MSB, mode 2, binary
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
wait_ticks:
    hlt
    cmp word ptr [0x500], 100
    jb wait_ticks
    cli

    mov di, 0x600                   ; the report buffer
    mov si, t_ticks
    mov cx, 6
    rep movsb es:[di], cs:[si]
    mov ax, word ptr [0x500]
    xchg al, ah
    stosb                           ; high byte first; converted to hex below
    mov al, ah
    stosb

wait_uip:
    mov al, 0x0A                    ; register A: bit 7 = update in progress
    out 0x70, al
    in al, 0x71
    test al, 0x80
    jnz wait_uip
    mov di, 0x600
    mov si, rtc_regs
    mov cx, 7
read_rtc:
    mov al, byte ptr cs:[si]
    inc si
    out 0x70, al
    in al, 0x71
    mov byte ptr [di + 0x80], al    ; raw BCD bytes at 0680h..
    inc di
    loop read_rtc

    mov dx, 0x3FB                   ; COM1 LCR: DLAB
    mov al, 0x80
    out dx, al
    mov dx, 0x3F8                   ; divisor 1: 115200 baud
    mov al, 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, 0x3FB                   ; 8 data bits, no parity, 1 stop
    mov al, 0x03
    out dx, al
    mov dx, 0x3FA                   ; FCR: FIFOs on and cleared
    mov al, 0x07
    out dx, al
    mov dx, 0x3FC                   ; MCR: loopback
    mov al, 0x10
    out dx, al
    mov si, loop_text
    mov cx, 5
loop_send:
    mov dx, 0x3FD
wait_thre:
    in al, dx
    test al, 0x20
    jz wait_thre
    mov dx, 0x3F8
    mov al, byte ptr cs:[si]
    out dx, al
    mov dx, 0x3FD
wait_dr:
    in al, dx
    test al, 0x01
    jz wait_dr
    mov dx, 0x3F8
    in al, dx
    cmp al, byte ptr cs:[si]
    jne loop_miss
    inc word ptr [0x502]
loop_miss:
    inc si
    loop loop_send
    mov dx, 0x3FC                   ; MCR: DTR, RTS, loopback off
    mov al, 0x03
    out dx, al

    ; --- the report line, sent byte by byte (hex digits for the binary fields)
    mov si, t_ticks                 ; "TICKS="
    mov cx, 6
    mov bx, 0x600 + 6               ; two binary bytes to print as hex
    mov bp, 2
    jmp send_text
after_ticks:
    mov si, t_loop                  ; " LOOP="
    mov cx, 6
    mov al, byte ptr [0x502]
    add al, 0x30
    mov byte ptr [0x6F0], al
    mov bx, 0x6F0
    mov bp, 0xFFFF                  ; one raw character
    jmp send_text
after_loop:
    mov si, t_rtc                   ; " RTC="
    mov cx, 5
    mov bx, 0x680                   ; century, year, month, day
    mov bp, 4
    jmp send_text
after_date:
    mov si, t_space
    mov cx, 1
    mov bx, 0x684                   ; hours, minutes, seconds
    mov bp, 3
    jmp send_text
after_time:
    mov si, t_spur                  ; " SPUR="
    mov cx, 6
    mov ax, word ptr [0x504]
    mov byte ptr [0x6F2], ah
    mov byte ptr [0x6F3], al
    mov bx, 0x6F2
    mov bp, 2
    jmp send_text
after_spur:
    mov si, t_crlf
    mov cx, 2
    mov bp, 0
    jmp send_text
after_crlf:
    mov dx, 0x3FD                   ; wait until the last character has left (TEMT)
wait_temt:
    in al, dx
    test al, 0x40
    jz wait_temt
    mov dx, 0xF4                    ; isa-debug-exit: status (21h << 1) | 1
    mov al, 0x21
    out dx, al
    cli
    hlt

; send CX bytes of text at CS:SI, then BP bytes at DS:BX as two hex digits each
; (BP = FFFFh: one raw byte), then continue at the next after_* label (the
; step number lives in [0x6FE]).
send_text:
    mov al, byte ptr cs:[si]
    inc si
    mov byte ptr [0x6FC], al
    jmp send_char
text_next:
    loop send_text
    cmp bp, 0xFFFF
    jne hex_bytes
    mov bp, 0
    mov al, byte ptr [bx]
    mov byte ptr [0x6FC], al
    mov byte ptr [0x6FD], 2         ; after it: done
    jmp send_char2
hex_bytes:
    cmp bp, 0
    je field_done
    mov al, byte ptr [bx]
    shr al, 4
    mov byte ptr [0x6FD], 0         ; the high digit; then the low one
    jmp hex_char
hex_low:
    mov al, byte ptr [bx]
    and al, 0x0F
    mov byte ptr [0x6FD], 1
hex_char:
    add al, 0x30
    cmp al, 0x39
    jbe hex_ok
    add al, 7
hex_ok:
    mov byte ptr [0x6FC], al
    jmp send_char2
hex_step:
    cmp byte ptr [0x6FD], 0
    je hex_low
    cmp byte ptr [0x6FD], 2
    je field_done
    inc bx
    dec bp
    jmp hex_bytes
field_done:
    inc byte ptr [0x6FE]
    mov al, byte ptr [0x6FE]
    cmp al, 1
    je j_ticks
    cmp al, 2
    je j_loop
    cmp al, 3
    je j_date
    cmp al, 4
    je j_time
    cmp al, 5
    je j_spur
    jmp after_crlf
j_ticks:
    jmp after_ticks
j_loop:
    jmp after_loop
j_date:
    jmp after_date
j_time:
    jmp after_time
j_spur:
    jmp after_spur

; transmit [0x6FC] on COM1 once THR is empty; send_char returns to text_next,
; send_char2 to hex_step
send_char:
    mov byte ptr [0x6FB], 0
    jmp tx
send_char2:
    mov byte ptr [0x6FB], 1
tx:
    mov dx, 0x3FD
tx_wait:
    in al, dx
    test al, 0x20
    jz tx_wait
    mov dx, 0x3F8
    mov al, byte ptr [0x6FC]
    out dx, al
    cmp byte ptr [0x6FB], 0
    je text_next
    jmp hex_step

isr:
    push ax
    inc word ptr [0x500]            ; DS = 0 throughout the program
    mov al, 0x20                    ; non-specific EOI
    out 0x20, al
    pop ax
    iret

spurious:
    inc word ptr [0x504]            ; a spurious IRQ7 must not be acknowledged with EOI
    iret

rtc_regs:
    .byte 0x32, 0x09, 0x08, 0x07, 0x04, 0x02, 0x00
t_ticks:
    .ascii "TICKS="
t_loop:
    .ascii " LOOP="
t_rtc:
    .ascii " RTC="
t_space:
    .ascii " "
t_spur:
    .ascii " SPUR="
t_crlf:
    .byte 13, 10
loop_text:
    .ascii "PYX86"
