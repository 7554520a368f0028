#include "stepd/api/looker_envelope.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <unordered_set>
#include <utility>

#include "stepd/base/crypto.h"

namespace stepd::api {
namespace {

constexpr int kMaxDepth = 128;
// Writes to an attachment file, and reads back from one, go by this much.
constexpr size_t kFileBlock = 256 * 1024;
// Base64 output is handed on by this much.
constexpr size_t kDecodedBlock = 64 * 1024;

std::string ErrnoText(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Bytes a string copies as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlainStringByte = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// Base64 character classes: a sextet's value, or one of these.
constexpr uint8_t kBase64Space = 64;
constexpr uint8_t kBase64Pad = 65;
constexpr uint8_t kBase64Bad = 255;
constexpr std::array<uint8_t, 256> kBase64 = [] {
  std::array<uint8_t, 256> table{};
  table.fill(kBase64Bad);
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  for (char c : {' ', '\t', '\r', '\n'}) table[static_cast<uint8_t>(c)] = kBase64Space;
  table['='] = kBase64Pad;
  return table;
}();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// True when `mimetype` ends with ";base64" as the header says; *stripped is
// then what comes before the ';', trimmed.
bool SplitBase64Mimetype(std::string_view mimetype, std::string* stripped) {
  constexpr std::string_view kWord = "base64";
  std::string_view m = Trim(mimetype);
  if (m.size() < kWord.size()) return false;
  std::string_view tail = m.substr(m.size() - kWord.size());
  for (size_t i = 0; i < kWord.size(); ++i) {
    const char c = tail[i] >= 'A' && tail[i] <= 'Z' ? static_cast<char>(tail[i] + 32) : tail[i];
    if (c != kWord[i]) return false;
  }
  m = Trim(m.substr(0, m.size() - kWord.size()));
  if (m.empty() || m.back() != ';') return false;
  *stripped = Trim(m.substr(0, m.size() - 1));
  return true;
}

// A member name for an error message: escaped, at most 64 bytes of it.
std::string QuotedName(std::string_view name) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  AppendJsonStringBody(name.substr(0, kMax), &out);
  out += name.size() > kMax ? "...\"" : "\"";
  return out;
}

Status AttachmentTooLarge(uint64_t max_bytes) {
  return ResourceExhaustedError("the attachment is larger than " + std::to_string(max_bytes) +
                                " bytes");
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes, reporting a failure (a late write error on some file systems).
  Status Close() {
    const int fd = std::exchange(fd_, -1);
    if (fd >= 0 && ::close(fd) != 0) return InternalError(ErrnoText("cannot close a spool file"));
    return Status::OK();
  }

 private:
  int fd_;
};

Status WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t written = ::write(fd, p, n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return InternalError(ErrnoText("cannot write a spool file"));
    p += written;
    n -= static_cast<size_t>(written);
  }
  return Status::OK();
}

// Up to `n` bytes from the file's position; 0 only at its end.
StatusOr<size_t> ReadSome(int fd, char* p, size_t n, std::string_view what) {
  for (;;) {
    const ssize_t got = ::read(fd, p, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return InternalError(ErrnoText(what));
  }
}

// Somewhere bytes go, a block at a time.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Write(const char* p, size_t n) = 0;
};

// Content kept in memory up to inline_attachment_bytes, then in a new file
// under spool_dir; counted and hashed on the way. The file is removed on
// destruction unless Finish handed it over.
class Spool final : public Sink {
 public:
  Spool(const LookerEnvelopeLimits& limits, uint64_t max_bytes)
      : dir_(limits.spool_dir),
        inline_bytes_(limits.inline_attachment_bytes),
        max_bytes_(max_bytes),
        sha_(EVP_MD_CTX_new()) {
    if (sha_ == nullptr || EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) != 1) std::abort();
  }
  ~Spool() override {
    fd_.Reset();
    if (!path_.empty()) ::unlink(path_.c_str());
    EVP_MD_CTX_free(sha_);
  }
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // RESOURCE_EXHAUSTED past max_bytes.
  Status Write(const char* p, size_t n) override {
    if (n > max_bytes_ - size_) return AttachmentTooLarge(max_bytes_);
    size_ += n;
    if (fd_.get() < 0) {
      if (buffer_.size() + n <= inline_bytes_) {
        buffer_.append(p, n);
        return Status::OK();
      }
      STEPD_RETURN_IF_ERROR(Spill());
    }
    if (buffer_.size() + n > kFileBlock) {
      STEPD_RETURN_IF_ERROR(Flush());
      if (n >= kFileBlock) return HashAndWrite(p, n);
    }
    buffer_.append(p, n);
    return Status::OK();
  }

  uint64_t size() const { return size_; }

  // Writes the content so far to `to`, from the start.
  Status CopyTo(Sink& to) {
    if (fd_.get() < 0) return to.Write(buffer_.data(), buffer_.size());
    STEPD_RETURN_IF_ERROR(Flush());
    UniqueFd in(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return InternalError(ErrnoText("cannot reopen a spool file"));
    auto block = std::make_unique<char[]>(kFileBlock);
    for (;;) {
      STEPD_ASSIGN_OR_RETURN(
          size_t got, ReadSome(in.get(), block.get(), kFileBlock, "cannot read a spool file"));
      if (got == 0) return Status::OK();
      STEPD_RETURN_IF_ERROR(to.Write(block.get(), got));
    }
  }

  // Moves the content (or its file) and its size and digest into *a.
  Status Finish(LookerAttachment* a) {
    if (fd_.get() >= 0) {
      STEPD_RETURN_IF_ERROR(Flush());
      STEPD_RETURN_IF_ERROR(fd_.Close());
      a->file = std::exchange(path_, std::string());
    } else {
      Hash(buffer_.data(), buffer_.size());
      a->data = std::move(buffer_);
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(sha_, digest, &length) != 1) std::abort();
    a->sha256_hex = HexEncode(std::string_view(reinterpret_cast<const char*>(digest), length));
    a->size = size_;
    return Status::OK();
  }

 private:
  Status Spill() {
    if (dir_.empty()) {
      return FailedPreconditionError("an attachment over " + std::to_string(inline_bytes_) +
                                     " bytes needs a spool_dir");
    }
    std::string path = dir_ + "/looker-attachment-XXXXXX";
    const int fd = ::mkostemp(path.data(), O_CLOEXEC);  // mode 0600
    if (fd < 0) return InternalError(ErrnoText("cannot create a file in " + dir_));
    fd_.Reset(fd);
    path_ = std::move(path);
    return Flush();
  }

  Status Flush() {
    Status status = HashAndWrite(buffer_.data(), buffer_.size());
    buffer_.clear();
    buffer_.reserve(kFileBlock);
    return status;
  }

  Status HashAndWrite(const char* p, size_t n) {
    Hash(p, n);
    return WriteAll(fd_.get(), p, n);
  }

  void Hash(const char* p, size_t n) {
    if (n > 0 && EVP_DigestUpdate(sha_, p, n) != 1) std::abort();
  }

  const std::string dir_;
  const size_t inline_bytes_;
  const uint64_t max_bytes_;
  EVP_MD_CTX* const sha_;
  std::string buffer_;  // the content while in memory; then what is not yet written
  uint64_t size_ = 0;
  UniqueFd fd_;
  std::string path_;  // of the file while this Spool owns it
};

// Standard base64 decoded leniently (see the header) into `out`, in blocks;
// RESOURCE_EXHAUSTED as soon as more than max_bytes are decoded.
class Base64Decoder final : public Sink {
 public:
  Base64Decoder(Sink& out, uint64_t max_bytes)
      : out_(out), max_bytes_(max_bytes), block_(std::make_unique<char[]>(kDecodedBlock)) {}

  Status Write(const char* p, size_t n) override {
    const auto* s = reinterpret_cast<const uint8_t*>(p);
    const auto* const end = s + n;
    while (s < end) {
      if (sextets_ == 0 && pads_ == 0) {  // whole groups, the common case
        while (end - s >= 4) {
          const uint32_t a = kBase64[s[0]], b = kBase64[s[1]], c = kBase64[s[2]], d = kBase64[s[3]];
          if ((a | b | c | d) >= 64) break;
          if (used_ > kDecodedBlock - 3) STEPD_RETURN_IF_ERROR(FlushBlock());
          const uint32_t v = a << 18 | b << 12 | c << 6 | d;
          block_[used_] = static_cast<char>(v >> 16);
          block_[used_ + 1] = static_cast<char>(v >> 8);
          block_[used_ + 2] = static_cast<char>(v);
          used_ += 3;
          s += 4;
        }
        if (s == end) break;
      }
      const uint64_t at = offset_ + static_cast<uint64_t>(s - reinterpret_cast<const uint8_t*>(p));
      const uint8_t value = kBase64[*s++];
      if (value < 64) {
        if (pads_ > 0) return Invalid(at, "follows the padding");
        bits_ = bits_ << 6 | value;
        if (++sextets_ == 4) STEPD_RETURN_IF_ERROR(EndGroup());
      } else if (value == kBase64Pad) {
        if (pads_ == 0) {
          if (sextets_ < 2) return Invalid(at, "is padding where no group can end");
          pads_allowed_ = 4 - sextets_;
          STEPD_RETURN_IF_ERROR(EndGroup());
        } else if (pads_ == pads_allowed_) {
          return Invalid(at, "follows the padding");
        }
        ++pads_;
      } else if (value != kBase64Space) {
        return Invalid(at, "is not in the base64 alphabet");
      }
    }
    offset_ += n;
    if (flushed_ + used_ > max_bytes_) return AttachmentTooLarge(max_bytes_);
    return Status::OK();
  }

  // Decodes an unpadded last group and hands everything on.
  Status Finish() {
    if (sextets_ == 1) {
      return InvalidArgumentError(
          "attachment.data is not valid base64 (its last group has a single character)");
    }
    if (sextets_ > 0) STEPD_RETURN_IF_ERROR(EndGroup());
    return FlushBlock();
  }

 private:
  // The bytes of the group of 2 to 4 sextets in bits_.
  Status EndGroup() {
    if (used_ > kDecodedBlock - 3) STEPD_RETURN_IF_ERROR(FlushBlock());
    const int bytes = sextets_ - 1;
    const uint32_t v = bits_ << (6 * (4 - sextets_));
    for (int i = 0; i < bytes; ++i) block_[used_++] = static_cast<char>(v >> (16 - 8 * i));
    bits_ = 0;
    sextets_ = 0;
    return Status::OK();
  }

  Status FlushBlock() {
    const size_t used = std::exchange(used_, 0);
    flushed_ += used;
    return used == 0 ? Status::OK() : out_.Write(block_.get(), used);
  }

  static Status Invalid(uint64_t at, std::string_view what) {
    return InvalidArgumentError("attachment.data is not valid base64 (byte " + std::to_string(at) +
                                " of the string " + std::string(what) + ")");
  }

  Sink& out_;
  const uint64_t max_bytes_;
  std::unique_ptr<char[]> block_;
  size_t used_ = 0;
  uint64_t flushed_ = 0;  // bytes handed to out_
  uint32_t bits_ = 0;
  int sextets_ = 0;       // in the group being read
  int pads_ = 0;          // '=' seen
  int pads_allowed_ = 0;  // once padding began: 1 or 2
  uint64_t offset_ = 0;   // bytes of text before the current Write
};

// The unescaped text of a string attachment.data met before the
// attachment's mimetype, kept whole until the mimetype says what it is.
// Refused early only when too large both as text and as base64.
class PendingText final : public Sink {
 public:
  PendingText(Spool& spool, uint64_t max_bytes) : spool_(spool), max_bytes_(max_bytes) {}

  Status Write(const char* p, size_t n) override {
    for (size_t i = 0; i < n; ++i) alphabet_ += kBase64[static_cast<uint8_t>(p[i])] < 64;
    STEPD_RETURN_IF_ERROR(spool_.Write(p, n));
    if (spool_.size() > max_bytes_ && alphabet_ / 4 * 3 + alphabet_ % 4 * 3 / 4 > max_bytes_) {
      return AttachmentTooLarge(max_bytes_);
    }
    return Status::OK();
  }

 private:
  Spool& spool_;
  const uint64_t max_bytes_;
  uint64_t alphabet_ = 0;  // characters of the base64 alphabet
};

// Where the body comes from, a chunk at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next chunk, valid until the next call; empty at the end.
  virtual StatusOr<std::string_view> Next() = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string_view body, size_t chunk)
      : rest_(body), chunk_(std::max<size_t>(chunk, 1)) {}
  StatusOr<std::string_view> Next() override {
    std::string_view chunk = rest_.substr(0, chunk_);
    rest_.remove_prefix(chunk.size());
    return chunk;
  }

 private:
  std::string_view rest_;
  const size_t chunk_;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, size_t chunk)
      : fd_(fd), chunk_(std::max<size_t>(chunk, 1)), buffer_(std::make_unique<char[]>(chunk_)) {}
  StatusOr<std::string_view> Next() override {
    STEPD_ASSIGN_OR_RETURN(size_t got,
                           ReadSome(fd_.get(), buffer_.get(), chunk_, "cannot read the body file"));
    return std::string_view(buffer_.get(), got);
  }

 private:
  UniqueFd fd_;
  const size_t chunk_;
  std::unique_ptr<char[]> buffer_;
};

// A recursive-descent JSON reader pulling chunks from a ByteSource. Values
// are built into Json (out != nullptr) or only checked (out == nullptr,
// which holds nothing in memory).
class Reader {
 public:
  Reader(ByteSource& source, const LookerEnvelopeLimits& limits)
      : source_(source), limits_(limits) {}

  StatusOr<LookerEnvelope> Read() {
    LookerEnvelope envelope;
    envelope.body = Json::object();
    SkipSpace();
    if (Peek() < 0) {
      STEPD_RETURN_IF_ERROR(error_);
      return envelope;
    }
    if (Peek() != '{') {
      STEPD_RETURN_IF_ERROR(ParseValue(nullptr, 1));
      return InvalidArgumentError("the body must be a JSON object");
    }
    STEPD_RETURN_IF_ERROR(ParseObject(&envelope.body, 1, Role::kTop));
    SkipSpace();
    if (Peek() >= 0) return Fail("unexpected data after the object");
    STEPD_RETURN_IF_ERROR(error_);
    if (Offset() - data_bytes_ > limits_.max_envelope_bytes) return EnvelopeTooLarge();
    envelope.attachment = std::move(attachment_);
    if (content_ != nullptr) STEPD_RETURN_IF_ERROR(content_->Finish(&envelope.attachment));
    return envelope;
  }

 private:
  enum class Role { kTop, kAttachment, kOther };  // of an object on the path to attachment.data
  enum class DataMode { kNone, kText, kBase64, kPending, kJsonValue };

  int Peek() {
    if (pos_ == end_ && !Refill()) return -1;
    return static_cast<unsigned char>(*pos_);
  }
  uint64_t Offset() const { return base_ + static_cast<uint64_t>(pos_ - begin_); }

  // The next chunk; false at the end or on error_ (an I/O error, a limit, a
  // failed write of captured bytes).
  bool Refill() {
    if (capture_ != nullptr && capture_from_ != end_) {
      Status status = capture_->Write(capture_from_, static_cast<size_t>(end_ - capture_from_));
      if (!status.ok()) error_ = std::move(status);
    }
    base_ += static_cast<uint64_t>(end_ - begin_);
    begin_ = pos_ = capture_from_ = end_;
    if (!error_.ok() || eof_) return false;
    if (!in_data_ && base_ - data_bytes_ > limits_.max_envelope_bytes) {
      error_ = EnvelopeTooLarge();
      return false;
    }
    StatusOr<std::string_view> chunk = source_.Next();
    if (!chunk.ok()) {
      error_ = chunk.status();
      return false;
    }
    if (chunk->empty()) {
      eof_ = true;
      return false;
    }
    begin_ = pos_ = capture_from_ = chunk->data();
    end_ = begin_ + chunk->size();
    return true;
  }

  Status EnvelopeTooLarge() const {
    return ResourceExhaustedError("the body outside attachment.data is larger than " +
                                  std::to_string(limits_.max_envelope_bytes) + " bytes");
  }

  // A syntax error at the current byte (the one Peek() saw), unless reading
  // failed, or the end of the body.
  Status Fail(std::string_view what) {
    if (!error_.ok()) return error_;
    return FailAt(Offset(), pos_ == end_ && eof_ ? "unexpected end of the body" : what);
  }
  Status FailAt(uint64_t offset, std::string_view what) {
    if (!error_.ok()) return error_;
    return InvalidArgumentError("not valid JSON at byte " + std::to_string(offset) + ": " +
                                std::string(what));
  }

  void SkipSpace() {
    while ((pos_ != end_ || Refill()) && IsSpace(*pos_)) ++pos_;
  }

  Status ParseValue(Json* out, int depth) {
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth, Role::kOther);
      case '[':
        return ParseArray(out, depth);
      case '"': {
        ++pos_;
        if (out == nullptr) return ParseString(nullptr, nullptr);
        std::string text;
        STEPD_RETURN_IF_ERROR(ParseString(&text, nullptr));
        *out = std::move(text);
        return Status::OK();
      }
      case 't':
        return ParseLiteral("true", true, out);
      case 'f':
        return ParseLiteral("false", false, out);
      case 'n':
        return ParseLiteral("null", nullptr, out);
      case '-':
      case '0':
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return ParseNumber(out);
      default:
        return Fail("expected a value");
    }
  }

  Status ParseObject(Json* out, int depth, Role role) {
    if (depth > kMaxDepth) return Fail("nesting deeper than 128 levels");
    ++pos_;  // '{'
    Json object = Json::object();
    auto& members = object.get_ref<Json::object_t&>();
    std::unordered_set<std::string> names;  // used once members are many
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
    } else {
      for (bool first = true;; first = false) {
        SkipSpace();
        if (Peek() != '"')
          return Fail(first ? "expected a member name or '}'" : "expected a member name");
        const uint64_t name_at = Offset();
        ++pos_;
        std::string name;
        STEPD_RETURN_IF_ERROR(ParseString(out != nullptr ? &name : nullptr, nullptr));
        if (out != nullptr && !AddName(members, names, name)) {
          return InvalidArgumentError("duplicate member " + QuotedName(name) + " at byte " +
                                      std::to_string(name_at));
        }
        SkipSpace();
        if (Peek() != ':') return Fail("expected ':'");
        ++pos_;
        SkipSpace();
        Json value;
        if (role == Role::kTop && name == "attachment" && Peek() == '{') {
          STEPD_RETURN_IF_ERROR(ParseObject(&value, depth + 1, Role::kAttachment));
          STEPD_RETURN_IF_ERROR(FinishAttachment(value));
        } else if (role == Role::kAttachment && name == "data") {
          STEPD_RETURN_IF_ERROR(ParseData(object, depth + 1));
        } else {
          STEPD_RETURN_IF_ERROR(ParseValue(out != nullptr ? &value : nullptr, depth + 1));
        }
        if (out != nullptr) members.emplace_back(std::move(name), std::move(value));
        SkipSpace();
        const int c = Peek();
        if (c == '}') {
          ++pos_;
          break;
        }
        if (c != ',') return Fail("expected ',' or '}'");
        ++pos_;
      }
    }
    if (out != nullptr) *out = std::move(object);
    return Status::OK();
  }

  // False when `name` is already a member. Few members are scanned; many
  // are looked up in `names`, filled on first need.
  static bool AddName(const Json::object_t& members, std::unordered_set<std::string>& names,
                      const std::string& name) {
    constexpr size_t kScanned = 16;
    if (members.size() < kScanned) {
      return std::none_of(members.begin(), members.end(),
                          [&](const auto& member) { return member.first == name; });
    }
    if (names.empty()) {
      for (const auto& member : members) names.insert(member.first);
    }
    return names.insert(name).second;
  }

  Status ParseArray(Json* out, int depth) {
    if (depth > kMaxDepth) return Fail("nesting deeper than 128 levels");
    ++pos_;  // '['
    Json array = Json::array();
    auto& items = array.get_ref<Json::array_t&>();
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
    } else {
      for (;;) {
        SkipSpace();
        Json item;
        STEPD_RETURN_IF_ERROR(ParseValue(out != nullptr ? &item : nullptr, depth + 1));
        if (out != nullptr) items.push_back(std::move(item));
        SkipSpace();
        const int c = Peek();
        if (c == ']') {
          ++pos_;
          break;
        }
        if (c != ',') return Fail("expected ',' or ']'");
        ++pos_;
      }
    }
    if (out != nullptr) *out = std::move(array);
    return Status::OK();
  }

  Status ParseLiteral(std::string_view word, Json value, Json* out) {
    for (char expected : word) {
      if (Peek() != static_cast<unsigned char>(expected)) {
        return Fail("expected " + std::string(word));
      }
      ++pos_;
    }
    if (out != nullptr) *out = std::move(value);
    return Status::OK();
  }

  static bool IsDigit(int c) { return c >= '0' && c <= '9'; }

  // The grammar checked here; the value is what nlohmann makes of the text.
  Status ParseNumber(Json* out) {
    const uint64_t start = Offset();
    std::string text;
    auto take = [&] {
      if (out != nullptr) text.push_back(*pos_);
      ++pos_;
    };
    auto digits = [&] {
      if (!IsDigit(Peek())) return Fail("expected a digit");
      while (IsDigit(Peek())) take();
      return Status::OK();
    };
    if (Peek() == '-') take();
    if (Peek() == '0') {
      take();
    } else {
      STEPD_RETURN_IF_ERROR(digits());
    }
    if (Peek() == '.') {
      take();
      STEPD_RETURN_IF_ERROR(digits());
    }
    if (Peek() == 'e' || Peek() == 'E') {
      take();
      if (Peek() == '+' || Peek() == '-') take();
      STEPD_RETURN_IF_ERROR(digits());
    }
    if (out != nullptr) {
      *out = Json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (out->is_discarded()) return FailAt(start, "number out of range");
    }
    return Status::OK();
  }

  // The rest of a string after its opening quote, unescaped into *out and
  // `sink` (either may be null).
  Status ParseString(std::string* out, Sink* sink) {
    for (;;) {
      if (pos_ == end_ && !Refill()) return Fail("unexpected end of the body");
      const char* run = pos_;
      while (pos_ != end_ && kPlainStringByte[static_cast<unsigned char>(*pos_)]) ++pos_;
      if (pos_ != run) STEPD_RETURN_IF_ERROR(Emit(run, static_cast<size_t>(pos_ - run), out, sink));
      if (pos_ == end_) continue;
      const unsigned char c = static_cast<unsigned char>(*pos_);
      if (c == '"') {
        ++pos_;
        return Status::OK();
      }
      char bytes[4];
      size_t length = 0;
      if (c == '\\') {
        STEPD_RETURN_IF_ERROR(ParseEscape(bytes, &length));
      } else if (c < 0x20) {
        return Fail("control character in a string");
      } else {
        STEPD_RETURN_IF_ERROR(ParseUtf8(bytes, &length));
      }
      STEPD_RETURN_IF_ERROR(Emit(bytes, length, out, sink));
    }
  }

  static Status Emit(const char* p, size_t n, std::string* out, Sink* sink) {
    if (out != nullptr) out->append(p, n);
    return sink != nullptr ? sink->Write(p, n) : Status::OK();
  }

  // An escape at pos_, as UTF-8.
  Status ParseEscape(char* bytes, size_t* length) {
    const uint64_t start = Offset();
    ++pos_;  // '\\'
    const int c = Peek();
    char simple = 0;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        simple = static_cast<char>(c);
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return c < 0 ? Fail("unexpected end of the body") : FailAt(start, "invalid escape");
    }
    ++pos_;
    if (simple != 0) {
      bytes[0] = simple;
      *length = 1;
      return Status::OK();
    }
    uint32_t code_point = 0;
    STEPD_RETURN_IF_ERROR(ParseHex4(&code_point));
    if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
      return FailAt(start, "lone surrogate in a \\u escape");
    }
    if (code_point >= 0xD800 && code_point <= 0xDBFF) {
      if (Peek() != '\\') return FailAt(start, "lone surrogate in a \\u escape");
      ++pos_;
      if (Peek() != 'u') return FailAt(start, "lone surrogate in a \\u escape");
      ++pos_;
      uint32_t low = 0;
      STEPD_RETURN_IF_ERROR(ParseHex4(&low));
      if (low < 0xDC00 || low > 0xDFFF) return FailAt(start, "lone surrogate in a \\u escape");
      code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code_point < 0x80) {
      bytes[0] = static_cast<char>(code_point);
      *length = 1;
    } else if (code_point < 0x800) {
      bytes[0] = static_cast<char>(0xC0 | code_point >> 6);
      bytes[1] = static_cast<char>(0x80 | (code_point & 0x3F));
      *length = 2;
    } else if (code_point < 0x10000) {
      bytes[0] = static_cast<char>(0xE0 | code_point >> 12);
      bytes[1] = static_cast<char>(0x80 | (code_point >> 6 & 0x3F));
      bytes[2] = static_cast<char>(0x80 | (code_point & 0x3F));
      *length = 3;
    } else {
      bytes[0] = static_cast<char>(0xF0 | code_point >> 18);
      bytes[1] = static_cast<char>(0x80 | (code_point >> 12 & 0x3F));
      bytes[2] = static_cast<char>(0x80 | (code_point >> 6 & 0x3F));
      bytes[3] = static_cast<char>(0x80 | (code_point & 0x3F));
      *length = 4;
    }
    return Status::OK();
  }

  Status ParseHex4(uint32_t* value) {
    for (int i = 0; i < 4; ++i) {
      const int c = Peek();
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
        digit = (c | 0x20) - 'a' + 10;
      } else {
        return Fail("expected a hex digit");
      }
      *value = *value << 4 | static_cast<uint32_t>(digit);
      ++pos_;
    }
    return Status::OK();
  }

  // A multi-byte UTF-8 sequence starting at pos_ (RFC 3629: no overlong
  // forms, no surrogates, nothing past U+10FFFF).
  Status ParseUtf8(char* bytes, size_t* length) {
    const uint64_t start = Offset();
    const unsigned char lead = static_cast<unsigned char>(*pos_);
    int more = 0;
    int low = 0x80, high = 0xBF;  // of the next byte
    if (lead >= 0xC2 && lead <= 0xDF) {
      more = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      more = 2;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      more = 3;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return FailAt(start, "invalid UTF-8 in a string");
    }
    bytes[0] = static_cast<char>(lead);
    ++pos_;
    for (int i = 1; i <= more; ++i) {
      const int c = Peek();
      if (c < 0) return Fail("unexpected end of the body");
      if (c < low || c > high) return FailAt(start, "invalid UTF-8 in a string");
      bytes[i] = static_cast<char>(c);
      ++pos_;
      low = 0x80;
      high = 0xBF;
    }
    *length = static_cast<size_t>(more) + 1;
    return Status::OK();
  }

  // The value of attachment.data; `attachment` holds the members before it.
  Status ParseData(const Json& attachment, int depth) {
    const int c = Peek();
    if (c == 'n') return ParseLiteral("null", nullptr, nullptr);
    const uint64_t start = Offset();
    in_data_ = true;
    const uint64_t max_bytes = limits_.max_attachment_bytes;
    if (c == '"') {
      ++pos_;
      auto mimetype = attachment.find("mimetype");
      std::string stripped;
      if (mimetype == attachment.end()) {
        mode_ = DataMode::kPending;
        content_ = std::make_unique<Spool>(limits_, UINT64_MAX);
        PendingText pending(*content_, max_bytes);
        STEPD_RETURN_IF_ERROR(ParseString(nullptr, &pending));
      } else if (mimetype->is_string() &&
                 SplitBase64Mimetype(mimetype->get_ref<const std::string&>(), &stripped)) {
        mode_ = DataMode::kBase64;
        content_ = std::make_unique<Spool>(limits_, max_bytes);
        Base64Decoder decoder(*content_, max_bytes);
        STEPD_RETURN_IF_ERROR(ParseString(nullptr, &decoder));
        STEPD_RETURN_IF_ERROR(decoder.Finish());
      } else {
        mode_ = DataMode::kText;
        content_ = std::make_unique<Spool>(limits_, max_bytes);
        STEPD_RETURN_IF_ERROR(ParseString(nullptr, content_.get()));
      }
    } else {
      mode_ = DataMode::kJsonValue;
      content_ = std::make_unique<Spool>(limits_, max_bytes);
      capture_ = content_.get();
      capture_from_ = pos_;
      STEPD_RETURN_IF_ERROR(ParseValue(nullptr, depth));
      Status status = capture_->Write(capture_from_, static_cast<size_t>(pos_ - capture_from_));
      capture_ = nullptr;
      STEPD_RETURN_IF_ERROR(status);
    }
    in_data_ = false;
    data_bytes_ += Offset() - start;
    return Status::OK();
  }

  // Called with the whole attachment object once read.
  Status FinishAttachment(const Json& attachment) {
    LookerAttachment& a = attachment_;
    bool base64 = false;
    if (auto m = attachment.find("mimetype"); m != attachment.end() && m->is_string()) {
      a.mimetype = m->get<std::string>();
      base64 = SplitBase64Mimetype(a.mimetype, &a.mimetype);
    }
    if (auto e = attachment.find("extension"); e != attachment.end() && e->is_string()) {
      a.extension = e->get<std::string>();
    }
    a.present = mode_ != DataMode::kNone;
    a.json_value = mode_ == DataMode::kJsonValue;
    a.base64 = base64 && (mode_ == DataMode::kBase64 || mode_ == DataMode::kPending);
    if (mode_ != DataMode::kPending) return Status::OK();
    if (!base64) {
      if (content_->size() > limits_.max_attachment_bytes) {
        return AttachmentTooLarge(limits_.max_attachment_bytes);
      }
      return Status::OK();
    }
    auto decoded = std::make_unique<Spool>(limits_, limits_.max_attachment_bytes);
    Base64Decoder decoder(*decoded, limits_.max_attachment_bytes);
    STEPD_RETURN_IF_ERROR(content_->CopyTo(decoder));
    STEPD_RETURN_IF_ERROR(decoder.Finish());
    content_ = std::move(decoded);  // removes the text's file
    return Status::OK();
  }

  ByteSource& source_;
  const LookerEnvelopeLimits& limits_;

  // The chunk being read: [begin_, end_) holds body bytes [base_, base_ + size).
  const char* begin_ = nullptr;
  const char* pos_ = nullptr;
  const char* end_ = nullptr;
  uint64_t base_ = 0;
  bool eof_ = false;
  Status error_;  // why Refill() stopped early

  // While an inline JSON attachment.data is read, its bytes from
  // capture_from_ go to capture_ as chunks are left.
  Sink* capture_ = nullptr;
  const char* capture_from_ = nullptr;

  bool in_data_ = false;     // reading attachment.data: its bytes are not envelope
  uint64_t data_bytes_ = 0;  // body bytes of attachment.data's value

  DataMode mode_ = DataMode::kNone;
  std::unique_ptr<Spool> content_;  // attachment.data's content (or pending text)
  LookerAttachment attachment_;
};

}  // namespace

StatusOr<LookerEnvelope> ReadLookerEnvelopeFile(const std::string& path,
                                                const LookerEnvelopeLimits& limits) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InternalError(ErrnoText("cannot open the body file " + path));
  FileSource source(fd, limits.read_chunk_bytes);
  return Reader(source, limits).Read();
}

StatusOr<LookerEnvelope> ReadLookerEnvelope(std::string_view body,
                                            const LookerEnvelopeLimits& limits) {
  MemorySource source(body, limits.read_chunk_bytes);
  return Reader(source, limits).Read();
}

}  // namespace stepd::api
