#pragma once
// The body Looker's Action Hub POSTs to an action's execute URL, read with
// bounded memory: a JSON object such as
//
//   {"type":"query","scheduled_plan":{...},"form_params":{...},"data":{...},
//    "attachment":{"mimetype":"application/zip;base64","extension":"zip",
//                  "data":"UEsDB...\n..."}}
//
// where attachment.data may hold hundreds of MiB. The body is read in
// chunks; everything but attachment.data becomes a Json (bounded by
// max_envelope_bytes) and attachment.data is streamed, decoded, hashed and,
// past inline_attachment_bytes, written to a file under spool_dir. Neither
// the body nor the attachment is ever held whole in memory (beyond
// inline_attachment_bytes).
//
//   auto envelope = ReadLookerEnvelopeFile(body_path, limits);
//   if (!envelope.ok()) return envelope.status();       // INVALID_ARGUMENT...
//   const LookerAttachment& a = envelope->attachment;
//   if (a.present && !a.file.empty()) ... rename(a.file, ...) or unlink it
//
// What is accepted, deliberately strict outside the attachment's content:
//   - RFC 8259 JSON: no comments, trailing commas, NaN, leading zeros, single
//     quotes or unescaped control characters; strings are valid UTF-8 (no
//     overlong forms, no encoded surrogates) and \u escapes pair their
//     surrogates; nesting at most 128 deep; the top level is an object.
//   - no object repeats a member name (compared after unescaping), except
//     inside an inline JSON attachment.data, whose syntax and UTF-8 are
//     checked but whose names are not remembered (that would cost memory in
//     proportion to the attachment).
//   - numbers become what nlohmann makes of them (int64, uint64 or double);
//     one out of a double's range is refused.
//   - attachment.data means exactly the member "data" of the top-level
//     member "attachment" when that is an object; the same names deeper are
//     ordinary members.
//   - a base64 attachment.data is decoded leniently, as mail and Looker
//     write it: ASCII white space (space, \t, \r, \n) anywhere is skipped,
//     final padding may be missing, and non-zero bits after the last byte
//     are dropped; any other character outside the standard alphabet
//     ("+/"), or anything but white space after padding, is refused.
//
// Errors: INVALID_ARGUMENT for a body that breaks the rules above, naming
// the byte offset in the body ("not valid JSON at byte 1234: expected ',' or
// '}'") or, for base64, the byte offset in the unescaped string; messages
// never quote attachment content (they may quote member names).
// RESOURCE_EXHAUSTED for the limits below. FAILED_PRECONDITION when an
// attachment needs a file and spool_dir is empty; INTERNAL for I/O
// failures. On any error no file is left in spool_dir.
//
// Thread-safety: the functions are reentrant; files get unique names.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "stepd/base/json.h"
#include "stepd/base/status_or.h"

namespace stepd::api {

struct LookerEnvelopeLimits {
  // Bytes of the body outside the value of attachment.data that may be read
  // into memory; more is RESOURCE_EXHAUSTED. Default 16 MiB.
  size_t max_envelope_bytes = 16 * 1024 * 1024;
  // A decoded attachment of up to this many bytes is returned in
  // LookerAttachment::data; a larger one in a file. Default 256 KiB.
  size_t inline_attachment_bytes = 256 * 1024;
  // The largest decoded attachment accepted; larger is RESOURCE_EXHAUSTED,
  // found while streaming (a partial file is removed). Default 250 MiB.
  uint64_t max_attachment_bytes = 250ull * 1024 * 1024;
  // An existing directory for attachment files (created mode 0600). Also
  // holds, for the time of the call, the raw text of a string
  // attachment.data larger than inline_attachment_bytes that comes before
  // the attachment's mimetype. Empty: such attachments fail.
  std::string spool_dir;
  // Bytes read from the body at a time: the reader's own buffer. Tests use
  // tiny chunks to put every token across a chunk boundary.
  size_t read_chunk_bytes = 64 * 1024;
};

struct LookerAttachment {
  // The body had an attachment object whose "data" member is present and
  // not null. When false, the other fields are empty or zero, except that
  // mimetype and extension are still filled from an attachment object.
  bool present = false;
  // The attachment's "mimetype" as sent, less a trailing ";base64" (matched
  // case-insensitively, white space around ';' and "base64" ignored, and
  // then the rest trimmed); "" when absent or not a string.
  std::string mimetype;
  // The attachment's "extension" as sent; "" when absent or not a string.
  std::string extension;
  // data was a string and the mimetype ended with ";base64": the content is
  // the bytes the string decodes to.
  bool base64 = false;
  // data was an inline JSON object, array, number or boolean instead of a
  // string: the content is its JSON text exactly as it appears in the body
  // (inner white space and escapes kept, surrounding white space not).
  // Otherwise a string's content is its unescaped UTF-8 text, or the bytes
  // it decodes to when base64.
  bool json_value = false;
  // The content when size <= inline_attachment_bytes.
  std::string data;
  // Otherwise the path of a file under spool_dir holding the content,
  // created mode 0600. The caller owns it: it renames or deletes it. Never
  // both data and file.
  std::string file;
  // Bytes of content.
  uint64_t size = 0;
  // Lower-case hex SHA-256 of the content ("" when not present).
  std::string sha256_hex;
};

struct LookerEnvelope {
  // The whole body as a JSON object, member order kept, except that the
  // value of attachment.data, when present, is null.
  Json body;
  LookerAttachment attachment;
};

// Reads the body saved at `path`. An empty or all-white-space body is the
// empty object {} (no attachment).
StatusOr<LookerEnvelope> ReadLookerEnvelopeFile(const std::string& path,
                                                const LookerEnvelopeLimits& limits);
// The same from memory (small bodies, tests); `body` is read in place, in
// chunks of read_chunk_bytes, with the same limits and results.
StatusOr<LookerEnvelope> ReadLookerEnvelope(std::string_view body,
                                            const LookerEnvelopeLimits& limits);

}  // namespace stepd::api
