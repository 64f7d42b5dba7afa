// joule: header-only SIMD inference kernels for CPUs and edge boards.
//
// Include this for everything, or one family's header for less:
//   joule/convert.hpp  f16 / bf16 types and row conversions
//   joule/matmul.hpp   matmul (GEMM / GEMV), pack, linear
//   joule/softmax.hpp  softmax, log_softmax, online_softmax, exp
//   joule/quant.hpp    GGUF block formats (q4_0 .. q8_K, iq4): quantize / dequantize
//   joule/quant_blocks.hpp  the GGUF block types alone
//   joule/quant_linear.hpp  linear (Y = X * W^T + bias) with GGUF-quantized weights
//   joule/int8_gemm.hpp    integer matmul (uint8 / int8 with zero points -> int32), requantize
//   joule/onnx_quant.hpp   ONNX QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear
//   joule/matrix_view.hpp  the non-owning 2-D view kernels take
//   joule/executor.hpp     sequential, thread_pool, openmp, or your own pool
//   joule/arch.hpp     the instruction set the kernels were compiled for
//   joule/energy.hpp   energy meter (RAPL, hwmon, perf, external, estimate) for your own code
//   joule/error.hpp    joule::error, thrown on bad arguments
//   joule/version.hpp  JOULE_VERSION_MAJOR / _MINOR / _PATCH / _STRING
#pragma once

#include "joule/arch.hpp"
#include "joule/convert.hpp"
#include "joule/energy.hpp"
#include "joule/error.hpp"
#include "joule/executor.hpp"
#include "joule/int8_gemm.hpp"
#include "joule/matmul.hpp"
#include "joule/matrix_view.hpp"
#include "joule/onnx_quant.hpp"
#include "joule/quant.hpp"
#include "joule/quant_blocks.hpp"
#include "joule/quant_linear.hpp"
#include "joule/softmax.hpp"
#include "joule/version.hpp"
