// A small JSON reader and string escaper for joule-bench's own files (the limits cache, Google
// Benchmark's JSON output for `joule-bench compare`). Not a general library: no \u surrogate
// pairs beyond the basic plane, numbers as double.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace joule_bench::json
{
    struct value
    {
        enum class type
        {
            null,
            boolean,
            number,
            string,
            array,
            object
        } kind = type::null;
        bool b = false;
        double n = 0;
        std::string s;
        std::vector<value> items;
        std::vector<std::pair<std::string, value>> members;

        const value* find(const std::string& key) const
        {
            for (const auto& m : members)
                if (m.first == key)
                    return &m.second;
            return nullptr;
        }
        double number_or(const std::string& key, double fallback) const
        {
            const value* v = find(key);
            return v && v->kind == type::number ? v->n : fallback;
        }
        std::string string_or(const std::string& key, const std::string& fallback) const
        {
            const value* v = find(key);
            return v && v->kind == type::string ? v->s : fallback;
        }
    };

    class parser
    {
    public:
        explicit parser(const std::string& text)
            : t_(text)
        {
        }

        value parse()
        {
            value v = parse_value();
            skip();
            if (i_ != t_.size())
                error("trailing characters");
            return v;
        }

    private:
        [[noreturn]] void error(const std::string& what) const
        {
            throw std::runtime_error("JSON: " + what + " at offset " + std::to_string(i_));
        }
        void skip()
        {
            while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\n' || t_[i_] == '\r' || t_[i_] == '\t'))
                ++i_;
        }
        bool literal(const char* word)
        {
            const std::string w(word);
            if (t_.compare(i_, w.size(), w) == 0)
            {
                i_ += w.size();
                return true;
            }
            return false;
        }
        std::string parse_string()
        {
            if (t_[i_] != '"')
                error("expected a string");
            ++i_;
            std::string out;
            while (i_ < t_.size() && t_[i_] != '"')
            {
                char c = t_[i_++];
                if (c == '\\')
                {
                    if (i_ >= t_.size())
                        error("bad escape");
                    const char e = t_[i_++];
                    switch (e)
                    {
                    case 'n': out += '\n'; break;
                    case 't': out += '\t'; break;
                    case 'r': out += '\r'; break;
                    case 'b': out += '\b'; break;
                    case 'f': out += '\f'; break;
                    case 'u':
                    {
                        if (i_ + 4 > t_.size())
                            error("bad \\u escape");
                        const unsigned code = static_cast<unsigned>(std::strtoul(t_.substr(i_, 4).c_str(), nullptr, 16));
                        i_ += 4;
                        if (code < 0x80)
                            out += static_cast<char>(code);
                        else if (code < 0x800)
                        {
                            out += static_cast<char>(0xC0 | (code >> 6));
                            out += static_cast<char>(0x80 | (code & 0x3F));
                        }
                        else
                        {
                            out += static_cast<char>(0xE0 | (code >> 12));
                            out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
                            out += static_cast<char>(0x80 | (code & 0x3F));
                        }
                        break;
                    }
                    default: out += e;
                    }
                }
                else
                    out += c;
            }
            if (i_ >= t_.size())
                error("unterminated string");
            ++i_;
            return out;
        }
        value parse_value()
        {
            skip();
            if (i_ >= t_.size())
                error("unexpected end");
            value v;
            const char c = t_[i_];
            if (c == '{')
            {
                v.kind = value::type::object;
                ++i_;
                skip();
                if (t_[i_] == '}')
                {
                    ++i_;
                    return v;
                }
                for (;;)
                {
                    skip();
                    std::string key = parse_string();
                    skip();
                    if (t_[i_] != ':')
                        error("expected ':'");
                    ++i_;
                    v.members.emplace_back(std::move(key), parse_value());
                    skip();
                    if (t_[i_] == ',')
                        ++i_;
                    else if (t_[i_] == '}')
                    {
                        ++i_;
                        return v;
                    }
                    else
                        error("expected ',' or '}'");
                }
            }
            if (c == '[')
            {
                v.kind = value::type::array;
                ++i_;
                skip();
                if (t_[i_] == ']')
                {
                    ++i_;
                    return v;
                }
                for (;;)
                {
                    v.items.push_back(parse_value());
                    skip();
                    if (t_[i_] == ',')
                        ++i_;
                    else if (t_[i_] == ']')
                    {
                        ++i_;
                        return v;
                    }
                    else
                        error("expected ',' or ']'");
                }
            }
            if (c == '"')
            {
                v.kind = value::type::string;
                v.s = parse_string();
                return v;
            }
            if (literal("true") || literal("false"))
            {
                v.kind = value::type::boolean;
                v.b = t_[i_ - 1] == 'e' && t_[i_ - 2] == 'u';
                return v;
            }
            if (literal("null"))
                return v;
            // Google Benchmark writes nan / inf for some statistics: accept them.
            const char* start = t_.c_str() + i_;
            char* end = nullptr;
            v.n = std::strtod(start, &end);
            if (end == start)
                error("unexpected character");
            i_ += static_cast<std::size_t>(end - start);
            v.kind = value::type::number;
            return v;
        }

        const std::string& t_;
        std::size_t i_ = 0;
    };

    inline value parse(const std::string& text) { return parser(text).parse(); }

    inline std::string quote(const std::string& s)
    {
        std::string out = "\"";
        for (char c : s)
        {
            if (c == '"' || c == '\\')
                out += '\\', out += c;
            else if (c == '\n')
                out += "\\n";
            else if (static_cast<unsigned char>(c) < 0x20)
                out += ' ';
            else
                out += c;
        }
        return out + "\"";
    }
} // namespace joule_bench::json
