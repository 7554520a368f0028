# Compiles the web console into stepd_api: web/build writes
# <build>/console/index.html and manifest.json (once per build tree, and
# again whenever web/src, the build script or the npm lock changes), then
# web/embed_console.cmake turns them into embedded_console.cc, which defines
# stepd::api::EmbeddedConsolePage() (include/stepd/api/console.h).
# With -DSTEPD_CONSOLE=OFF the generated source holds no page and /console/
# answers 404 saying so. Included from src/CMakeLists.txt after
# stepd_layer(api ...).
set(_stepd_console_cc ${CMAKE_BINARY_DIR}/generated/stepd/api/embedded_console.cc)
if(STEPD_CONSOLE)
  set(_stepd_console_dir ${CMAKE_BINARY_DIR}/console)
  file(GLOB_RECURSE _stepd_console_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/web/src/*)
  add_custom_command(
    OUTPUT ${_stepd_console_dir}/index.html ${_stepd_console_dir}/manifest.json
    COMMAND ${PROJECT_SOURCE_DIR}/web/build ${_stepd_console_dir}
    DEPENDS ${PROJECT_SOURCE_DIR}/web/build ${PROJECT_SOURCE_DIR}/web/build.mjs
            ${PROJECT_SOURCE_DIR}/web/package.json ${PROJECT_SOURCE_DIR}/web/package-lock.json
            ${_stepd_console_sources}
    COMMENT "Building the web console (web/build)"
    VERBATIM)
  add_custom_command(
    OUTPUT ${_stepd_console_cc}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_stepd_console_cc} -DCONSOLE_DIR=${_stepd_console_dir}
            -P ${PROJECT_SOURCE_DIR}/web/embed_console.cmake
    DEPENDS ${_stepd_console_dir}/index.html ${_stepd_console_dir}/manifest.json
            ${PROJECT_SOURCE_DIR}/web/embed_console.cmake
    COMMENT "Embedding the web console"
    VERBATIM)
else()
  add_custom_command(
    OUTPUT ${_stepd_console_cc}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_stepd_console_cc} -P ${PROJECT_SOURCE_DIR}/web/embed_console.cmake
    DEPENDS ${PROJECT_SOURCE_DIR}/web/embed_console.cmake
    COMMENT "Embedding no web console (STEPD_CONSOLE=OFF)"
    VERBATIM)
endif()
target_sources(stepd_api PRIVATE ${_stepd_console_cc})
