//go:build amd64

#include "textflag.h"

// Indices for VPERMI2PS (the index vector is the destination) over two
// 16-float vectors A (indices 0–15) and B (16–31): the even and the odd
// elements of A‖B, and the first and second halves of the pairwise
// interleave of A and B.
DATA ·evenIdx+0(SB)/8, $0x0000000200000000
DATA ·evenIdx+8(SB)/8, $0x0000000600000004
DATA ·evenIdx+16(SB)/8, $0x0000000a00000008
DATA ·evenIdx+24(SB)/8, $0x0000000e0000000c
DATA ·evenIdx+32(SB)/8, $0x0000001200000010
DATA ·evenIdx+40(SB)/8, $0x0000001600000014
DATA ·evenIdx+48(SB)/8, $0x0000001a00000018
DATA ·evenIdx+56(SB)/8, $0x0000001e0000001c
GLOBL ·evenIdx(SB), RODATA|NOPTR, $64

DATA ·oddIdx+0(SB)/8, $0x0000000300000001
DATA ·oddIdx+8(SB)/8, $0x0000000700000005
DATA ·oddIdx+16(SB)/8, $0x0000000b00000009
DATA ·oddIdx+24(SB)/8, $0x0000000f0000000d
DATA ·oddIdx+32(SB)/8, $0x0000001300000011
DATA ·oddIdx+40(SB)/8, $0x0000001700000015
DATA ·oddIdx+48(SB)/8, $0x0000001b00000019
DATA ·oddIdx+56(SB)/8, $0x0000001f0000001d
GLOBL ·oddIdx(SB), RODATA|NOPTR, $64

DATA ·loIdx+0(SB)/8, $0x0000001000000000
DATA ·loIdx+8(SB)/8, $0x0000001100000001
DATA ·loIdx+16(SB)/8, $0x0000001200000002
DATA ·loIdx+24(SB)/8, $0x0000001300000003
DATA ·loIdx+32(SB)/8, $0x0000001400000004
DATA ·loIdx+40(SB)/8, $0x0000001500000005
DATA ·loIdx+48(SB)/8, $0x0000001600000006
DATA ·loIdx+56(SB)/8, $0x0000001700000007
GLOBL ·loIdx(SB), RODATA|NOPTR, $64

DATA ·hiIdx+0(SB)/8, $0x0000001800000008
DATA ·hiIdx+8(SB)/8, $0x0000001900000009
DATA ·hiIdx+16(SB)/8, $0x0000001a0000000a
DATA ·hiIdx+24(SB)/8, $0x0000001b0000000b
DATA ·hiIdx+32(SB)/8, $0x0000001c0000000c
DATA ·hiIdx+40(SB)/8, $0x0000001d0000000d
DATA ·hiIdx+48(SB)/8, $0x0000001e0000000e
DATA ·hiIdx+56(SB)/8, $0x0000001f0000000f
GLOBL ·hiIdx(SB), RODATA|NOPTR, $64

// func deinterleaveAVX512(even, odd, src *float32, n int)
//
// even[i] = src[2i] and odd[i] = src[2i+1] for i < n, 16 pairs per step;
// the last step loads and stores under masks, so nothing outside the n
// pairs is read or written.
TEXT ·deinterleaveAVX512(SB), NOSPLIT, $0-32
	MOVQ    even+0(FP), DI
	MOVQ    odd+8(FP), SI
	MOVQ    src+16(FP), BX
	MOVQ    n+24(FP), CX
	VMOVUPS ·evenIdx(SB), Z2
	VMOVUPS ·oddIdx(SB), Z3

dloop:
	CMPQ      CX, $16
	JLT       dtail
	VMOVUPS   (BX), Z0
	VMOVUPS   64(BX), Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, (DI)
	VMOVUPS   Z5, (SI)
	ADDQ      $128, BX
	ADDQ      $64, DI
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       dloop

dtail:
	TESTQ     CX, CX
	JZ        ddone
	// K1: the n pairs' outputs; K2, K3: the 2n inputs in the two vectors.
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	SHLQ      $1, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVD     AX, K2
	KSHIFTRD  $16, K2, K3
	VMOVUPS.Z (BX), K2, Z0
	VMOVUPS.Z 64(BX), K3, Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, K1, (DI)
	VMOVUPS   Z5, K1, (SI)

ddone:
	VZEROUPPER
	RET

// func interleaveAVX512(dst, even, odd *float32, n int)
//
// dst[2i] = even[i] and dst[2i+1] = odd[i] for i < n, 16 pairs per step,
// the last under masks.
TEXT ·interleaveAVX512(SB), NOSPLIT, $0-32
	MOVQ    dst+0(FP), DI
	MOVQ    even+8(FP), BX
	MOVQ    odd+16(FP), SI
	MOVQ    n+24(FP), CX
	VMOVUPS ·loIdx(SB), Z2
	VMOVUPS ·hiIdx(SB), Z3

iloop:
	CMPQ      CX, $16
	JLT       itail
	VMOVUPS   (BX), Z0
	VMOVUPS   (SI), Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, (DI)
	VMOVUPS   Z5, 64(DI)
	ADDQ      $64, BX
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $16, CX
	JMP       iloop

itail:
	TESTQ     CX, CX
	JZ        idone
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	SHLQ      $1, CX
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVD     AX, K2
	KSHIFTRD  $16, K2, K3
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, K2, (DI)
	VMOVUPS   Z5, K3, 64(DI)

idone:
	VZEROUPPER
	RET
