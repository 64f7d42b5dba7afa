// minilm: sentence embeddings from all-MiniLM-L6-v2 on joule kernels.
//
//   minilm [--model DIR] [--weights f32|f16|bf16|q8_0|q4_0] [--activations f32|q8_0] [--threads N]
//          [--tokens] [FILE]
//       One line of FILE (default: standard input) per sentence; prints one line per sentence:
//       its 384 embedding values (or, with --tokens, its token ids). --activations says how the
//       q8_0 / q4_0 layers treat their input (weights.hpp): q8_0 (default: rotated, rounded to
//       q8_0 blocks and multiplied by integer dot products, as ggml does) or f32 (the weights
//       dequantized per call; slower).
//   minilm ... --bench SECONDS [FILE]
//       Embeds the sentences one at a time (batch 1), over and over for at least SECONDS after one
//       warm-up pass, and prints one JSON line: sentences/s and, from joule's energy meter,
//       sentences per joule with the meter's source and whether it is measured or estimated.
//
// DIR defaults to build/minilm/model (examples/minilm/fetch.sh puts the model there). --threads
// 1 (the default) runs on the calling thread; N > 1 uses a joule::thread_pool of N threads, 0 all.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <joule/energy.hpp>
#include <joule/joule.hpp>

#include "encoder.hpp"
#include "tokenizer.hpp"

namespace
{
    struct arguments
    {
        std::string model = "build/minilm/model";
        std::string input;
        minilm::weight_type type = minilm::weight_type::f32;
        minilm::activations acts = minilm::activations::q8_0;
        std::size_t threads = 1;
        bool tokens = false;
        double bench_seconds = 0;
    };

    [[noreturn]] void usage(const char* message)
    {
        std::fprintf(stderr,
                     "minilm: %s\nusage: minilm [--model DIR] [--weights f32|f16|bf16|q8_0|q4_0] [--activations f32|q8_0] "
                     "[--threads N] [--tokens] [--bench SECONDS] [FILE]\n",
                     message);
        std::exit(2);
    }

    arguments parse(int argc, char** argv)
    {
        arguments a;
        for (int i = 1; i < argc; ++i)
        {
            const std::string arg = argv[i];
            const auto value = [&]() -> std::string {
                if (i + 1 >= argc)
                    usage((arg + " needs a value").c_str());
                return argv[++i];
            };
            if (arg == "--model")
                a.model = value();
            else if (arg == "--weights")
                a.type = minilm::parse_weight_type(value());
            else if (arg == "--activations")
                a.acts = minilm::parse_activations(value());
            else if (arg == "--threads")
                a.threads = std::stoul(value());
            else if (arg == "--tokens")
                a.tokens = true;
            else if (arg == "--bench")
                a.bench_seconds = std::stod(value());
            else if (arg == "-h" || arg == "--help")
                usage("sentence embeddings from all-MiniLM-L6-v2");
            else if (!arg.empty() && arg[0] == '-' && arg != "-")
                usage(("unknown option " + arg).c_str());
            else
                a.input = arg;
        }
        return a;
    }

    std::vector<std::string> read_lines(const std::string& path)
    {
        std::ifstream file;
        if (!path.empty() && path != "-")
        {
            file.open(path);
            if (!file)
                minilm::fail(path, ": cannot open");
        }
        std::istream& in = file.is_open() ? static_cast<std::istream&>(file) : std::cin;
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);)
            lines.push_back(line);
        return lines;
    }

    int bench(const arguments& a, const minilm::encoder& enc, const std::vector<std::vector<std::int32_t>>& ids,
              joule::executor_ref executor, std::size_t threads)
    {
        for (const auto& s : ids) // warm-up: caches, the pool's threads, per-thread scratch
            enc.embed(s, executor);
        joule::energy::options eo;
        eo.model.active_cores = static_cast<double>(threads);
        auto meter = joule::energy::meter::detect(eo);
        const auto r0 = meter.read();
        const auto t0 = std::chrono::steady_clock::now();
        std::size_t sentences = 0, tokens = 0;
        double seconds = 0;
        do
        {
            for (const auto& s : ids)
            {
                enc.embed(s, executor);
                tokens += s.size();
            }
            sentences += ids.size();
            seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        } while (seconds < a.bench_seconds);
        const auto d = meter.read() - r0;
        std::printf("{\"engine\": \"joule\", \"weights\": \"%s\", \"threads\": %zu, \"sentences\": %zu, \"tokens\": %zu, "
                    "\"seconds\": %.6f, \"sentences_per_s\": %.3f",
                    minilm::to_string(a.type), threads, sentences, tokens, seconds, static_cast<double>(sentences) / seconds);
        if (d.valid && d.joules > 0)
            std::printf(", \"joules\": %.4f, \"sentences_per_joule\": %.4f, \"energy_source\": \"%s\", \"energy_quality\": \"%s\"",
                        d.joules, static_cast<double>(sentences) / d.joules, d.source.c_str(),
                        joule::energy::to_string(d.quality));
        if (a.type == minilm::weight_type::q8_0 || a.type == minilm::weight_type::q4_0)
            std::printf(", \"activations\": \"%s\"", minilm::to_string(a.acts));
        std::printf("}\n");
        return 0;
    }

    int run(const arguments& a)
    {
        const minilm::wordpiece_tokenizer tok(a.model + "/vocab.txt");
        const auto lines = read_lines(a.input);
        std::vector<std::vector<std::int32_t>> ids;
        for (const auto& line : lines)
            ids.push_back(tok.encode(line));
        if (a.tokens)
        {
            for (const auto& s : ids)
            {
                for (std::size_t i = 0; i < s.size(); ++i)
                    std::printf(i ? " %d" : "%d", s[i]);
                std::printf("\n");
            }
            return 0;
        }
        const minilm::encoder enc(a.model, a.type, a.acts);
        std::unique_ptr<joule::thread_pool> pool;
        joule::executor_ref executor;
        std::size_t threads = 1;
        if (a.threads != 1)
        {
            pool = std::make_unique<joule::thread_pool>(a.threads);
            executor = *pool;
            threads = pool->concurrency();
        }
        if (a.bench_seconds > 0)
            return bench(a, enc, ids, executor, threads);
        for (const auto& s : ids)
        {
            const auto e = enc.embed(s, executor);
            for (std::size_t i = 0; i < e.size(); ++i)
                std::printf(i ? " %.8g" : "%.8g", static_cast<double>(e[i]));
            std::printf("\n");
        }
        return 0;
    }
} // namespace

int main(int argc, char** argv)
{
    try
    {
        return run(parse(argc, argv));
    }
    catch (const std::exception& e) // minilm::model_error, joule::error, I/O
    {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
