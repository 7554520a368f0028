// The body Looker's Action Hub POSTs to an action (ReadLookerEnvelope,
// ReadLookerEnvelopeFile) on arbitrary bytes, read three ways that must
// agree: from memory in large chunks, from memory a few bytes at a time (so
// tokens, escapes and base64 groups straddle chunk boundaries), and from a
// file. The limits are small, so that the paths that spill an attachment to
// a spool file and that refuse an oversized body or attachment are within a
// fuzz input's reach; the spool folder (one per process) must be empty
// again once each result's file is removed, whatever the outcome.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_target.h"
#include "stepd/api/looker_envelope.h"
#include "stepd/base/crypto.h"

namespace {

using namespace stepd;
namespace fs = std::filesystem;

constexpr size_t kInlineBytes = 64;
constexpr uint64_t kMaxAttachmentBytes = 1024;
constexpr size_t kMaxEnvelopeBytes = 2048;

struct Folders {
  fs::path root;   // ours, removed at exit
  fs::path spool;  // LookerEnvelopeLimits::spool_dir
  fs::path body;   // the body file of ReadLookerEnvelopeFile
};

const Folders& Dirs() {
  static const Folders* folders = [] {
    std::string pattern = (fs::temp_directory_path() / "stepd-looker-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("looker_delivery_fuzz: mkdtemp");
      std::abort();
    }
    auto* f = new Folders{pattern, fs::path(pattern) / "spool", fs::path(pattern) / "body"};
    fs::create_directory(f->spool);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(Dirs().root, ec);
    });
    return f;
  }();
  return *folders;
}

api::LookerEnvelopeLimits Limits(size_t chunk) {
  api::LookerEnvelopeLimits limits;
  limits.max_envelope_bytes = kMaxEnvelopeBytes;
  limits.inline_attachment_bytes = kInlineBytes;
  limits.max_attachment_bytes = kMaxAttachmentBytes;
  limits.spool_dir = Dirs().spool.string();
  limits.read_chunk_bytes = chunk;
  return limits;
}

bool SpoolIsEmpty() { return fs::is_empty(Dirs().spool); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// One read's outcome with the attachment's content taken out of its file
// (which is removed), so that outcomes compare as values.
struct Outcome {
  Status status;
  Json body;
  api::LookerAttachment attachment;  // file: the path it had
  std::string content;
};

Outcome Settle(StatusOr<api::LookerEnvelope> read) {
  Outcome out;
  if (!read.ok()) {
    out.status = read.status();
    fuzz::Check(!out.status.message().empty(), "a refused body says why");
    fuzz::Check(SpoolIsEmpty(), "a refused body leaves no file behind");
    return out;
  }
  out.body = std::move(read->body);
  out.attachment = std::move(read->attachment);
  const api::LookerAttachment& a = out.attachment;
  fuzz::Check(a.data.empty() || a.file.empty(), "content in memory or in a file, not both");
  if (!a.file.empty()) {
    fuzz::Check(fs::path(a.file).parent_path() == Dirs().spool, "a file is in the spool folder");
    out.content = ReadFile(a.file);
    std::error_code ec;
    fs::remove(a.file, ec);
  } else {
    out.content = a.data;
  }
  fuzz::Check(SpoolIsEmpty(), "a read leaves at most its attachment's file");
  return out;
}

void CheckEnvelope(const Outcome& o) {
  if (!o.status.ok()) return;
  const api::LookerAttachment& a = o.attachment;
  fuzz::Check(o.body.is_object(), "the body is an object");
  if (!a.present) {
    fuzz::Check(a.data.empty() && a.file.empty() && a.size == 0 && a.sha256_hex.empty() &&
                    !a.base64 && !a.json_value,
                "no attachment, no content");
    return;
  }
  fuzz::Check(a.size == o.content.size(), "size counts the content");
  fuzz::Check(a.size <= kMaxAttachmentBytes, "the attachment is within its limit");
  fuzz::Check(a.file.empty() == (a.size <= kInlineBytes), "in memory exactly when small");
  fuzz::Check(a.sha256_hex == Sha256Hex(o.content), "sha256_hex is the content's digest");
  fuzz::Check(!(a.base64 && a.json_value), "base64 or an inline JSON value, not both");
  if (a.json_value) {
    // Its numbers are only checked for their grammar: 1e400 is kept as sent.
    const Status parsed = ParseJson(o.content).status();
    fuzz::Check(parsed.ok() || parsed.message().find("number overflow") != std::string::npos,
                "an inline JSON value is JSON text");
  } else if (!a.base64) {
    fuzz::Check(IsValidUtf8(o.content), "a text attachment is the string's UTF-8");
  }
  auto attachment = o.body.find("attachment");
  fuzz::Check(attachment != o.body.end() && attachment->is_object(),
              "an attachment comes from the attachment object");
  auto data = attachment->find("data");
  fuzz::Check(data != attachment->end() && data->is_null(), "attachment.data is null in the body");
}

void CheckSame(const Outcome& a, const Outcome& b, const char* what) {
  fuzz::Check(a.status.ok() == b.status.ok(), what);
  if (!a.status.ok()) {
    // A limit may be noticed at a chunk boundary, before a syntax error
    // further on: which one is reported depends on the chunk size.
    if (a.status.code() == StatusCode::kResourceExhausted ||
        b.status.code() == StatusCode::kResourceExhausted) {
      return;
    }
    fuzz::Check(a.status == b.status, what);
    return;
  }
  const api::LookerAttachment& x = a.attachment;
  const api::LookerAttachment& y = b.attachment;
  fuzz::Check(a.body == b.body && a.content == b.content && x.present == y.present &&
                  x.mimetype == y.mimetype && x.extension == y.extension &&
                  x.base64 == y.base64 && x.json_value == y.json_value && x.size == y.size &&
                  x.sha256_hex == y.sha256_hex && x.file.empty() == y.file.empty(),
              what);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  Dirs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = fuzz::AsText(data, size);
  const Outcome whole = Settle(api::ReadLookerEnvelope(body, Limits(64 * 1024)));
  CheckEnvelope(whole);
  // 1 to 7 bytes at a time, chosen by the input so that each input is read
  // the same way every time.
  const size_t chunk = 1 + size % 7;
  const Outcome bytewise = Settle(api::ReadLookerEnvelope(body, Limits(chunk)));
  CheckSame(whole, bytewise, "reading in small chunks gives the same outcome");
  {
    std::ofstream out(Dirs().body, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
  }
  const Outcome file = Settle(api::ReadLookerEnvelopeFile(Dirs().body.string(), Limits(3)));
  CheckSame(whole, file, "reading from a file gives the same outcome");
  return 0;
}
