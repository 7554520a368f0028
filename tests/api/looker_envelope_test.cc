#include "stepd/api/looker_envelope.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <tuple>
#include <vector>

#include "http/http_testing.h"
#include "stepd/base/crypto.h"

namespace stepd::api {
namespace {

namespace fs = std::filesystem;
using http::testing::TempDir;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string RandomContent(size_t size, uint64_t seed = 1) {
  std::mt19937_64 random(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = random();
    for (size_t j = i; j < i + 8 && j < size; ++j)
      out[j] = static_cast<char>(word >> (8 * (j - i)));
  }
  return out;
}

// `bytes` in base64 as the body of a JSON string: a "\n" escape after every
// `line` characters (a multiple of 4) and after the last.
std::string Base64Lines(std::string_view bytes, size_t line = 60) {
  const size_t per_line = line / 4 * 3;
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += per_line) {
    out += Base64Encode(bytes.substr(i, per_line));
    out += "\\n";
  }
  return out;
}

// An attachment body: `data_json` is the JSON text of attachment.data.
std::string AttachmentBody(std::string_view mimetype, std::string_view data_json,
                           bool mimetype_first = true) {
  const std::string mime = "\"mimetype\":\"" + std::string(mimetype) + "\"";
  const std::string data = "\"data\":" + std::string(data_json);
  return R"({"type":"query","scheduled_plan":{"scheduled_plan_id":7},"attachment":{)" +
         (mimetype_first ? mime + "," + data : data + "," + mime) + R"(,"extension":"zip"}})";
}

// Writes to `path`, piece by piece, a Looker body whose attachment is
// `content` in base64 with "\n" escapes every `line` characters. Returns its
// size in bytes.
uint64_t WriteBase64Body(const fs::path& path, std::string_view content, size_t line,
                         bool mimetype_first) {
  std::ofstream out(path, std::ios::binary);
  const std::string head =
      R"({"type":"query","scheduled_plan":{"scheduled_plan_id":12,"title":"Daily"},"attachment":{)";
  const std::string mimetype = R"("mimetype":"application/zip;base64")";
  out << head << (mimetype_first ? mimetype + "," : "") << R"("extension":"zip","data":")";
  const size_t kPiece = line / 4 * 3 * 50000;  // whole lines
  for (size_t i = 0; i < content.size(); i += kPiece)
    out << Base64Lines(content.substr(i, kPiece), line);
  out << '"' << (mimetype_first ? "" : "," + mimetype) << R"(},"form_params":{"to":"a@b.c"}})";
  out.close();
  return fs::file_size(path);
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The attachment's content, wherever it is.
std::string Content(const LookerAttachment& a) {
  return a.file.empty() ? a.data : ReadFileText(a.file);
}

std::vector<std::string> FilesIn(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  return names;
}

LookerEnvelopeLimits Limits(const TempDir& dir) {
  LookerEnvelopeLimits limits;
  limits.spool_dir = dir.path().string();
  return limits;
}

// Reads `body` twice, in chunks of one byte and of limits.read_chunk_bytes,
// expects the same outcome, and returns the second.
StatusOr<LookerEnvelope> Read(std::string_view body, const LookerEnvelopeLimits& limits) {
  LookerEnvelopeLimits bytewise = limits;
  bytewise.read_chunk_bytes = 1;
  StatusOr<LookerEnvelope> slow = ReadLookerEnvelope(body, bytewise);
  StatusOr<LookerEnvelope> read = ReadLookerEnvelope(body, limits);
  EXPECT_EQ(slow.status(), read.status()) << "chunks of one byte disagree";
  if (slow.ok() && read.ok()) {
    const LookerAttachment& a = slow->attachment;
    const LookerAttachment& b = read->attachment;
    EXPECT_EQ(slow->body, read->body);
    EXPECT_EQ(Content(a), Content(b));
    EXPECT_EQ(a.file.empty(), b.file.empty());
    EXPECT_EQ(
        std::tie(a.present, a.mimetype, a.extension, a.base64, a.json_value, a.size, a.sha256_hex),
        std::tie(b.present, b.mimetype, b.extension, b.base64, b.json_value, b.size, b.sha256_hex));
    if (!a.file.empty()) fs::remove(a.file);
  }
  return read;
}

StatusOr<LookerEnvelope> Read(std::string_view body) { return Read(body, LookerEnvelopeLimits()); }

TEST(LookerEnvelope, ReadsABodyWithoutAttachmentAsJson) {
  const std::string body = R"({"type":"query",
    "scheduled_plan":{"scheduled_plan_id":12,"title":"Daily \"ops\"","url":null,
      "query_id":"42","query":{"fields":["a.b","c"],"limit":-1,"sorts":[]},
      "filters":{"x":[1,2.5,-3e2,0.1E+1,true,false,null]}},
    "data":{"attachment":{"data":"not the attachment"}},
    "big":18446744073709551615,"small":-9223372036854775808,
    "form_params":{}} )";
  auto envelope = Read(body);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->body, Json::parse(body));
  EXPECT_EQ(envelope->body.dump(), Json::parse(body).dump());  // member order kept
  EXPECT_TRUE(envelope->body["scheduled_plan"]["scheduled_plan_id"].is_number_integer());
  EXPECT_TRUE(envelope->body["scheduled_plan"]["query_id"].is_string());
  EXPECT_TRUE(envelope->body["big"].is_number_unsigned());
  EXPECT_EQ(envelope->body["small"], INT64_MIN);
  EXPECT_TRUE(envelope->body["scheduled_plan"]["filters"]["x"][1].is_number_float());
  EXPECT_FALSE(envelope->attachment.present);
  EXPECT_EQ(envelope->attachment.sha256_hex, "");
}

TEST(LookerEnvelope, EmptyOrBlankBodyIsTheEmptyObject) {
  for (std::string_view body : {"", " \r\n\t "}) {
    auto envelope = Read(body);
    ASSERT_TRUE(envelope.ok()) << envelope.status();
    EXPECT_EQ(envelope->body, Json::object());
    EXPECT_FALSE(envelope->attachment.present);
  }
}

TEST(LookerEnvelope, NullOrAbsentAttachmentOrDataIsNotPresent) {
  for (std::string_view body : {R"({"attachment":null})", R"({"type":"query"})",
                                R"({"attachment":{"mimetype":"text/csv","data":null}})",
                                R"({"attachment":{"mimetype":"text/csv"}})"}) {
    auto envelope = Read(body);
    ASSERT_TRUE(envelope.ok()) << body << ": " << envelope.status();
    EXPECT_EQ(envelope->body, Json::parse(body)) << body;
    EXPECT_FALSE(envelope->attachment.present) << body;
    EXPECT_EQ(envelope->attachment.data, "");
    EXPECT_EQ(envelope->attachment.size, 0u);
  }
  auto envelope = Read(R"({"attachment":{"mimetype":"text/csv","extension":"csv"}})");
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->attachment.mimetype, "text/csv");
  EXPECT_EQ(envelope->attachment.extension, "csv");
}

TEST(LookerEnvelope, CsvTextIsUnescapedAndDataBecomesNull) {
  auto envelope = Read(
      R"({"attachment":{"mimetype":"text/csv","extension":"csv","data":"a,b\r\n1,\"x\"\n"},"x":1})");
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  const LookerAttachment& a = envelope->attachment;
  EXPECT_TRUE(a.present);
  EXPECT_FALSE(a.base64);
  EXPECT_FALSE(a.json_value);
  EXPECT_EQ(a.mimetype, "text/csv");
  EXPECT_EQ(a.extension, "csv");
  EXPECT_EQ(a.data, "a,b\r\n1,\"x\"\n");
  EXPECT_EQ(a.file, "");
  EXPECT_EQ(a.size, a.data.size());
  EXPECT_EQ(a.sha256_hex, Sha256Hex(a.data));
  EXPECT_EQ(envelope->body.dump(),
            R"({"attachment":{"mimetype":"text/csv","extension":"csv","data":null},"x":1})");
}

TEST(LookerEnvelope, JsonTextInAStringIsText) {
  auto envelope =
      Read(R"({"attachment":{"mimetype":"application/json","data":"{\"rows\":[1,2]}"}})");
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.data, R"({"rows":[1,2]})");
  EXPECT_FALSE(envelope->attachment.json_value);
}

TEST(LookerEnvelope, InlineJsonDataIsItsTextAsSent) {
  for (const std::string data_json :
       {R"({ "rows" : [ 1, 2.50 , "caf\u00e9" ], "n":{} })", R"([[], {"a":null}] )", "-1.5e3", "0",
        "true", "false", R"({"a":1,"a":2})"}) {
    const std::string body = R"({"attachment":{"mimetype":"application/json;base64","data": )" +
                             data_json + R"(, "x":[]}})";
    auto envelope = Read(body);
    ASSERT_TRUE(envelope.ok()) << data_json << ": " << envelope.status();
    const LookerAttachment& a = envelope->attachment;
    const std::string expected =
        data_json.back() == ' ' ? data_json.substr(0, data_json.size() - 1) : data_json;
    EXPECT_EQ(a.data, expected);
    EXPECT_TRUE(a.json_value);
    EXPECT_TRUE(a.present);
    EXPECT_FALSE(a.base64) << "only a string is decoded";
    EXPECT_EQ(a.sha256_hex, Sha256Hex(expected));
    EXPECT_EQ(envelope->body["attachment"]["data"], nullptr);
    EXPECT_EQ(envelope->body["attachment"]["x"], Json::array());
  }
}

TEST(LookerEnvelope, Base64WithEscapedLineBreaksIsDecoded) {
  const std::string content = RandomContent(1000);
  auto envelope =
      Read(AttachmentBody("application/zip;base64", "\"" + Base64Lines(content) + "\""));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  const LookerAttachment& a = envelope->attachment;
  EXPECT_TRUE(a.base64);
  EXPECT_EQ(a.mimetype, "application/zip");
  EXPECT_EQ(a.extension, "zip");
  EXPECT_EQ(a.data, content);
  EXPECT_EQ(a.size, 1000u);
  EXPECT_EQ(a.sha256_hex, Sha256Hex(content));
  EXPECT_EQ(envelope->body["attachment"]["mimetype"], "application/zip;base64");
}

TEST(LookerEnvelope, Base64LinesNeedNotEndOnGroups) {
  const std::string content = RandomContent(301, 2);
  const std::string text = Base64Encode(content);
  std::string broken;
  for (size_t i = 0; i < text.size(); i += 7) broken += text.substr(i, 7) + "\\r\\n";
  auto envelope = Read(AttachmentBody("application/zip;base64", "\"" + broken + "\""));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.data, content);
}

TEST(LookerEnvelope, Base64BeforeItsMimetypeIsDecoded) {
  TempDir dir;
  LookerEnvelopeLimits limits = Limits(dir);
  limits.inline_attachment_bytes = 500;  // the text is spooled to a file, the content is not
  const std::string content = RandomContent(400, 3);
  auto envelope = Read(
      AttachmentBody("application/zip;base64", "\"" + Base64Lines(content) + "\"", false), limits);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  const LookerAttachment& a = envelope->attachment;
  EXPECT_TRUE(a.base64);
  EXPECT_EQ(a.data, content);
  EXPECT_EQ(a.sha256_hex, Sha256Hex(content));
  EXPECT_THAT(FilesIn(dir.path()), IsEmpty());

  limits.inline_attachment_bytes = 100;  // both spooled
  envelope = Read(
      AttachmentBody("application/zip;base64", "\"" + Base64Lines(content) + "\"", false), limits);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(Content(envelope->attachment), content);
  EXPECT_EQ(envelope->attachment.sha256_hex, Sha256Hex(content));
  EXPECT_THAT(FilesIn(dir.path()), ::testing::SizeIs(1)) << "only the content's file";
}

TEST(LookerEnvelope, TextBeforeItsMimetypeIsText) {
  auto envelope = Read(AttachmentBody("text/csv", R"("a,b\n1,2\n")", false));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.data, "a,b\n1,2\n");
  EXPECT_FALSE(envelope->attachment.base64);
  EXPECT_EQ(envelope->attachment.mimetype, "text/csv");
  envelope = Read(R"({"attachment":{"data":"QUJD"}})");
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.data, "QUJD") << "no mimetype: text";
}

TEST(LookerEnvelope, Base64SuffixIsMatchedIgnoringCaseAndSpaces) {
  struct Case {
    std::string mimetype;
    bool base64;
    std::string stripped;
  };
  for (const Case& c :
       std::vector<Case>{{" application/zip ; BASE64 ", true, "application/zip"},
                         {"image/png;Base64", true, "image/png"},
                         {";base64", true, ""},
                         {"text/plain; charset=base64", false, "text/plain; charset=base64"},
                         {"base64", false, "base64"},
                         {"text/base64", false, "text/base64"}}) {
    auto envelope = Read(AttachmentBody(c.mimetype, R"("QUJD")"));
    ASSERT_TRUE(envelope.ok()) << c.mimetype << ": " << envelope.status();
    EXPECT_EQ(envelope->attachment.base64, c.base64) << c.mimetype;
    EXPECT_EQ(envelope->attachment.mimetype, c.stripped);
    EXPECT_EQ(envelope->attachment.data, c.base64 ? "ABC" : "QUJD") << c.mimetype;
  }
}

TEST(LookerEnvelope, Base64SkipsWhiteSpaceAndAcceptsMissingPadding) {
  for (std::string_view data : {R"("QU\r\n JD\tRA")", R"("QUJDRA=")", R"("QUJDRA==\n")",
                                R"(" Q U J D R A = = ")", R"("QUJD\/\u002b8")"}) {
    auto envelope = Read(AttachmentBody("a/b;base64", data));
    ASSERT_TRUE(envelope.ok()) << data << ": " << envelope.status();
    EXPECT_EQ(envelope->attachment.data.substr(0, 3), "ABC") << data;
  }
  auto envelope = Read(AttachmentBody("a/b;base64", R"("\u002B\/8=")"));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.data, "\xfb\xff") << "escaped '+' and '/'";
  envelope = Read(AttachmentBody("a/b;base64", R"("")"));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_TRUE(envelope->attachment.present);
  EXPECT_EQ(envelope->attachment.size, 0u);
  EXPECT_EQ(envelope->attachment.sha256_hex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(LookerEnvelope, BadBase64IsRefusedSayingWhere) {
  struct Case {
    std::string data;
    std::string message;
  };
  const std::string kPrefix = "INVALID_ARGUMENT: attachment.data is not valid base64 (";
  for (const Case& c : std::vector<Case>{
           {R"("QUJD*A==")", "byte 4 of the string is not in the base64 alphabet)"},
           {R"("QU\nJ*")", "byte 4 of the string is not in the base64 alphabet)"},
           {R"("QUJD\u00e9")", "byte 4 of the string is not in the base64 alphabet)"},
           {R"("QUJDRA==QQ")", "byte 8 of the string follows the padding)"},
           {R"("QUJDRA===")", "byte 8 of the string follows the padding)"},
           {R"("QUJDRAB==")", "byte 8 of the string follows the padding)"},
           {R"("QUJD=")", "byte 4 of the string is padding where no group can end)"},
           {R"("QUJDR")", "its last group has a single character)"},
       }) {
    for (bool mimetype_first : {true, false}) {
      auto envelope = Read(AttachmentBody("a/b;base64", c.data, mimetype_first));
      EXPECT_EQ(envelope.status().ToString(), kPrefix + c.message)
          << c.data << (mimetype_first ? "" : " (mimetype last)");
    }
  }
}

TEST(LookerEnvelope, EscapesAndUnicodeAreDecodedEverywhere) {
  const std::string body =
      R"({"na\u00efve":"caf\u00e9 é \ud83d\ude00 😀 \/ \b\f\n\r\t \" \\ \u0000","attachment":{)"
      R"("data":"\u00e9\ud83d\ude00 é😀\t\\\"\/","mimetype":"text/plain"}})";
  auto envelope = Read(body);
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  Json expected = Json::parse(body);
  expected["attachment"]["data"] = nullptr;
  EXPECT_EQ(envelope->body, expected);
  std::string value = "café é 😀 😀 / \b\f\n\r\t \" \\ ";
  value.push_back('\0');
  EXPECT_EQ(envelope->body["naïve"], value);
  EXPECT_EQ(envelope->attachment.data, "é😀 é😀\t\\\"/");
}

struct BadBody {
  std::string body;
  std::string message;
};

TEST(LookerEnvelope, InvalidJsonIsRefusedAtItsByteOffset) {
  const std::string kAt = "INVALID_ARGUMENT: not valid JSON at byte ";
  for (const BadBody& c : std::vector<BadBody>{
           {R"({"a":1,})", "7: expected a member name"},
           {R"({"a":1 "b":2})", "7: expected ',' or '}'"},
           {R"({"a" 1})", "5: expected ':'"},
           {R"({"a":[1,]})", "8: expected a value"},
           {R"({"a":[1 2]})", "8: expected ',' or ']'"},
           {R"({"a":NaN})", "5: expected a value"},
           {R"({"a":01})", "6: expected ',' or '}'"},
           {R"({"a":1.})", "7: expected a digit"},
           {R"({"a":-})", "6: expected a digit"},
           {R"({"a":1e+})", "8: expected a digit"},
           {R"({"a":+1})", "5: expected a value"},
           {R"({"a":tru})", "8: expected true"},
           {R"({"a":nul)", "8: unexpected end of the body"},
           {R"({"a":"x)", "7: unexpected end of the body"},
           {R"({"a":1)", "6: unexpected end of the body"},
           {R"({"a":"\u00)", "10: unexpected end of the body"},
           {R"({/*c*/})", "1: expected a member name or '}'"},
           {R"({'a':1})", "1: expected a member name or '}'"},
           {R"({"a":"\x"})", "6: invalid escape"},
           {"{\"a\":\"\t\"}", "6: control character in a string"},
           {R"({"a":"\ud800"})", "6: lone surrogate in a \\u escape"},
           {R"({"a":"\udc00"})", "6: lone surrogate in a \\u escape"},
           {R"({"a":"\ud800\u0041"})", "6: lone surrogate in a \\u escape"},
           {R"({"a":"\u12G4"})", "10: expected a hex digit"},
           {"{\"a\":\"\xff\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xc0\x80\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xe0\x80\xaf\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xf0\x80\x80\xaf\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xed\xa0\x80\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xf4\x90\x80\x80\"}", "6: invalid UTF-8 in a string"},
           {"{\"a\":\"\xe2\x82\"}", "6: invalid UTF-8 in a string"},
           {R"({"a":1} x)", "8: unexpected data after the object"},
           {R"({"a":1}{})", "7: unexpected data after the object"},
           {R"({"a":1e400})", "5: number out of range"},
           {R"([1,)", "3: unexpected end of the body"},
           {R"({"attachment":{"data":{"a":}}})", "27: expected a value"},
           {R"({"attachment":{"data":"QUJD)", "27: unexpected end of the body"},
           {"{\"attachment\":{\"data\":\"\xff\"}}", "23: invalid UTF-8 in a string"},
           {R"({"attachment":{"data":[1,]}})", "25: expected a value"},
           {R"({"attachment":{"data":tru}})", "25: expected true"},
       }) {
    auto envelope = Read(c.body);
    EXPECT_EQ(envelope.status().ToString(), kAt + c.message) << c.body;
  }
}

TEST(LookerEnvelope, ABodyThatIsNotAnObjectIsRefused) {
  for (std::string_view body : {"[1,2]", R"("text")", "42", "null", " [] "}) {
    auto envelope = Read(body);
    EXPECT_EQ(envelope.status().ToString(), "INVALID_ARGUMENT: the body must be a JSON object")
        << body;
  }
}

TEST(LookerEnvelope, DuplicateMembersAreRefusedByName) {
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  many += R"("m17":0})";
  for (const BadBody& c : std::vector<BadBody>{
           {R"({"a":1,"a":2})", R"(duplicate member "a" at byte 7)"},
           {R"({"x":{"b":1,"c":{},"b":[]}})", R"(duplicate member "b" at byte 19)"},
           {R"({"a":1,"\u0061":2})", R"(duplicate member "a" at byte 7)"},
           {R"({"attachment":{"data":"QQ","data":null}})", R"(duplicate member "data" at byte 27)"},
           {R"({"attachment":{},"attachment":null})",
            R"(duplicate member "attachment" at byte 17)"},
           {R"({"\"\n":1,"\"\n":2})", R"(duplicate member "\"\n" at byte 10)"},
           {many, R"(duplicate member "m17" at byte )" + std::to_string(many.rfind("\"m17\""))},
       }) {
    auto envelope = Read(c.body);
    EXPECT_EQ(envelope.status().ToString(), "INVALID_ARGUMENT: " + c.message) << c.body;
  }
}

TEST(LookerEnvelope, NestingDeeperThan128IsRefused) {
  auto nested = [](std::string_view head, int arrays, std::string_view tail) {
    return std::string(head) + std::string(arrays, '[') + std::string(arrays, ']') +
           std::string(tail);
  };
  auto objects = [](int depth) {
    std::string body;
    for (int i = 0; i < depth; ++i) body += R"({"a":)";
    return body + "0" + std::string(depth, '}');
  };
  EXPECT_TRUE(Read(objects(128)).ok());
  EXPECT_EQ(Read(objects(129)).status().ToString(),
            "INVALID_ARGUMENT: not valid JSON at byte 640: nesting deeper than 128 levels");
  EXPECT_TRUE(Read(nested(R"({"a":)", 127, "}")).ok());
  EXPECT_EQ(Read(nested(R"({"a":)", 128, "}")).status().ToString(),
            "INVALID_ARGUMENT: not valid JSON at byte 132: nesting deeper than 128 levels");
  const std::string head = R"({"attachment":{"data":)";
  auto envelope = Read(nested(head, 126, "}}"));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->attachment.size, 252u);
  EXPECT_EQ(Read(nested(head, 127, "}}")).status().ToString(),
            "INVALID_ARGUMENT: not valid JSON at byte " + std::to_string(head.size() + 126) +
                ": nesting deeper than 128 levels");
}

TEST(LookerEnvelope, ContentUpToTheInlineLimitStaysInMemoryAndLargerGoesToAFile) {
  TempDir dir;
  LookerEnvelopeLimits limits = Limits(dir);
  limits.inline_attachment_bytes = 6;
  struct Case {
    std::string mimetype;
    std::string data_json;
    std::string content;
  };
  for (const Case& c : std::vector<Case>{{"text/csv", R"("a,b\ncd")", "a,b\ncd"},
                                         {"text/csv", R"("a,b\ncde")", "a,b\ncde"},
                                         {"x/y;base64", R"("QUJD\nREVG")", "ABCDEF"},
                                         {"x/y;base64", R"("QUJD\nREVGRw==")", "ABCDEFG"},
                                         {"x/y", "[1, 2]", "[1, 2]"},
                                         {"x/y", "[1, 23]", "[1, 23]"}}) {
    for (bool mimetype_first : {true, false}) {
      auto envelope = Read(AttachmentBody(c.mimetype, c.data_json, mimetype_first), limits);
      ASSERT_TRUE(envelope.ok()) << c.data_json << ": " << envelope.status();
      const LookerAttachment& a = envelope->attachment;
      EXPECT_EQ(a.size, c.content.size());
      EXPECT_EQ(a.sha256_hex, Sha256Hex(c.content));
      if (c.content.size() <= 6) {
        EXPECT_EQ(a.data, c.content);
        EXPECT_EQ(a.file, "");
        EXPECT_THAT(FilesIn(dir.path()), IsEmpty());
      } else {
        EXPECT_EQ(a.data, "");
        ASSERT_THAT(a.file, StartsWith(dir.path().string() + "/"));
        EXPECT_EQ(ReadFileText(a.file), c.content);
        struct stat st {};
        ASSERT_EQ(::stat(a.file.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        fs::remove(a.file);
      }
    }
  }
}

TEST(LookerEnvelope, ALargeAttachmentWithoutSpoolDirFails) {
  LookerEnvelopeLimits limits;
  limits.inline_attachment_bytes = 2;
  EXPECT_EQ(Read(AttachmentBody("text/plain", R"("abc")"), limits).status().ToString(),
            "FAILED_PRECONDITION: an attachment over 2 bytes needs a spool_dir");
}

TEST(LookerEnvelope, AttachmentOverTheMaximumIsRefused) {
  TempDir dir;
  LookerEnvelopeLimits limits = Limits(dir);
  limits.inline_attachment_bytes = 4;
  limits.max_attachment_bytes = 10;
  const std::string kTooLarge = "RESOURCE_EXHAUSTED: the attachment is larger than 10 bytes";
  struct Case {
    std::string mimetype;
    std::string data_json;
    bool fits;
  };
  for (const Case& c : std::vector<Case>{
           {"text/csv", R"("0123456789")", true},
           {"text/csv", R"("0123456789\n")", false},
           {"x/y;base64", R"("MDEyMzQ1\nNjc4OQ==\n\n\n\n\n\n\n")", true},
           {"x/y;base64", R"("MDEyMzQ1\nNjc4OTA=")", false},
           {"x/y;base64", R"("MDEyMzQ1Njc4OTAx")", false},
           {"x/y", R"([1,2,3,45])", true},
           {"x/y", R"([1,2,3,456])", false},
       }) {
    for (bool mimetype_first : {true, false}) {
      auto envelope = Read(AttachmentBody(c.mimetype, c.data_json, mimetype_first), limits);
      if (c.fits) {
        ASSERT_TRUE(envelope.ok()) << c.data_json << ": " << envelope.status();
        EXPECT_EQ(envelope->attachment.size, 10u);
        fs::remove(envelope->attachment.file);
      } else {
        EXPECT_EQ(envelope.status().ToString(), kTooLarge) << c.data_json;
      }
      EXPECT_THAT(FilesIn(dir.path()), IsEmpty());
    }
  }
}

TEST(LookerEnvelope, AttachmentOverTheMaximumIsRefusedBeforeTheBodyEnds) {
  LookerEnvelopeLimits limits;
  limits.max_attachment_bytes = 10;
  const std::string kTooLarge = "RESOURCE_EXHAUSTED: the attachment is larger than 10 bytes";
  // Cut off inside attachment.data: only a refusal while streaming sees the size.
  const std::string base64 = "\"" + Base64Lines(RandomContent(300, 7));
  const std::string text = "\"" + std::string(300, 'x');
  const std::string json = "[" + std::string(300, ' ');
  for (const std::string& body : {AttachmentBody("x/y;base64", base64),
                                  AttachmentBody("text/csv", text), AttachmentBody("x/y", json)}) {
    const std::string cut = body.substr(0, body.find("\"data\":") + 200);
    EXPECT_EQ(Read(cut, limits).status().ToString(), kTooLarge) << cut;
  }
  // Before the mimetype: too large both as text and as base64.
  for (const std::string& data : {base64, text}) {
    const std::string cut = R"({"attachment":{"data":)" + data.substr(0, 200);
    EXPECT_EQ(Read(cut, limits).status().ToString(), kTooLarge) << cut;
  }
}

TEST(LookerEnvelope, EnvelopeOverTheMaximumIsRefusedAndTheAttachmentDoesNotCount) {
  LookerEnvelopeLimits limits;
  limits.max_envelope_bytes = 100;
  auto body_of = [](size_t n) { return R"({"a":")" + std::string(n, 'x') + R"("})"; };
  ASSERT_EQ(body_of(92).size(), 100u);
  EXPECT_TRUE(Read(body_of(92), limits).ok());
  EXPECT_EQ(Read(body_of(93), limits).status().ToString(),
            "RESOURCE_EXHAUSTED: the body outside attachment.data is larger than 100 bytes");
  // 10000 bytes of attachment.data in a body whose envelope is exactly the limit.
  const std::string data = "\"" + std::string(9998, 'x') + "\"";
  const std::string body = R"({"attachment":{"mimetype":"text/plain","data":)" + data + "}}";
  limits.max_envelope_bytes = body.size() - data.size();
  limits.inline_attachment_bytes = 20000;
  EXPECT_TRUE(Read(body, limits).ok());
  limits.max_envelope_bytes -= 1;
  EXPECT_EQ(Read(body, limits).status().code(), StatusCode::kResourceExhausted);
  // Found within a chunk of the limit, before the whole body is read.
  limits.max_envelope_bytes = 1000;
  limits.read_chunk_bytes = 100;
  const std::string huge = body_of(1 << 20) + "garbage";
  EXPECT_EQ(ReadLookerEnvelope(huge, limits).status().code(), StatusCode::kResourceExhausted);
}

TEST(LookerEnvelope, NoFileIsLeftInTheSpoolDirAfterAnError) {
  TempDir dir;
  LookerEnvelopeLimits limits = Limits(dir);
  limits.inline_attachment_bytes = 16;
  limits.max_attachment_bytes = 5000;
  limits.max_envelope_bytes = 200;
  const std::string lines = Base64Lines(RandomContent(3000, 4));
  const std::string big_lines = Base64Lines(RandomContent(6000, 5));
  for (const std::string& body : std::vector<std::string>{
           AttachmentBody("x/y;base64", "\"" + lines + "*\""),
           AttachmentBody("x/y;base64", "\"" + lines + "*\"", false),
           AttachmentBody("x/y;base64", "\"" + big_lines + "\""),
           AttachmentBody("x/y;base64", "\"" + big_lines + "\"", false),
           AttachmentBody("x/y", "\"" + big_lines + "\""),
           AttachmentBody("x/y", "\"" + lines + "\"").substr(0, 3000),
           AttachmentBody("x/y", "\"" + lines + "\"") + "x",
           AttachmentBody("x/y", "[\"" + lines + "\", 1,]"),
           R"({"attachment":{"data":")" + lines + R"(","data":1}})",
           R"({"attachment":{"mimetype":"x/y;base64","data":")" + lines + R"("},"attachment":1})",
           R"({"attachment":{"data":")" + lines + R"("},"pad":")" + std::string(300, 'p') + "\"}",
       }) {
    auto envelope = Read(body, limits);
    EXPECT_FALSE(envelope.ok()) << body.substr(0, 80);
    EXPECT_THAT(FilesIn(dir.path()), IsEmpty()) << envelope.status();
  }
}

TEST(LookerEnvelope, AttachmentNamesElsewhereAreOrdinaryMembers) {
  for (std::string_view body :
       {R"({"x":{"attachment":{"data":"QUJD"}}})", R"({"attachment":[{"data":"QUJD"}]})",
        R"({"attachment":"QUJD","data":"QUJD"})", R"({"attachment":{"file":{"data":"QUJD"}}})"}) {
    auto envelope = Read(body);
    ASSERT_TRUE(envelope.ok()) << body << ": " << envelope.status();
    EXPECT_EQ(envelope->body, Json::parse(body));
    EXPECT_FALSE(envelope->attachment.present) << body;
  }
}

TEST(LookerEnvelope, ReadsAFileInChunksLikeMemory) {
  TempDir dir;
  const fs::path path = dir.path() / "body.json";
  const std::string content = RandomContent(5000, 6);
  WriteBase64Body(path, content, 76, true);
  const std::string body = ReadFileText(path.string());
  LookerEnvelopeLimits limits = Limits(dir);
  limits.read_chunk_bytes = 13;
  auto from_file = ReadLookerEnvelopeFile(path.string(), limits);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  auto from_memory = ReadLookerEnvelope(body, limits);
  ASSERT_TRUE(from_memory.ok()) << from_memory.status();
  EXPECT_EQ(from_file->body, from_memory->body);
  EXPECT_EQ(from_file->attachment.data, content);
  EXPECT_EQ(from_memory->attachment.data, content);
  EXPECT_EQ(from_file->body["form_params"]["to"], "a@b.c");

  EXPECT_EQ(ReadLookerEnvelopeFile((dir.path() / "missing").string(), limits).status().code(),
            StatusCode::kInternal);
}

// Reads a body of `megabytes` MiB of random content in base64 from a file
// and checks it lands, whole and hashed, in a spool file.
void ReadLargeBase64Body(size_t megabytes, bool mimetype_first) {
  TempDir dir;
  const fs::path path = dir.path() / "body.json";
  const fs::path spool = dir.path() / "spool";
  fs::create_directory(spool);
  const std::string content = RandomContent(megabytes << 20, megabytes);
  const uint64_t body_bytes = WriteBase64Body(path, content, 76, mimetype_first);
  LookerEnvelopeLimits limits;
  limits.spool_dir = spool.string();

  const auto start = std::chrono::steady_clock::now();
  auto envelope = ReadLookerEnvelopeFile(path.string(), limits);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  const double mb_per_s = static_cast<double>(body_bytes) / 1e6 / took.count();
  std::cout << "[ info     ] " << body_bytes << " body bytes in " << took.count()
            << " s: " << mb_per_s << " MB/s" << (mimetype_first ? "" : " (mimetype last)")
            << std::endl;
  ::testing::Test::RecordProperty("body_mb_per_s", static_cast<int>(mb_per_s));

  const LookerAttachment& a = envelope->attachment;
  EXPECT_TRUE(a.base64);
  EXPECT_EQ(a.size, content.size());
  EXPECT_EQ(a.sha256_hex, Sha256Hex(content));
  EXPECT_EQ(a.data, "");
  ASSERT_THAT(a.file, StartsWith(spool.string() + "/"));
  EXPECT_EQ(fs::file_size(a.file), content.size());
  EXPECT_TRUE(ReadFileText(a.file) == content);
  EXPECT_EQ(FilesIn(spool).size(), 1u);
  EXPECT_EQ(envelope->body["scheduled_plan"]["title"], "Daily");
  EXPECT_EQ(envelope->body["attachment"]["data"], nullptr);
}

TEST(LookerEnvelope, ReadsA40MiBBase64BodyIntoASpoolFile) { ReadLargeBase64Body(40, true); }

TEST(LookerEnvelope, ReadsALargeBase64BodyWhoseMimetypeComesLast) { ReadLargeBase64Body(8, false); }

}  // namespace
}  // namespace stepd::api
