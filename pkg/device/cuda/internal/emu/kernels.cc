//go:build cudaemu

// kernels.cc: kernels/*.cu compiled for the CPU, and the table that lets
// emu_launch find each kernel by name and call it with 8-byte argument slots.
// emu_test.go checks that the table holds every kernel of the embedded PTX,
// with the PTX's parameter count.
#include <cstddef>
#include <utility>

#include "cuda_emu.h"

#include "batchnorm.cu"
#include "conv.cu"
#include "elementwise.cu"
#include "gemm.cu"
#include "gemm_tf32.cu"
#include "optim.cu"
#include "pool.cu"
#include "softmax.cu"

namespace emu {

namespace {

template <class... A, std::size_t... I>
void invoke(void (*f)(A...), void** slot, std::index_sequence<I...>) {
  f(*static_cast<A*>(slot[I])...);
}

// call unpacks one slot per parameter of F (little-endian: a 4-byte
// parameter is the low half of its slot, as for cuLaunchKernel) and runs F.
template <class... A>
constexpr int arity(void (*)(A...)) {
  return sizeof...(A);
}
template <auto F>
void call(void** slot) {
  invoke(F, slot, std::make_index_sequence<arity(F)>{});
}

#define KERNEL(name) {#name, arity(name), call<name>}

const Kernel table[] = {
    KERNEL(bn_stats_train_f32),    KERNEL(bn_stats_eval_f32),     KERNEL(bn_forward_f32),        KERNEL(bn_backward_data_f32),
    KERNEL(bn_backward_gamma_f32), KERNEL(conv_fwd_f32),          KERNEL(conv_bwd_data_f32),
    KERNEL(conv_bwd_filter_f32),   KERNEL(conv_tiled_4_f32),      KERNEL(conv_tiled_8_f32),
    KERNEL(conv_tiled_16_f32),     KERNEL(conv_wgrad_tiled_4_f32), KERNEL(conv_wgrad_tiled_8_f32),
    KERNEL(sum_partials_f32),      KERNEL(fill_f32),              KERNEL(copy_f32),
    KERNEL(add_f32),               KERNEL(scale_f32),             KERNEL(relu_f32),
    KERNEL(relu_grad_f32),         KERNEL(bias_add_f32),          KERNEL(bias_grad_f32),
    KERNEL(global_avg_pool_f32),   KERNEL(global_avg_pool_grad_f32), KERNEL(member_mean_f32),
    KERNEL(member_mean_grad_f32),  KERNEL(weighted_sum_f32),      KERNEL(weighted_sum_grad_f32),
    KERNEL(sgd_f32),               KERNEL(adam_f32),
#define GEMM_KERNELS(tile)                                                                                  \
  KERNEL(gemm_##tile##_nn_f32), KERNEL(gemm_##tile##_nt_f32), KERNEL(gemm_##tile##_tn_f32), KERNEL(gemm_##tile##_tt_f32)
    GEMM_KERNELS(128),             GEMM_KERNELS(64),              GEMM_KERNELS(32),
    KERNEL(gemm_tf32_nn_f32),      KERNEL(gemm_tf32_nt_f32),      KERNEL(gemm_tf32_tn_f32),
    KERNEL(gemm_tf32_tt_f32),
    KERNEL(max_pool_fwd_f32),      KERNEL(max_pool_grad_f32),     KERNEL(softmax_xent_f32),
    KERNEL(softmax_xent_grad_f32),
};

}  // namespace

const Kernel* find_kernel(const char* name) {
  for (const Kernel& k : table)
    if (strcmp(k.name, name) == 0) return &k;
  return nullptr;
}

}  // namespace emu
