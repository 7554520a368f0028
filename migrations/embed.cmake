# Compiles migrations/NNNN_name.sql (SQLite) and migrations/postgres/NNNN_name.sql
# (PostgreSQL) into stepd_store: a build step writes embedded_migrations.cc
# with each file's contents as a raw string literal, re-run whenever a .sql
# file changes or one is added (CONFIGURE_DEPENDS).
# Included from src/CMakeLists.txt after stepd_layer(store ...).
file(GLOB _stepd_migration_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/migrations/*.sql)
list(SORT _stepd_migration_files)
file(GLOB _stepd_pg_migration_files CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/migrations/postgres/*.sql)
list(SORT _stepd_pg_migration_files)
set(_stepd_migrations_cc ${CMAKE_BINARY_DIR}/generated/stepd/store/embedded_migrations.cc)
add_custom_command(
  OUTPUT ${_stepd_migrations_cc}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_stepd_migrations_cc}
          "-DSQL_FILES=${_stepd_migration_files}"
          "-DPG_SQL_FILES=${_stepd_pg_migration_files}"
          -P ${PROJECT_SOURCE_DIR}/migrations/embed_migrations.cmake
  DEPENDS ${_stepd_migration_files} ${_stepd_pg_migration_files}
          ${PROJECT_SOURCE_DIR}/migrations/embed_migrations.cmake
  COMMENT "Embedding schema migrations"
  VERBATIM)
target_sources(stepd_store PRIVATE ${_stepd_migrations_cc})
target_link_libraries(stepd_store PUBLIC OpenSSL::Crypto)
