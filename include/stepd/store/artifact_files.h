#pragma once
// ArtifactFiles: the files behind ArtifactRecords (records.h), one per id,
// in one directory (mode 0700, files 0600) that nothing else writes to.
//
// A file comes in through the spool: the writer creates it under
// spool_dir() (same filesystem), writes and closes it, then Adopt()s it,
// which moves it into place under its id durably and at once: a reader sees
// no file or the whole file. Write the file before the Store's record and
// remove it after the record is gone, so that a record never names a
// missing file; a crash in between leaves an unnamed spool file, which
// RemoveStaleSpool() clears at the next start, or a file without a record
// (harmless until its id is reused, which random ids make moot).
//
// Thread-safety: every method may be called from any thread; the object
// holds no mutable state. Not safe against another process changing the
// directory under it.

#include <chrono>
#include <string>
#include <string_view>

#include "stepd/base/status.h"

namespace stepd::store {

class ArtifactFiles {
 public:
  explicit ArtifactFiles(std::string dir);

  // Creates dir (and its parents) and dir/.spool, mode 0700 (an existing
  // dir is set to 0700). INVALID_ARGUMENT for an empty dir; UNAVAILABLE
  // with the reason when a directory cannot be made.
  Status Init();

  const std::string& dir() const { return dir_; }
  // dir + "/.spool": where files that will be adopted are written.
  std::string spool_dir() const;

  // dir + "/" + id when `id` matches [A-Za-z0-9_-]{1,128}; "" otherwise (an
  // id can never name a path outside dir, nor the spool).
  std::string PathOf(std::string_view id) const;

  // Moves `file` (a closed file, usually under spool_dir()) to PathOf(id),
  // replacing any file of that id: mode 0600, fsync of the file, rename,
  // fsync of dir. Errors: INVALID_ARGUMENT for a bad id; NOT_FOUND when
  // `file` does not exist; FAILED_PRECONDITION when it is on another
  // filesystem (or not a regular file); UNAVAILABLE for other I/O errors.
  // Unless the error is in the final fsync of dir, `file` stays where it was.
  Status Adopt(const std::string& file, std::string_view id);

  // Deletes the file of `id`; OK when there is none. INVALID_ARGUMENT for a
  // bad id; UNAVAILABLE when it cannot be deleted.
  Status Remove(std::string_view id);

  // Deletes the spool files last modified more than `older_than` ago: left
  // by writers that crashed before Adopt. Younger ones may be in use.
  // UNAVAILABLE when the spool cannot be read or a file cannot be deleted.
  Status RemoveStaleSpool(std::chrono::seconds older_than);

 private:
  std::string dir_;
};

}  // namespace stepd::store
