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

// TAIL_MASKS splits a row of R10 elements into whole steps of 32 and a
// tail: it leaves in AX the tail's element count t = R10 mod 32, in R10
// the whole steps, and the masks K2, K3 of the t elements in the tail's two
// vectors, K1 of its ⌈t/2⌉ evens and K4 of its ⌊t/2⌋ odds. It uses CX
// and R11.
#define TAIL_MASKS \
	MOVQ     R10, AX  \
	ANDQ     $31, AX  \
	SHRQ     $5, R10  \
	MOVQ     AX, CX   \
	MOVQ     $1, R11  \
	SHLQ     CX, R11  \
	DECQ     R11      \
	KMOVD    R11, K2  \
	KSHIFTRD $16, K2, K3 \
	INCQ     CX       \
	SHRQ     $1, CX   \
	MOVQ     $1, R11  \
	SHLQ     CX, R11  \
	DECQ     R11      \
	KMOVW    R11, K1  \
	MOVQ     AX, CX   \
	SHRQ     $1, CX   \
	MOVQ     $1, R11  \
	SHLQ     CX, R11  \
	DECQ     R11      \
	KMOVW    R11, K4

// func deinterleaveRowsAVX512(even, odd, src *float32, m, rows, srcStride, dstStride int)
//
// For each of rows rows (src advancing by srcStride elements, even and odd
// by dstStride), splits the row's m elements: element j goes to even[j/2]
// when j is even, to odd[j/2] when odd. 16 pairs per step; the last step
// of a row loads and stores under masks, so nothing outside the m
// elements is read or written. The masks are worked out once.
TEXT ·deinterleaveRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ    even+0(FP), DI
	MOVQ    odd+8(FP), SI
	MOVQ    src+16(FP), BX
	MOVQ    m+24(FP), R10
	MOVQ    rows+32(FP), DX
	MOVQ    srcStride+40(FP), R8
	SHLQ    $2, R8
	MOVQ    dstStride+48(FP), R9
	SHLQ    $2, R9
	VMOVUPS ·evenIdx(SB), Z2
	VMOVUPS ·oddIdx(SB), Z3

	TAIL_MASKS

drow:
	TESTQ DX, DX
	JZ    ddone
	MOVQ  BX, R11
	MOVQ  DI, R12
	MOVQ  SI, R13
	MOVQ  R10, CX

dloop:
	TESTQ     CX, CX
	JZ        dtail
	VMOVUPS   (R11), Z0
	VMOVUPS   64(R11), Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, (R12)
	VMOVUPS   Z5, (R13)
	ADDQ      $128, R11
	ADDQ      $64, R12
	ADDQ      $64, R13
	DECQ      CX
	JMP       dloop

dtail:
	TESTQ     AX, AX
	JZ        dnext
	VMOVUPS.Z (R11), K2, Z0
	VMOVUPS.Z 64(R11), K3, Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, K1, (R12)
	VMOVUPS   Z5, K4, (R13)

dnext:
	ADDQ R8, BX
	ADDQ R9, DI
	ADDQ R9, SI
	DECQ DX
	JMP  drow

ddone:
	VZEROUPPER
	RET

// func interleaveRowsAVX512(dst, even, odd *float32, m, rows, dstStride, srcStride int)
//
// The inverse of deinterleaveRowsAVX512: for each of rows rows (dst
// advancing by dstStride elements, even and odd by srcStride), dst[j] =
// even[j/2] for even j < m and odd[j/2] for odd j, 16 pairs per step, the
// last of a row under masks.
TEXT ·interleaveRowsAVX512(SB), NOSPLIT, $0-56
	MOVQ    dst+0(FP), DI
	MOVQ    even+8(FP), BX
	MOVQ    odd+16(FP), SI
	MOVQ    m+24(FP), R10
	MOVQ    rows+32(FP), DX
	MOVQ    dstStride+40(FP), R8
	SHLQ    $2, R8
	MOVQ    srcStride+48(FP), R9
	SHLQ    $2, R9
	VMOVUPS ·loIdx(SB), Z2
	VMOVUPS ·hiIdx(SB), Z3

	// K1, K4 load the tail's evens and odds, K2, K3 store its outputs.
	TAIL_MASKS

irow:
	TESTQ DX, DX
	JZ    idone
	MOVQ  DI, R11
	MOVQ  BX, R12
	MOVQ  SI, R13
	MOVQ  R10, CX

iloop:
	TESTQ     CX, CX
	JZ        itail
	VMOVUPS   (R12), Z0
	VMOVUPS   (R13), Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, (R11)
	VMOVUPS   Z5, 64(R11)
	ADDQ      $64, R12
	ADDQ      $64, R13
	ADDQ      $128, R11
	DECQ      CX
	JMP       iloop

itail:
	TESTQ     AX, AX
	JZ        inext
	VMOVUPS.Z (R12), K1, Z0
	VMOVUPS.Z (R13), K4, Z1
	VMOVAPS   Z2, Z4
	VPERMI2PS Z1, Z0, Z4
	VMOVAPS   Z3, Z5
	VPERMI2PS Z1, Z0, Z5
	VMOVUPS   Z4, K2, (R11)
	VMOVUPS   Z5, K3, 64(R11)

inext:
	ADDQ R8, DI
	ADDQ R9, BX
	ADDQ R9, SI
	DECQ DX
	JMP  irow

idone:
	VZEROUPPER
	RET

// func copyRowsAVX512(dst, src *float32, rows, dstStride, srcStride, masks int)
//
// For each of rows rows (dst advancing by dstStride elements, src by
// srcStride), loads the row's first one or two vectors of src under the
// load masks and stores them, zeros in the unloaded lanes, to dst under
// the store masks. masks holds four 16-bit masks, from the low bits up:
// load and store of the first vector, load and store of the second (zero:
// rows of one vector).
TEXT ·copyRowsAVX512(SB), NOSPLIT, $0-48
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  rows+16(FP), DX
	MOVQ  dstStride+24(FP), R8
	SHLQ  $2, R8
	MOVQ  srcStride+32(FP), R9
	SHLQ  $2, R9
	MOVQ  masks+40(FP), AX
	KMOVW AX, K1
	SHRQ  $16, AX
	KMOVW AX, K2
	SHRQ  $16, AX
	KMOVW AX, K3
	SHRQ  $16, AX
	KMOVW AX, K4
	TESTQ DX, DX
	JZ    cdone
	KORTESTW K4, K4
	JZ    cone

ctwo:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K3, Z1
	VMOVUPS   Z0, K2, (DI)
	VMOVUPS   Z1, K4, 64(DI)
	ADDQ      R9, SI
	ADDQ      R8, DI
	DECQ      DX
	JNZ       ctwo
	JMP       cdone

cone:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, K2, (DI)
	ADDQ      R9, SI
	ADDQ      R8, DI
	DECQ      DX
	JNZ       cone

cdone:
	VZEROUPPER
	RET
