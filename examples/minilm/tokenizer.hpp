// tokenizer.hpp: BERT's uncased WordPiece tokenizer, as all-MiniLM-L6-v2 uses it (the
// HuggingFace `tokenizers` BertNormalizer + BertPreTokenizer + WordPiece + [CLS]/[SEP]).
//
//     minilm::wordpiece_tokenizer tok("vocab.txt");
//     std::vector<std::int32_t> ids = tok.encode("Hello, world!");   // [CLS] hello , world ! [SEP]
//
// Steps, each the same as the reference's:
// 1. normalize, one code point at a time: drop U+0000, U+FFFD and control characters (Unicode
//    Cc, Cf, Cn, Co, Cs except tab, newline, carriage return); map white space to ' '; put spaces
//    around CJK ideographs; strip accents (canonical decomposition, then drop nonspacing marks,
//    Mn); lower-case.
// 2. split on white space, and make every punctuation character (ASCII punctuation and Unicode
//    P*) a word of its own.
// 3. WordPiece: a word of more than 100 code points is [UNK]; otherwise the longest vocabulary
//    prefix, then "##"-prefixed longest continuations; a word with a piece that matches nothing
//    is [UNK] as a whole.
// 4. [CLS] pieces [SEP], truncated to max_tokens (256 for this model) by dropping trailing pieces.
//
// Unicode properties come from utf8proc (Debian libutf8proc-dev). Invalid UTF-8 bytes become
// U+FFFD, which step 1 drops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <utf8proc.h>

#include "safetensors.hpp" // minilm::fail / model_error

namespace minilm
{
    class wordpiece_tokenizer
    {
    public:
        explicit wordpiece_tokenizer(const std::string& vocab_path)
        {
            std::ifstream in(vocab_path);
            if (!in)
                fail(vocab_path, ": cannot open the vocabulary (examples/minilm/fetch.sh fetches it)");
            std::string line;
            std::int32_t id = 0;
            while (std::getline(in, line))
            {
                if (!line.empty() && line.back() == '\r')
                    line.pop_back();
                vocab_.emplace(line, id++);
            }
            unk_ = lookup_special(vocab_path, "[UNK]");
            cls_ = lookup_special(vocab_path, "[CLS]");
            sep_ = lookup_special(vocab_path, "[SEP]");
            size_ = static_cast<std::size_t>(id);
        }

        std::size_t vocab_size() const { return size_; }

        /// Token ids of one text: [CLS] pieces [SEP], at most max_tokens (>= 2) of them.
        std::vector<std::int32_t> encode(std::string_view text, std::size_t max_tokens = 256) const
        {
            std::vector<std::int32_t> ids{cls_};
            const std::size_t max_pieces = max_tokens < 2 ? 0 : max_tokens - 2;
            for (const std::u32string& word : split(normalize(text)))
            {
                add_word_pieces(word, ids);
                if (ids.size() - 1 >= max_pieces)
                    break;
            }
            ids.resize(std::min(ids.size(), max_pieces + 1));
            ids.push_back(sep_);
            return ids;
        }

        /// Step 1 alone (for tests and debugging): the normalized text as code points.
        static std::u32string normalize(std::string_view text)
        {
            std::u32string out;
            out.reserve(text.size());
            const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
            std::size_t left = text.size();
            while (left > 0)
            {
                utf8proc_int32_t cp = 0;
                utf8proc_ssize_t used = utf8proc_iterate(p, static_cast<utf8proc_ssize_t>(left), &cp);
                if (used <= 0)
                {
                    used = 1; // one invalid byte -> U+FFFD, which is dropped below
                    cp = 0xFFFD;
                }
                p += used;
                left -= static_cast<std::size_t>(used);
                const auto c = static_cast<char32_t>(cp);
                if (c == 0 || c == 0xFFFD || is_control(c))
                    continue;
                if (is_whitespace(c))
                {
                    out.push_back(U' ');
                    continue;
                }
                const bool cjk = is_cjk_ideograph(c);
                if (cjk)
                    out.push_back(U' ');
                utf8proc_int32_t parts[16];
                int last_boundclass = 0;
                utf8proc_ssize_t n = utf8proc_decompose_char(cp, parts, 16, UTF8PROC_DECOMPOSE, &last_boundclass);
                if (n <= 0 || n > 16)
                {
                    parts[0] = cp;
                    n = 1;
                }
                for (utf8proc_ssize_t i = 0; i < n; ++i)
                    if (utf8proc_category(parts[i]) != UTF8PROC_CATEGORY_MN)
                        out.push_back(static_cast<char32_t>(utf8proc_tolower(parts[i])));
                if (cjk)
                    out.push_back(U' ');
            }
            return out;
        }

    private:
        std::int32_t lookup_special(const std::string& path, const std::string& token) const
        {
            const auto it = vocab_.find(token);
            if (it == vocab_.end())
                fail(path, ": the vocabulary has no ", token, " token");
            return it->second;
        }

        static bool is_whitespace(char32_t c)
        {
            // Unicode White_Space (what the reference's char::is_whitespace tests).
            switch (c)
            {
            case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
            case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
                return true;
            default:
                return c >= 0x2000 && c <= 0x200A;
            }
        }

        static bool is_control(char32_t c)
        {
            if (c == U'\t' || c == U'\n' || c == U'\r')
                return false;
            switch (utf8proc_category(static_cast<utf8proc_int32_t>(c)))
            {
            case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CN:
            case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CS:
                return true;
            default:
                return false;
            }
        }

        static bool is_cjk_ideograph(char32_t c)
        {
            return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
                   (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) ||
                   (c >= 0x2B820 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
        }

        static bool is_punctuation(char32_t c)
        {
            if (c < 0x80)
                return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
            switch (utf8proc_category(static_cast<utf8proc_int32_t>(c)))
            {
            case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
            case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
            case UTF8PROC_CATEGORY_PO:
                return true;
            default:
                return false;
            }
        }

        /// Step 2: words split at white space, each punctuation character a word of its own.
        static std::vector<std::u32string> split(const std::u32string& text)
        {
            std::vector<std::u32string> words;
            std::u32string word;
            const auto flush = [&] {
                if (!word.empty())
                    words.push_back(std::move(word));
                word.clear();
            };
            for (const char32_t c : text)
            {
                if (is_whitespace(c))
                    flush();
                else if (is_punctuation(c))
                {
                    flush();
                    words.emplace_back(1, c);
                }
                else
                    word.push_back(c);
            }
            flush();
            return words;
        }

        static void append_utf8(std::string& s, char32_t c)
        {
            utf8proc_uint8_t buf[4];
            const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
            s.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
        }

        /// Step 3 for one word.
        void add_word_pieces(const std::u32string& word, std::vector<std::int32_t>& ids) const
        {
            constexpr std::size_t max_word_chars = 100;
            if (word.size() > max_word_chars)
            {
                ids.push_back(unk_);
                return;
            }
            const std::size_t first = ids.size();
            std::size_t start = 0;
            while (start < word.size())
            {
                std::int32_t found = -1;
                std::size_t end = word.size();
                for (; end > start; --end)
                {
                    std::string piece = start > 0 ? "##" : "";
                    for (std::size_t i = start; i < end; ++i)
                        append_utf8(piece, word[i]);
                    const auto it = vocab_.find(piece);
                    if (it != vocab_.end())
                    {
                        found = it->second;
                        break;
                    }
                }
                if (found < 0)
                {
                    ids.resize(first);
                    ids.push_back(unk_);
                    return;
                }
                ids.push_back(found);
                start = end;
            }
        }

        std::unordered_map<std::string, std::int32_t> vocab_;
        std::int32_t unk_ = 0, cls_ = 0, sep_ = 0;
        std::size_t size_ = 0;
    };
} // namespace minilm
