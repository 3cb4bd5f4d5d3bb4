// Package bench times the layers that make a collegial ensemble one model —
// the block-diagonal matmul (a strided batched Gemm) and the grouped 3×3
// convolution — against their dense equivalents on any device.Device.
//
// A Case is one layer shape; a Pass is forward, backward data, backward
// weights or all three. Run allocates the case's buffers (after checking that
// they fit in memory), fills the inputs with seeded random numbers, times each
// pass adaptively (warm-up, then enough repetitions to fill a target time,
// bounded) and then checks a random sample of every output element the pass
// wrote against a float64 reference computed on the host from the same
// inputs. A result carries timing figures only when that check passed.
//
// FLOP counts are useful FLOPs: 2 per multiply-accumulate of the product, 3
// products for fwd+bwd. Bytes are the float32 inputs read plus outputs written
// once, so GB/s is a lower bound on the memory traffic.
package bench
