//go:build amd64

#include "textflag.h"

// Winograd F(2×2, 3×3) transforms in AVX-512, sixteen tiles per vector step
// (see winograd_amd64.go for the layouts).

// func winoInput16(v *float32, ldv int, rows *float32, ldr, lp, vecs int)
//
// For k = 0, 16, …, 16·(vecs−1): the 4×4 input tiles k..k+15 of four
// phase-split padded rows (row a: E at rows + a·ldr, O at E + lp; tile t
// reads E[t], O[t], E[t+1], O[t+1]) go through Bᵀ·d·B, and element (i, j)
// of the transform of tile t is stored at v + (4i+j)·ldv + t.
TEXT ·winoInput16(SB), NOSPLIT, $0-48
	MOVQ v+0(FP), DI
	MOVQ ldv+8(FP), DX
	SHLQ $2, DX
	MOVQ rows+16(FP), SI
	MOVQ ldr+24(FP), R8
	SHLQ $2, R8
	MOVQ lp+32(FP), R9
	SHLQ $2, R9
	MOVQ vecs+40(FP), CX
	LEAQ (DX)(DX*2), R10 // 3·ldv

inloop:
	MOVQ SI, BX
	VMOVUPS (BX), Z0
	VMOVUPS 4(BX), Z2
	VMOVUPS (BX)(R9*1), Z1
	VMOVUPS 4(BX)(R9*1), Z3
	ADDQ R8, BX
	VMOVUPS (BX), Z4
	VMOVUPS 4(BX), Z6
	VMOVUPS (BX)(R9*1), Z5
	VMOVUPS 4(BX)(R9*1), Z7
	ADDQ R8, BX
	VMOVUPS (BX), Z8
	VMOVUPS 4(BX), Z10
	VMOVUPS (BX)(R9*1), Z9
	VMOVUPS 4(BX)(R9*1), Z11
	ADDQ R8, BX
	VMOVUPS (BX), Z12
	VMOVUPS 4(BX), Z14
	VMOVUPS (BX)(R9*1), Z13
	VMOVUPS 4(BX)(R9*1), Z15
	VSUBPS Z2, Z0, Z16
	VADDPS Z2, Z1, Z17
	VSUBPS Z1, Z2, Z18
	VSUBPS Z3, Z1, Z19
	VSUBPS Z6, Z4, Z20
	VADDPS Z6, Z5, Z21
	VSUBPS Z5, Z6, Z22
	VSUBPS Z7, Z5, Z23
	VSUBPS Z10, Z8, Z24
	VADDPS Z10, Z9, Z25
	VSUBPS Z9, Z10, Z26
	VSUBPS Z11, Z9, Z27
	VSUBPS Z14, Z12, Z28
	VADDPS Z14, Z13, Z29
	VSUBPS Z13, Z14, Z30
	VSUBPS Z15, Z13, Z31
	MOVQ DI, BX
	VSUBPS Z24, Z16, Z0
	VSUBPS Z25, Z17, Z1
	VSUBPS Z26, Z18, Z2
	VSUBPS Z27, Z19, Z3
	VMOVUPS Z0, (BX)
	VMOVUPS Z1, (BX)(DX*1)
	VMOVUPS Z2, (BX)(DX*2)
	VMOVUPS Z3, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VADDPS Z24, Z20, Z0
	VADDPS Z25, Z21, Z1
	VADDPS Z26, Z22, Z2
	VADDPS Z27, Z23, Z3
	VMOVUPS Z0, (BX)
	VMOVUPS Z1, (BX)(DX*1)
	VMOVUPS Z2, (BX)(DX*2)
	VMOVUPS Z3, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VSUBPS Z20, Z24, Z0
	VSUBPS Z21, Z25, Z1
	VSUBPS Z22, Z26, Z2
	VSUBPS Z23, Z27, Z3
	VMOVUPS Z0, (BX)
	VMOVUPS Z1, (BX)(DX*1)
	VMOVUPS Z2, (BX)(DX*2)
	VMOVUPS Z3, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VSUBPS Z28, Z20, Z0
	VSUBPS Z29, Z21, Z1
	VSUBPS Z30, Z22, Z2
	VSUBPS Z31, Z23, Z3
	VMOVUPS Z0, (BX)
	VMOVUPS Z1, (BX)(DX*1)
	VMOVUPS Z2, (BX)(DX*2)
	VMOVUPS Z3, (BX)(R10*1)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  inloop
	VZEROUPPER
	RET

// func winoOutput16(dst *float32, ldd int, m *float32, ldm, vecs int)
//
// For k = 0, 16, …: the 4×4 products m[(4i+j)·ldm + t] of tiles k..k+15 go
// through Aᵀ·m·A, and each tile's 2×2 outputs are stored interleaved: row
// r ∈ {0, 1}, columns 2t and 2t+1 at dst + r·ldd + 2t.
TEXT ·winoOutput16(SB), NOSPLIT, $0-40
	MOVQ    dst+0(FP), DI
	MOVQ    ldd+8(FP), DX
	SHLQ    $2, DX
	MOVQ    m+16(FP), SI
	MOVQ    ldm+24(FP), R8
	SHLQ    $2, R8
	MOVQ    vecs+32(FP), CX
	LEAQ    (R8)(R8*2), R9
	VMOVUPS ·loIdx(SB), Z30
	VMOVUPS ·hiIdx(SB), Z31

outloop:
	MOVQ SI, BX
	VMOVUPS (BX), Z0
	VMOVUPS (BX)(R8*1), Z1
	VMOVUPS (BX)(R8*2), Z2
	VMOVUPS (BX)(R9*1), Z3
	LEAQ (BX)(R8*4), BX
	VMOVUPS (BX), Z4
	VMOVUPS (BX)(R8*1), Z5
	VMOVUPS (BX)(R8*2), Z6
	VMOVUPS (BX)(R9*1), Z7
	LEAQ (BX)(R8*4), BX
	VMOVUPS (BX), Z8
	VMOVUPS (BX)(R8*1), Z9
	VMOVUPS (BX)(R8*2), Z10
	VMOVUPS (BX)(R9*1), Z11
	LEAQ (BX)(R8*4), BX
	VMOVUPS (BX), Z12
	VMOVUPS (BX)(R8*1), Z13
	VMOVUPS (BX)(R8*2), Z14
	VMOVUPS (BX)(R9*1), Z15
	VADDPS Z1, Z0, Z16
	VADDPS Z2, Z16, Z16
	VSUBPS Z2, Z1, Z17
	VSUBPS Z3, Z17, Z17
	VADDPS Z5, Z4, Z18
	VADDPS Z6, Z18, Z18
	VSUBPS Z6, Z5, Z19
	VSUBPS Z7, Z19, Z19
	VADDPS Z9, Z8, Z20
	VADDPS Z10, Z20, Z20
	VSUBPS Z10, Z9, Z21
	VSUBPS Z11, Z21, Z21
	VADDPS Z13, Z12, Z22
	VADDPS Z14, Z22, Z22
	VSUBPS Z14, Z13, Z23
	VSUBPS Z15, Z23, Z23
	VADDPS Z18, Z16, Z24
	VADDPS Z20, Z24, Z24
	VSUBPS Z20, Z18, Z26
	VSUBPS Z22, Z26, Z26
	VADDPS Z19, Z17, Z25
	VADDPS Z21, Z25, Z25
	VSUBPS Z21, Z19, Z27
	VSUBPS Z23, Z27, Z27
	VMOVAPS   Z30, Z0
	VPERMI2PS Z25, Z24, Z0
	VMOVAPS   Z31, Z1
	VPERMI2PS Z25, Z24, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	VMOVAPS   Z30, Z2
	VPERMI2PS Z27, Z26, Z2
	VMOVAPS   Z31, Z3
	VPERMI2PS Z27, Z26, Z3
	VMOVUPS   Z2, (DI)(DX*1)
	VMOVUPS   Z3, 64(DI)(DX*1)
	ADDQ      $64, SI
	ADDQ      $128, DI
	DECQ      CX
	JNZ       outloop
	VZEROUPPER
	RET

// func winoGradOutput16(m *float32, ldm int, rows *float32, lp, vecs int)
//
// For k = 0, 16, …, 16·(vecs−1): the 2×2 output-gradient tiles k..k+15 of
// a row pair, split into phases (E0, O0, E1, O1 at rows + q·lp: tile t is
// E0[t] O0[t] over E1[t] O1[t]), go through A·d·Aᵀ, and element (i, j) of
// the transform of tile t is stored at m + (4i+j)·ldm + t.
TEXT ·winoGradOutput16(SB), NOSPLIT, $0-40
	MOVQ m+0(FP), DI
	MOVQ ldm+8(FP), DX
	SHLQ $2, DX
	MOVQ rows+16(FP), SI
	MOVQ lp+24(FP), R9
	SHLQ $2, R9
	MOVQ vecs+32(FP), CX
	LEAQ (DX)(DX*2), R10 // 3·ldm
	VXORPS Z15, Z15, Z15

gradloop:
	MOVQ SI, BX
	VMOVUPS (BX), Z0
	ADDQ R9, BX
	VMOVUPS (BX), Z1
	ADDQ R9, BX
	VMOVUPS (BX), Z2
	ADDQ R9, BX
	VMOVUPS (BX), Z3

	// The rows of A·d: (Z0, Z1), (Z4, Z5) = d0 + d1, (Z6, Z7) = d0 − d1,
	// (Z8, Z9) = −d1; each row (a, b) becomes a, a + b, a − b, −b.
	VADDPS Z2, Z0, Z4
	VADDPS Z3, Z1, Z5
	VSUBPS Z2, Z0, Z6
	VSUBPS Z3, Z1, Z7
	VSUBPS Z2, Z15, Z8
	VSUBPS Z3, Z15, Z9
	MOVQ DI, BX
	VADDPS Z1, Z0, Z10
	VSUBPS Z1, Z0, Z11
	VSUBPS Z1, Z15, Z12
	VMOVUPS Z0, (BX)
	VMOVUPS Z10, (BX)(DX*1)
	VMOVUPS Z11, (BX)(DX*2)
	VMOVUPS Z12, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VADDPS Z5, Z4, Z10
	VSUBPS Z5, Z4, Z11
	VSUBPS Z5, Z15, Z12
	VMOVUPS Z4, (BX)
	VMOVUPS Z10, (BX)(DX*1)
	VMOVUPS Z11, (BX)(DX*2)
	VMOVUPS Z12, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VADDPS Z7, Z6, Z10
	VSUBPS Z7, Z6, Z11
	VSUBPS Z7, Z15, Z12
	VMOVUPS Z6, (BX)
	VMOVUPS Z10, (BX)(DX*1)
	VMOVUPS Z11, (BX)(DX*2)
	VMOVUPS Z12, (BX)(R10*1)
	LEAQ (BX)(DX*4), BX
	VADDPS Z9, Z8, Z10
	VSUBPS Z9, Z8, Z11
	VSUBPS Z9, Z15, Z12
	VMOVUPS Z8, (BX)
	VMOVUPS Z10, (BX)(DX*1)
	VMOVUPS Z11, (BX)(DX*2)
	VMOVUPS Z12, (BX)(R10*1)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  gradloop
	VZEROUPPER
	RET
