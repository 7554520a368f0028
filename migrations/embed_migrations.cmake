# cmake -DOUTPUT=file.cc -DSQL_FILES="a.sql;b.sql" -DPG_SQL_FILES="pa.sql;pb.sql"
#       -P embed_migrations.cmake
# Writes a C++ source defining stepd::store::EmbeddedMigrations() (SQL_FILES,
# SQLite) and EmbeddedPostgresMigrations() (PG_SQL_FILES). Refuses badly
# named files, duplicate or missing versions, SQL containing the raw-string
# delimiter, and a PostgreSQL set whose versions and names are not exactly
# those of the SQLite set.
set(_delim "stepd_sql")

# Sets <out_entries> to the array initialisers of `files` (sorted) and
# <out_labels> to their "NNNN_name" labels; `what` names the set in errors.
function(_stepd_embed_set what files out_entries out_labels)
  set(_entries "")
  set(_labels "")
  set(_expected 1)
  foreach(_file IN LISTS files)
    get_filename_component(_base "${_file}" NAME)
    if(NOT _base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
      message(FATAL_ERROR "${what} migration file '${_base}' must be named NNNN_name.sql (lower-case name)")
    endif()
    set(_digits "${CMAKE_MATCH_1}")
    set(_name "${CMAKE_MATCH_2}")
    math(EXPR _version "1${_digits} - 10000")
    if(NOT _version EQUAL _expected)
      message(FATAL_ERROR "${what} migration '${_base}': expected version ${_expected}; versions must run 1, 2, 3... without gaps")
    endif()
    math(EXPR _expected "${_expected} + 1")
    file(READ "${_file}" _sql)
    string(FIND "${_sql}" ")${_delim}\"" _clash)
    if(NOT _clash EQUAL -1)
      message(FATAL_ERROR "${what} migration '${_base}' contains the delimiter )${_delim}\"")
    endif()
    string(APPEND _entries "    {${_version}, \"${_name}\", R\"${_delim}(${_sql})${_delim}\"},\n")
    list(APPEND _labels "${_digits}_${_name}")
  endforeach()
  if(_entries STREQUAL "")
    message(FATAL_ERROR "no ${what} migrations found")
  endif()
  set(${out_entries} "${_entries}" PARENT_SCOPE)
  set(${out_labels} "${_labels}" PARENT_SCOPE)
endfunction()

_stepd_embed_set("SQLite" "${SQL_FILES}" _entries _labels)
_stepd_embed_set("PostgreSQL" "${PG_SQL_FILES}" _pg_entries _pg_labels)
# Every SQLite migration has its PostgreSQL translation, and no other.
if(NOT _labels STREQUAL _pg_labels)
  set(_missing ${_labels})
  list(REMOVE_ITEM _missing ${_pg_labels})
  set(_extra ${_pg_labels})
  list(REMOVE_ITEM _extra ${_labels})
  message(FATAL_ERROR "migrations/postgres/ must hold one file per migrations/*.sql, "
                      "same version and name (a PostgreSQL translation of it): "
                      "missing [${_missing}], unexpected [${_extra}]")
endif()

set(_content "// Generated from migrations/*.sql and migrations/postgres/*.sql by
// migrations/embed_migrations.cmake. Do not edit.
#include \"stepd/store/migrations.h\"

namespace stepd::store {
namespace {
constexpr Migration kMigrations[] = {
${_entries}};
constexpr Migration kPostgresMigrations[] = {
${_pg_entries}};
}  // namespace

std::span<const Migration> EmbeddedMigrations() { return kMigrations; }

std::span<const Migration> EmbeddedPostgresMigrations() { return kPostgresMigrations; }

}  // namespace stepd::store
")
file(WRITE "${OUTPUT}" "${_content}")
