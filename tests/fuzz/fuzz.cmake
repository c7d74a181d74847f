# libFuzzer targets (tests/fuzz/<name>_fuzz.cpp), built with -DLICSAT_FUZZ=ON by clang 14:
#
#   cmake -S . -B build-fuzz -DLICSAT_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14
#   cmake --build build-fuzz --target fuzz_all -j2
#
# Included from the top-level CMakeLists.txt (not add_subdirectory), so that the generated
# migrations and web sources of that directory can be compiled here as well.
#
# The library sources are compiled once more into licsat_fuzz_lib, instrumented for coverage
# (-fsanitize=fuzzer-no-link) and checked by ASan and UBSan; each fuzz target links it with
# -fsanitize=fuzzer. Every UBSan report aborts (-fno-sanitize-recover), so libFuzzer sees it as
# a crash. The command-line layer (src/cli) parses no outside bytes and is left out.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "LICSAT_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++-14")
endif()

set(LICSAT_FUZZ_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
                      -gline-tables-only -O1 -UNDEBUG)

set(LICSAT_FUZZ_SOURCES ${LICSAT_SOURCES})
list(FILTER LICSAT_FUZZ_SOURCES EXCLUDE REGEX "/src/cli/")
# The parsers first, so that a parallel build reaches the small targets early.
set(LICSAT_FUZZ_FIRST core/result core/crypto core/clock core/config core/log http/message api/usage_report_parser
    protocol/wire_types manager/device_inventory protocol/bundle protocol/offline_messages)
list(TRANSFORM LICSAT_FUZZ_FIRST REPLACE "(.+)" "${CMAKE_SOURCE_DIR}/src/\\1.cpp")
list(REMOVE_ITEM LICSAT_FUZZ_SOURCES ${LICSAT_FUZZ_FIRST})
list(PREPEND LICSAT_FUZZ_SOURCES ${LICSAT_FUZZ_FIRST})

add_library(licsat_fuzz_lib STATIC EXCLUDE_FROM_ALL ${LICSAT_FUZZ_SOURCES} ${LICSAT_MIGRATIONS_CPP} ${LICSAT_WEB_CPP})
# clang 14's concepts level hides libstdc++ 12's std::expected; compat/expected supplies it.
target_include_directories(licsat_fuzz_lib BEFORE PUBLIC ${CMAKE_SOURCE_DIR}/tests/fuzz/compat)
target_include_directories(licsat_fuzz_lib PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_compile_definitions(licsat_fuzz_lib PUBLIC
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW
  LICSAT_VERSION="${PROJECT_VERSION}")
target_compile_options(licsat_fuzz_lib PUBLIC ${LICSAT_FUZZ_FLAGS} PRIVATE -fsanitize=fuzzer-no-link)
target_link_options(licsat_fuzz_lib PUBLIC -fsanitize=address,undefined)
target_link_libraries(licsat_fuzz_lib
  PUBLIC Boost::system OpenSSL::SSL OpenSSL::Crypto CURL::libcurl SQLite::SQLite3
         PostgreSQL::PostgreSQL tomlplusplus::tomlplusplus PkgConfig::LDAP
         nlohmann_json::nlohmann_json spdlog::spdlog fmt::fmt PkgConfig::SODIUM Threads::Threads)

file(GLOB LICSAT_FUZZ_TARGETS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/*_fuzz.cpp)
add_custom_target(fuzz_all)
foreach(src ${LICSAT_FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} EXCLUDE_FROM_ALL ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${name} PRIVATE licsat_fuzz_lib)
  add_dependencies(fuzz_all ${name})
endforeach()
