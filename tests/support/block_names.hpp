// The GGUF name of each block type ("q4_0", "q4_K", ...): file names of the golden data and
// test messages.
#pragma once

#include <joule/quant_blocks.hpp>

namespace joule_test
{
    template <class Block>
    const char* format_name();
#define JOULE_TEST_FORMAT_NAME(name)                                                               \
    template <>                                                                                    \
    inline const char* format_name<joule::block_##name>()                                          \
    {                                                                                              \
        return #name;                                                                              \
    }
    JOULE_TEST_FORMAT_NAME(q4_0)
    JOULE_TEST_FORMAT_NAME(q4_1)
    JOULE_TEST_FORMAT_NAME(q5_0)
    JOULE_TEST_FORMAT_NAME(q5_1)
    JOULE_TEST_FORMAT_NAME(q8_0)
    JOULE_TEST_FORMAT_NAME(q8_1)
    JOULE_TEST_FORMAT_NAME(q2_K)
    JOULE_TEST_FORMAT_NAME(q3_K)
    JOULE_TEST_FORMAT_NAME(q4_K)
    JOULE_TEST_FORMAT_NAME(q5_K)
    JOULE_TEST_FORMAT_NAME(q6_K)
    JOULE_TEST_FORMAT_NAME(q8_K)
    JOULE_TEST_FORMAT_NAME(iq4_nl)
    JOULE_TEST_FORMAT_NAME(iq4_xs)
#undef JOULE_TEST_FORMAT_NAME
} // namespace joule_test
