// The driver of the harnesses when they are built without libFuzzer (make
// test): replays every input file given (files or folders, recursively),
// then runs `-runs=N` deterministic mutations of them (bit flips, byte
// insertions, deletions and copies, splices of two inputs, interesting
// bytes), so that the sanitizer build exercises the harness on more than its
// seeds. When an input kills the process the sanitizer's death callback
// writes it to `crash-<name>-<n>` in the working folder (or prints where it
// came from) for reproduction: `harness crash-file`.
//
//   stepd_fuzz_<name> [-runs=N] [-seed=S] [-max_len=L] PATH...

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_target.h"

extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

const std::string* g_current = nullptr;  // the input being run
std::string g_current_origin;

void SaveCurrentInput() {
  if (!g_current) return;
  if (!g_current_origin.empty()) {
    std::fprintf(stderr, "fuzz: the input that failed is %s\n", g_current_origin.c_str());
    return;
  }
  char name[64];
  std::snprintf(name, sizeof name, "crash-%08x", static_cast<unsigned>(std::hash<std::string>{}(*g_current)));
  if (FILE* f = std::fopen(name, "wb")) {
    std::fwrite(g_current->data(), 1, g_current->size(), f);
    std::fclose(f);
    std::fprintf(stderr, "fuzz: the mutated input that failed is saved as %s\n", name);
  }
}

// An uncaught exception or a failed fuzz::Check aborts without a sanitizer
// report: save the input there too, then die as before.
void OnAbort(int signal) {
  SaveCurrentInput();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void Run(const std::string& input, std::string origin) {
  g_current = &input;
  g_current_origin = std::move(origin);
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

std::string Mutate(const std::vector<std::string>& corpus, std::mt19937_64& rng, size_t max_len) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % std::max<size_t>(n, 1)); };
  std::string s = corpus[pick(corpus.size())];
  static const char* const kInteresting[] = {"\"", "\\", "{", "}", "[", "]", "(", ")", "$", ".",
                                             ",", ":", "'", "\n", "\x00", "\xff", "\xc3\xa9",
                                             "0", "-1", "1e308", "null", "%", "*", "@", "#"};
  const int steps = 1 + static_cast<int>(pick(4));
  for (int i = 0; i < steps; ++i) {
    switch (pick(7)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // insert a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)), static_cast<char>(rng()));
        break;
      case 2:  // delete a run of bytes
        if (!s.empty()) {
          const size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<size_t>(8, s.size() - at)));
        }
        break;
      case 3: {  // duplicate a run of bytes elsewhere
        if (s.empty()) break;
        const size_t at = pick(s.size());
        const std::string run = s.substr(at, 1 + pick(16));
        s.insert(pick(s.size() + 1), run);
        break;
      }
      case 4: {  // splice in part of another input
        const std::string& other = corpus[pick(corpus.size())];
        if (other.empty()) break;
        const size_t from = pick(other.size());
        s.insert(pick(s.size() + 1), other.substr(from, 1 + pick(64)));
        break;
      }
      case 5: {  // an interesting token
        const char* t = kInteresting[pick(std::size(kInteresting))];
        s.insert(pick(s.size() + 1), std::string(t, std::max<size_t>(std::strlen(t), 1)));
        break;
      }
      default:  // overwrite a byte with a printable one
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(' ' + pick(95));
        break;
    }
  }
  if (s.size() > max_len) s.resize(max_len);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(SaveCurrentInput);
  std::signal(SIGABRT, OnAbort);
  long runs = 0;
  uint64_t seed = 1;
  size_t max_len = 4096;
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("-runs=", 0) == 0) {
      runs = std::stol(arg.substr(6));
    } else if (arg.rfind("-seed=", 0) == 0) {
      seed = std::stoull(arg.substr(6));
    } else if (arg.rfind("-max_len=", 0) == 0) {
      max_len = std::stoul(arg.substr(9));
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      files.emplace_back(arg);
    } else {
      std::fprintf(stderr, "fuzz: no such file or folder: %s\n", arg.c_str());
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> corpus;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    Run(corpus.back(), path.string());
  }
  if (corpus.empty()) corpus.emplace_back();
  std::mt19937_64 rng(seed);
  for (long i = 0; i < runs; ++i) Run(Mutate(corpus, rng, max_len), "");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz: %zu inputs replayed, %ld mutations run, %.1f s\n", files.size(), runs, secs);
  return 0;
}
