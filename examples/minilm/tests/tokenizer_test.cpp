// The C++ WordPiece tokenizer against the reference (HuggingFace BertTokenizerFast, ids stored in
// testdata/reference.json by make_fixture.py), with the committed vocab.txt: runs without the model.
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.hpp"
#include "tokenizer.hpp"

namespace
{
    const minilm::wordpiece_tokenizer& vocab_tokenizer()
    {
        static const minilm::wordpiece_tokenizer tok(std::string(MINILM_TEST_DATA) + "/vocab.txt");
        return tok;
    }

    std::string small_vocab()
    {
        const std::string path = minilm_test::scratch_path("small_vocab.txt");
        std::ofstream out(path);
        out << "[PAD]\n[UNK]\n[CLS]\n[SEP]\nun\n##aff\n##able\na\n##b\nb\n,\n!\nhello\n";
        return path;
    }
} // namespace

TEST_CASE("tokenizer: ids equal the reference tokenizer's for every fixture sentence")
{
    const auto& tok = vocab_tokenizer();
    REQUIRE(tok.vocab_size() == 30522);
    const auto& sentences = minilm_test::reference().at("sentences");
    const std::size_t max_tokens = minilm_test::reference().at("max_seq_length").get<std::size_t>();
    REQUIRE(sentences.size() >= 50);
    std::size_t longest = 0;
    for (const auto& s : sentences)
    {
        const std::string text = s.at("text").get<std::string>();
        const auto expected = s.at("ids").get<std::vector<std::int32_t>>();
        longest = std::max(longest, expected.size());
        INFO("sentence: \"", minilm_test::printable(text), "\"");
        CHECK(tok.encode(text, max_tokens) == expected);
    }
    CHECK(longest == max_tokens); // the fixture does exercise truncation
}

TEST_CASE("tokenizer: normalization")
{
    using minilm::wordpiece_tokenizer;
    CHECK(wordpiece_tokenizer::normalize("Café\tNAÏVE") == U"cafe naive");
    CHECK(wordpiece_tokenizer::normalize("a\u200bb") == U"ab");            // Cf dropped
    CHECK(wordpiece_tokenizer::normalize("a\x07" "b\x01") == U"ab");      // Cc dropped
    CHECK(wordpiece_tokenizer::normalize("a\u3000b\u00a0c") == U"a b c");  // white space -> ' '
    CHECK(wordpiece_tokenizer::normalize("中文") == U" 中  文 ");           // CJK padded
    CHECK(wordpiece_tokenizer::normalize("x\xff" "y") == U"xy");           // invalid UTF-8 dropped
    CHECK(wordpiece_tokenizer::normalize("ÆØÅ") == U"æøa");                // Æ and Ø do not decompose
}

TEST_CASE("tokenizer: WordPiece on a small vocabulary")
{
    const minilm::wordpiece_tokenizer tok(small_vocab());
    using ids = std::vector<std::int32_t>;
    CHECK(tok.encode("") == ids{2, 3});
    CHECK(tok.encode("unaffable") == ids{2, 4, 5, 6, 3});
    CHECK(tok.encode("Hello, unaffable!") == ids{2, 12, 10, 4, 5, 6, 11, 3});
    CHECK(tok.encode("unaffablex") == ids{2, 1, 3});   // one unmatched piece: the whole word is [UNK]
    CHECK(tok.encode("ab b") == ids{2, 7, 8, 9, 3});
    CHECK(tok.encode(std::string(100, 'a')) == ids{2, 1, 3}); // 'a' then no "##a": [UNK]
    CHECK(tok.encode(std::string(50, 'a') + std::string(50, 'b')).size() == 3);
    // More than 100 characters is [UNK] without trying; 100 are split as usual.
    CHECK(tok.encode("a" + std::string(100, 'b')) == ids{2, 1, 3});
    const auto hundred = tok.encode("a" + std::string(99, 'b'));
    REQUIRE(hundred.size() == 102);
    CHECK(hundred[1] == 7);
    CHECK(hundred[100] == 8);
    // truncation keeps [CLS] ... [SEP] within max_tokens
    CHECK(tok.encode("hello hello hello hello", 4) == ids{2, 12, 12, 3});
    CHECK(tok.encode("hello hello", 2) == ids{2, 3});
}

TEST_CASE("tokenizer: a missing vocabulary is a clear error")
{
    CHECK_THROWS_WITH_AS(minilm::wordpiece_tokenizer{"no/such/vocab.txt"},
                         doctest::Contains("no/such/vocab.txt: cannot open the vocabulary"), minilm::model_error);
    const std::string path = minilm_test::scratch_path("no_unk_vocab.txt");
    std::ofstream(path) << "[CLS]\n[SEP]\nhello\n";
    CHECK_THROWS_WITH_AS(minilm::wordpiece_tokenizer{path}, doctest::Contains("has no [UNK] token"), minilm::model_error);
}
