//go:build amd64

#include "textflag.h"

// Float32 vector loops in AVX-512 over n elements, n a multiple of 16 (the
// callers in vec_amd64.go finish the tail in Go). Sums accumulate in
// float64: each 16 floats convert to two vectors of 8 doubles, added to two
// accumulators, which are summed in a fixed order at the end, so a result
// does not depend on anything but the data.

// hsum64 adds the accumulators Z0 and Z1 and leaves their lane sum in X0.
#define HSUM64 \
	VADDPD        Z1, Z0, Z0;  \
	VEXTRACTF64X4 $1, Z0, Y1;  \
	VADDPD        Y1, Y0, Y0;  \
	VEXTRACTF128  $1, Y0, X1;  \
	VADDPD        X1, X0, X0;  \
	VPERMILPD     $1, X0, X1;  \
	VADDSD        X1, X0, X0

// func sum16AVX512(x *float32, n int) float64
TEXT ·sum16AVX512(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	TESTQ  CX, CX
	JZ     sumdone

sumloop:
	VCVTPS2PD (SI), Z2
	VCVTPS2PD 32(SI), Z3
	VADDPD    Z2, Z0, Z0
	VADDPD    Z3, Z1, Z1
	ADDQ      $64, SI
	SUBQ      $16, CX
	JNZ       sumloop

sumdone:
	HSUM64
	MOVSD X0, ret+16(FP)
	VZEROUPPER
	RET

// func sqdev16AVX512(x *float32, n int, mean float64) float64
//
// Σ (x − mean)².
TEXT ·sqdev16AVX512(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSD mean+16(FP), Z8
	VXORPD       Z0, Z0, Z0
	VXORPD       Z1, Z1, Z1
	TESTQ        CX, CX
	JZ           sqdone

sqloop:
	VCVTPS2PD   (SI), Z2
	VCVTPS2PD   32(SI), Z3
	VSUBPD      Z8, Z2, Z2
	VSUBPD      Z8, Z3, Z3
	VFMADD231PD Z2, Z2, Z0
	VFMADD231PD Z3, Z3, Z1
	ADDQ        $64, SI
	SUBQ        $16, CX
	JNZ         sqloop

sqdone:
	HSUM64
	MOVSD X0, ret+24(FP)
	VZEROUPPER
	RET

// func dotdev16AVX512(dy, x *float32, n int, mean float64) float64
//
// Σ dy·(x − mean).
TEXT ·dotdev16AVX512(SB), NOSPLIT, $0-40
	MOVQ         dy+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSD mean+24(FP), Z8
	VXORPD       Z0, Z0, Z0
	VXORPD       Z1, Z1, Z1
	TESTQ        CX, CX
	JZ           dotdone

dotloop:
	VCVTPS2PD   (SI), Z2
	VCVTPS2PD   32(SI), Z3
	VSUBPD      Z8, Z2, Z2
	VSUBPD      Z8, Z3, Z3
	VCVTPS2PD   (DI), Z4
	VCVTPS2PD   32(DI), Z5
	VFMADD231PD Z4, Z2, Z0
	VFMADD231PD Z5, Z3, Z1
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         dotloop

dotdone:
	HSUM64
	MOVSD X0, ret+32(FP)
	VZEROUPPER
	RET

// func centered16AVX512(y, x *float32, n int, m, a, b float32)
//
// y = a·(x − m) + b: a subtraction, then one FMA per element.
TEXT ·centered16AVX512(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z3
	VBROADCASTSS a+28(FP), Z1
	VBROADCASTSS b+32(FP), Z2
	TESTQ        CX, CX
	JZ           cedone

celoop:
	VMOVUPS     (SI), Z4
	VSUBPS      Z3, Z4, Z4
	VMOVAPS     Z2, Z0
	VFMADD231PS Z4, Z1, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         celoop

cedone:
	VZEROUPPER
	RET

// func bndx16AVX512(dx, dy, x *float32, n int, m, a, b, c float32)
//
// dx = a·dy + (b·(x − m) + c): a subtraction and two FMAs per element, in
// that order.
TEXT ·bndx16AVX512(SB), NOSPLIT, $0-48
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), DX
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	VBROADCASTSS m+32(FP), Z4
	VBROADCASTSS a+36(FP), Z1
	VBROADCASTSS b+40(FP), Z2
	VBROADCASTSS c+44(FP), Z3
	TESTQ        CX, CX
	JZ           bndone

bnloop:
	VMOVUPS     (SI), Z5
	VSUBPS      Z4, Z5, Z5
	VMOVAPS     Z3, Z0
	VFMADD231PS Z5, Z2, Z0
	VFMADD231PS (DX), Z1, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DX
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         bnloop

bndone:
	VZEROUPPER
	RET

// func relu16AVX512(y, x *float32, n int)
//
// y = max(x, 0), NaN propagating (MAXPS returns its second source, x, when
// either is NaN).
TEXT ·relu16AVX512(SB), NOSPLIT, $0-24
	MOVQ   y+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Z1, Z1, Z1
	TESTQ  CX, CX
	JZ     reludone

reluloop:
	VMAXPS  (SI), Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     reluloop

reludone:
	VZEROUPPER
	RET

// func reluGrad16AVX512(dx, y, dy *float32, n int)
//
// dx = dy where y > 0 (ordered: a NaN y gives 0), else 0.
TEXT ·reluGrad16AVX512(SB), NOSPLIT, $0-32
	MOVQ   dx+0(FP), DI
	MOVQ   y+8(FP), SI
	MOVQ   dy+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Z1, Z1, Z1
	TESTQ  CX, CX
	JZ     rgdone

rgloop:
	VMOVUPS   (SI), Z0
	VCMPPS    $0x1e, Z1, Z0, K1
	VMOVUPS.Z (DX), K1, Z2
	VMOVUPS   Z2, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JNZ       rgloop

rgdone:
	VZEROUPPER
	RET

// func sgd16AVX512(theta, grad, vel *float32, n int, lr, mom, wd float32, nesterov bool)
//
// One SGD step with momentum, rounding each operation as sgdSpan's Go code
// does (no fused multiply-adds): g = grad + wd·θ; v = mom·v + g; θ −= lr·v,
// or θ −= lr·(g + mom·v) with Nesterov.
TEXT ·sgd16AVX512(SB), NOSPLIT, $0-45
	MOVQ         theta+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         vel+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lr+32(FP), Z10
	VBROADCASTSS mom+36(FP), Z11
	VBROADCASTSS wd+40(FP), Z12
	MOVBLZX      nesterov+44(FP), AX
	TESTQ        CX, CX
	JZ           sgddone

sgdloop:
	VMOVUPS (DI), Z0
	VMULPS  Z12, Z0, Z3
	VADDPS  (SI), Z3, Z3
	VMULPS  (DX), Z11, Z4
	VADDPS  Z3, Z4, Z4
	VMOVUPS Z4, (DX)
	TESTQ   AX, AX
	JZ      sgdplain
	VMULPS  Z11, Z4, Z4
	VADDPS  Z3, Z4, Z4

sgdplain:
	VMULPS  Z10, Z4, Z4
	VSUBPS  Z4, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JNZ     sgdloop

sgddone:
	VZEROUPPER
	RET

// func add16AVX512(y, a, b *float32, n int)
//
// y = a + b.
TEXT ·add16AVX512(SB), NOSPLIT, $0-32
	MOVQ  y+0(FP), DI
	MOVQ  a+8(FP), SI
	MOVQ  b+16(FP), DX
	MOVQ  n+24(FP), CX
	TESTQ CX, CX
	JZ    adddone

addloop:
	VMOVUPS (SI), Z0
	VADDPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     addloop

adddone:
	VZEROUPPER
	RET

// func accum16AVX512(acc *float64, x *float32, n int)
//
// acc[i] += float64(x[i]): one add per element, as the Go loop does.
TEXT ·accum16AVX512(SB), NOSPLIT, $0-24
	MOVQ  acc+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  n+16(FP), CX
	TESTQ CX, CX
	JZ    accdone

accloop:
	VCVTPS2PD (SI), Z0
	VCVTPS2PD 32(SI), Z1
	VADDPD    (DI), Z0, Z0
	VADDPD    64(DI), Z1, Z1
	VMOVUPD   Z0, (DI)
	VMOVUPD   Z1, 64(DI)
	ADDQ      $64, SI
	ADDQ      $128, DI
	SUBQ      $16, CX
	JNZ       accloop

accdone:
	VZEROUPPER
	RET
