// Compile-time configuration shared by every joule header: the instruction-set namespace,
// the ABI tag for members of arch-neutral types, and small portability macros.
#pragma once

#include "joule/detail/isa_name.hpp"

// ---------------------------------------------------------------------------------------------
// Why an instruction-set namespace (ODR safety)
//
// joule is header-only, so one program may compile it in several translation units with
// different -m flags (a generic TU and an -mavx2 TU, say). Inline functions and templates are
// emitted in every TU that uses them and the linker keeps one copy per mangled name. If both
// TUs produce the same name, the program may run the AVX2 copy on a CPU without AVX2 and die
// with SIGILL (numpy #25274 crashed this way). So every entity whose machine code depends on
// the instruction set lives in `joule::JOULE_ARCH_NS`, an inline namespace whose name spells
// the compile-time instruction set (`x86_64_v3`, `aarch64_neon_dotprod_i8mm`, ...). Outside code
// still writes `joule::convert(...)`; the linker sees distinct names per instruction set.
//
// Vocabulary types that cross API boundaries (f16, bf16, matrix_view, error, options) stay in
// `joule::` itself so user code that mentions them links the same way everywhere. Their inline
// member functions carry JOULE_ARCH_TAG, which changes the members' mangled names per
// instruction set without changing the type.
// ---------------------------------------------------------------------------------------------

#define JOULE_DETAIL_CAT2(a, b) a##b
#define JOULE_DETAIL_CAT(a, b) JOULE_DETAIL_CAT2(a, b)
#define JOULE_DETAIL_STR2(a) #a
#define JOULE_DETAIL_STR(a) JOULE_DETAIL_STR2(a)

/// The inline namespace that holds every instruction-set dependent entity. A build that forces
/// the scalar path, and a build whose entry points go through runtime dispatch, get their own
/// names too: their code differs from the plain build's.
#if defined(JOULE_FORCE_SCALAR)
#define JOULE_ARCH_NS JOULE_DETAIL_CAT(JOULE_DETAIL_ISA_NAME, _forced_scalar)
#elif defined(JOULE_DISPATCH)
#define JOULE_ARCH_NS JOULE_DETAIL_CAT(JOULE_DETAIL_ISA_NAME, _dispatch)
#else
#define JOULE_ARCH_NS JOULE_DETAIL_ISA_NAME
#endif

/// The dispatch level a build matches: "sse2", "sse4.2", "avx2", "avxvnni", "avx512", "neon",
/// "dotprod", "i8mm", "armv7-neon", or "scalar" for a forced-scalar build.
#if defined(JOULE_FORCE_SCALAR)
#define JOULE_ARCH_LEVEL "scalar"
#else
#define JOULE_ARCH_LEVEL JOULE_DETAIL_ISA_LEVEL
#endif
/// The same name as a string literal, e.g. "x86_64_v3".
#define JOULE_ARCH_NAME JOULE_DETAIL_STR(JOULE_ARCH_NS)

#define JOULE_BEGIN_ARCH_NS                                                                        \
    inline namespace JOULE_ARCH_NS                                                                 \
    {
#define JOULE_END_ARCH_NS }

#if defined(__GNUC__) || defined(__clang__)
/// Put on inline member functions of arch-neutral types: gives them per-ISA symbol names.
#define JOULE_ARCH_TAG __attribute__((abi_tag(JOULE_ARCH_NAME)))
#define JOULE_ALWAYS_INLINE inline __attribute__((always_inline))
#define JOULE_NOINLINE __attribute__((noinline))
#define JOULE_RESTRICT __restrict__
#define JOULE_LIKELY(x) __builtin_expect(!!(x), 1)
#define JOULE_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define JOULE_ARCH_TAG
#define JOULE_ALWAYS_INLINE inline
#define JOULE_NOINLINE
#define JOULE_RESTRICT
#define JOULE_LIKELY(x) (x)
#define JOULE_UNLIKELY(x) (x)
#endif

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#if !defined(JOULE_NO_EXCEPTIONS)
#define JOULE_HAS_EXCEPTIONS 1
#endif
#endif
#if !defined(JOULE_HAS_EXCEPTIONS)
#define JOULE_HAS_EXCEPTIONS 0
#endif
