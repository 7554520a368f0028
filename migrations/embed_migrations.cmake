# cmake -DOUTPUT=file.cc -DSQL_FILES="a.sql;b.sql" -P embed_migrations.cmake
# Writes a C++ source defining stepd::store::EmbeddedMigrations(). Refuses
# badly named files, duplicate or missing versions, and SQL containing the
# raw-string delimiter.
set(_delim "stepd_sql")
set(_entries "")
set(_expected 1)
foreach(_file IN LISTS SQL_FILES)
  get_filename_component(_base "${_file}" NAME)
  if(NOT _base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration file '${_base}' must be named NNNN_name.sql (lower-case name)")
  endif()
  set(_digits "${CMAKE_MATCH_1}")
  set(_name "${CMAKE_MATCH_2}")
  math(EXPR _version "1${_digits} - 10000")
  if(NOT _version EQUAL _expected)
    message(FATAL_ERROR "migration '${_base}': expected version ${_expected}; versions must run 1, 2, 3... without gaps")
  endif()
  math(EXPR _expected "${_expected} + 1")
  file(READ "${_file}" _sql)
  string(FIND "${_sql}" ")${_delim}\"" _clash)
  if(NOT _clash EQUAL -1)
    message(FATAL_ERROR "migration '${_base}' contains the delimiter )${_delim}\"")
  endif()
  string(APPEND _entries "    {${_version}, \"${_name}\", R\"${_delim}(${_sql})${_delim}\"},\n")
endforeach()
if(_entries STREQUAL "")
  message(FATAL_ERROR "no migrations found")
endif()
set(_content "// Generated from migrations/*.sql by migrations/embed_migrations.cmake. Do not edit.
#include \"stepd/store/migrations.h\"

namespace stepd::store {
namespace {
constexpr Migration kMigrations[] = {
${_entries}};
}  // namespace

std::span<const Migration> EmbeddedMigrations() { return kMigrations; }

}  // namespace stepd::store
")
file(WRITE "${OUTPUT}" "${_content}")
