// Double-precision references for softmax, log-softmax and exp, and the float ULP they are
// measured in. Written from the definitions, independently of joule's kernels.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <vector>

namespace joule_test
{
    /// The spacing of floats at |v| (v exact): 2^(e - 23) for |v| in [2^e, 2^(e+1)), and the
    /// subnormal spacing 2^-149 below FLT_MIN.
    inline double float_ulp(double v)
    {
        v = std::fabs(v);
        if (v < double(FLT_MIN))
            return std::ldexp(1.0, -149);
        int e = 0;
        std::frexp(v, &e); // v = f * 2^e, f in [0.5, 1)
        return std::ldexp(1.0, e - 24);
    }

    /// |got - want| in ULP of want.
    inline double ulp_error(float got, double want)
    {
        return std::fabs(double(got) - want) / float_ulp(want);
    }

    /// softmax((x - max) / T) in double, for rows of finite values.
    inline std::vector<double> ref_softmax(const std::vector<double>& x, double temperature = 1.0)
    {
        double m = x.empty() ? 0 : x[0];
        for (double v : x)
            m = v > m ? v : m;
        std::vector<double> y(x.size());
        double sum = 0;
        for (std::size_t i = 0; i < x.size(); ++i)
            sum += (y[i] = std::exp((x[i] - m) / temperature));
        for (double& v : y)
            v /= sum;
        return y;
    }

    /// log_softmax((x - max) / T) in double, for rows of finite values; the sum of the terms
    /// other than the maxima is kept apart so that log1p keeps its precision.
    inline std::vector<double> ref_log_softmax(const std::vector<double>& x, double temperature = 1.0)
    {
        double m = x.empty() ? 0 : x[0];
        for (double v : x)
            m = v > m ? v : m;
        double count = 0, rest = 0;
        for (double v : x)
        {
            if (v == m)
                count += 1;
            else
                rest += std::exp((v - m) / temperature);
        }
        const double log_sum = std::log1p((count - 1) + rest);
        std::vector<double> y(x.size());
        for (std::size_t i = 0; i < x.size(); ++i)
            y[i] = (x[i] - m) / temperature - log_sum;
        return y;
    }
} // namespace joule_test
