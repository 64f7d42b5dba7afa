// Spells the compile-time instruction set as an identifier, e.g. `x86_64_v3` or
// `x86_64_v2_avx_avx2_fma`, used as joule's inline namespace (see config.hpp for why).
//
// x86-64 names start from the highest psABI level whose features are all enabled
// (v1 = SSE2, v2 = +SSE3/SSSE3/SSE4.1/SSE4.2/POPCNT, v3 = +AVX/AVX2/BMI1/BMI2/F16C/FMA/LZCNT/MOVBE,
// v4 = +AVX512F/BW/CD/DQ/VL) and append every further feature that changes generated code, so
// two translation units get the same name only when the compiler may emit the same instructions.
#pragma once

#define JOULE_DETAIL_ISA_CAT2(a, b) a##b
#define JOULE_DETAIL_ISA_CAT(a, b) JOULE_DETAIL_ISA_CAT2(a, b)
#define JOULE_DETAIL_ISA_CAT4(a, b, c, d) JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_CAT(a, b), JOULE_DETAIL_ISA_CAT(c, d))
#define JOULE_DETAIL_ISA_CAT8(a, b, c, d, e, f, g, h)                                              \
    JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_CAT4(a, b, c, d), JOULE_DETAIL_ISA_CAT4(e, f, g, h))

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)

#if defined(__SSE3__) && defined(__SSSE3__) && defined(__SSE4_1__) && defined(__SSE4_2__) && defined(__POPCNT__)
#define JOULE_DETAIL_X86_V2 1
#else
#define JOULE_DETAIL_X86_V2 0
#endif
#if JOULE_DETAIL_X86_V2 && defined(__AVX__) && defined(__AVX2__) && defined(__BMI__) && defined(__BMI2__) &&      \
    defined(__F16C__) && defined(__FMA__) && defined(__LZCNT__) && defined(__MOVBE__)
#define JOULE_DETAIL_X86_V3 1
#else
#define JOULE_DETAIL_X86_V3 0
#endif
#if JOULE_DETAIL_X86_V3 && defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512CD__) &&             \
    defined(__AVX512DQ__) && defined(__AVX512VL__)
#define JOULE_DETAIL_X86_V4 1
#else
#define JOULE_DETAIL_X86_V4 0
#endif

#if JOULE_DETAIL_X86_V4
#define JOULE_DETAIL_ISA_BASE x86_64_v4
#elif JOULE_DETAIL_X86_V3
#define JOULE_DETAIL_ISA_BASE x86_64_v3
#elif JOULE_DETAIL_X86_V2
#define JOULE_DETAIL_ISA_BASE x86_64_v2
#elif defined(__x86_64__) || defined(_M_X64)
#define JOULE_DETAIL_ISA_BASE x86_64
#elif defined(__SSE2__)
#define JOULE_DETAIL_ISA_BASE x86_sse2
#else
#define JOULE_DETAIL_ISA_BASE x86
#endif

// Features below v2 that a partial -m flag set may enable.
#if !JOULE_DETAIL_X86_V2 && defined(__SSSE3__)
#define JOULE_DETAIL_ISA_X1 _ssse3
#else
#define JOULE_DETAIL_ISA_X1
#endif
#if !JOULE_DETAIL_X86_V2 && defined(__SSE4_2__)
#define JOULE_DETAIL_ISA_X2 _sse42
#elif !JOULE_DETAIL_X86_V2 && defined(__SSE4_1__)
#define JOULE_DETAIL_ISA_X2 _sse41
#else
#define JOULE_DETAIL_ISA_X2
#endif
// Features below v3.
#if !JOULE_DETAIL_X86_V3 && defined(__AVX2__)
#define JOULE_DETAIL_ISA_X3 _avx2
#elif !JOULE_DETAIL_X86_V3 && defined(__AVX__)
#define JOULE_DETAIL_ISA_X3 _avx
#else
#define JOULE_DETAIL_ISA_X3
#endif
#if !JOULE_DETAIL_X86_V3 && defined(__FMA__)
#define JOULE_DETAIL_ISA_X4 _fma
#else
#define JOULE_DETAIL_ISA_X4
#endif
#if !JOULE_DETAIL_X86_V3 && defined(__F16C__)
#define JOULE_DETAIL_ISA_X5 _f16c
#else
#define JOULE_DETAIL_ISA_X5
#endif
#if !JOULE_DETAIL_X86_V3 && defined(__BMI2__)
#define JOULE_DETAIL_ISA_X6 _bmi2
#else
#define JOULE_DETAIL_ISA_X6
#endif
// Features below v4.
#if !JOULE_DETAIL_X86_V4 && defined(__AVX512BW__)
#define JOULE_DETAIL_ISA_X7 _avx512bw
#elif !JOULE_DETAIL_X86_V4 && defined(__AVX512F__)
#define JOULE_DETAIL_ISA_X7 _avx512f
#else
#define JOULE_DETAIL_ISA_X7
#endif
// Features beyond v4 that joule's kernels use.
#if defined(__AVX512VNNI__)
#define JOULE_DETAIL_ISA_X8 _avx512vnni
#else
#define JOULE_DETAIL_ISA_X8
#endif
#if defined(__AVXVNNI__)
#define JOULE_DETAIL_ISA_X9 _avxvnni
#else
#define JOULE_DETAIL_ISA_X9
#endif
#if defined(__AVX512BF16__)
#define JOULE_DETAIL_ISA_X10 _avx512bf16
#else
#define JOULE_DETAIL_ISA_X10
#endif
#if defined(__AVX512FP16__)
#define JOULE_DETAIL_ISA_X11 _avx512fp16
#else
#define JOULE_DETAIL_ISA_X11
#endif
#if defined(__AVX512VBMI__)
#define JOULE_DETAIL_ISA_X12 _avx512vbmi
#else
#define JOULE_DETAIL_ISA_X12
#endif

// The dispatch level this build matches (the names JOULE_ARCH and joule_enable_dispatch use).
#if JOULE_DETAIL_X86_V4 && defined(__AVX512VNNI__)
#define JOULE_DETAIL_ISA_LEVEL "avx512"
#elif JOULE_DETAIL_X86_V4
#define JOULE_DETAIL_ISA_LEVEL "x86-64-v4"
#elif JOULE_DETAIL_X86_V3 && defined(__AVXVNNI__)
#define JOULE_DETAIL_ISA_LEVEL "avxvnni"
#elif JOULE_DETAIL_X86_V3
#define JOULE_DETAIL_ISA_LEVEL "avx2"
#elif JOULE_DETAIL_X86_V2
#define JOULE_DETAIL_ISA_LEVEL "sse4.2"
#elif defined(__SSE2__)
#define JOULE_DETAIL_ISA_LEVEL "sse2"
#else
#define JOULE_DETAIL_ISA_LEVEL "x86"
#endif

#define JOULE_DETAIL_ISA_NAME                                                                      \
    JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_CAT8(JOULE_DETAIL_ISA_BASE, JOULE_DETAIL_ISA_X1, JOULE_DETAIL_ISA_X2,          \
                                               JOULE_DETAIL_ISA_X3, JOULE_DETAIL_ISA_X4, JOULE_DETAIL_ISA_X5,          \
                                               JOULE_DETAIL_ISA_X6, JOULE_DETAIL_ISA_X7),                              \
                         JOULE_DETAIL_ISA_CAT4(JOULE_DETAIL_ISA_X8, JOULE_DETAIL_ISA_X9, JOULE_DETAIL_ISA_X10,         \
                                               JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_X11, JOULE_DETAIL_ISA_X12)))

#elif defined(__aarch64__) || defined(_M_ARM64)

#if defined(__ARM_FEATURE_SVE)
#define JOULE_DETAIL_ISA_A1 _sve
#else
#define JOULE_DETAIL_ISA_A1
#endif
#if defined(__ARM_FEATURE_FP16_VECTOR_ARITHMETIC)
#define JOULE_DETAIL_ISA_A2 _fp16
#else
#define JOULE_DETAIL_ISA_A2
#endif
#if defined(__ARM_FEATURE_DOTPROD)
#define JOULE_DETAIL_ISA_A3 _dotprod
#else
#define JOULE_DETAIL_ISA_A3
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8)
#define JOULE_DETAIL_ISA_A4 _i8mm
#else
#define JOULE_DETAIL_ISA_A4
#endif
#if defined(__ARM_FEATURE_BF16_VECTOR_ARITHMETIC)
#define JOULE_DETAIL_ISA_A5 _bf16
#else
#define JOULE_DETAIL_ISA_A5
#endif
#if defined(__ARM_FEATURE_MATMUL_INT8) && defined(__ARM_FEATURE_DOTPROD)
#define JOULE_DETAIL_ISA_LEVEL "i8mm"
#elif defined(__ARM_FEATURE_DOTPROD)
#define JOULE_DETAIL_ISA_LEVEL "dotprod"
#else
#define JOULE_DETAIL_ISA_LEVEL "neon"
#endif
#define JOULE_DETAIL_ISA_NAME                                                                      \
    JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_CAT4(aarch64_neon, JOULE_DETAIL_ISA_A1, JOULE_DETAIL_ISA_A2,                 \
                                               JOULE_DETAIL_ISA_A3),                                                   \
                         JOULE_DETAIL_ISA_CAT(JOULE_DETAIL_ISA_A4, JOULE_DETAIL_ISA_A5))

#elif defined(__arm__) || defined(_M_ARM)

#if defined(__ARM_NEON) && defined(__ARM_FEATURE_FMA)
#define JOULE_DETAIL_ISA_NAME armv7_neon_vfpv4
#define JOULE_DETAIL_ISA_LEVEL "armv7-neon"
#elif defined(__ARM_NEON)
#define JOULE_DETAIL_ISA_NAME armv7_neon
#define JOULE_DETAIL_ISA_LEVEL "armv7-neon-novfpv4"
#else
#define JOULE_DETAIL_ISA_NAME arm_generic
#define JOULE_DETAIL_ISA_LEVEL "arm"
#endif

#elif defined(__riscv)

#if defined(__riscv_vector)
#define JOULE_DETAIL_ISA_NAME riscv64_v
#define JOULE_DETAIL_ISA_LEVEL "riscv64-v"
#else
#define JOULE_DETAIL_ISA_NAME riscv64
#define JOULE_DETAIL_ISA_LEVEL "riscv64"
#endif

#else
#define JOULE_DETAIL_ISA_NAME generic
#define JOULE_DETAIL_ISA_LEVEL "generic"
#endif
