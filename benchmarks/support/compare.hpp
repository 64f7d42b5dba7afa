// `joule-bench compare A.json B.json` (see compare.cpp).
#pragma once

#include <string>
#include <vector>

namespace joule_bench
{
    /// Returns the process exit code: 0 when something was compared, 1 when nothing matched, 2 on bad input.
    int compare_main(const std::vector<std::string>& args);
} // namespace joule_bench
