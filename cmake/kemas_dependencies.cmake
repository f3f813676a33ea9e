# Every third-party library kemas uses, as Debian 12 ships it (see shared/FACTS.md).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)

# Boost 1.81 (not the 1.74 default). Asio and Beast are header-only; JSON and URL are compiled.
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS json url)
add_library(kemas_boost INTERFACE)
target_link_libraries(kemas_boost INTERFACE Boost::headers Boost::json Boost::url Threads::Threads)
target_compile_definitions(kemas_boost INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

find_package(rabbitmq-c CONFIG REQUIRED)            # rabbitmq::rabbitmq
find_package(CURL REQUIRED)                          # CURL::libcurl
find_package(OpenSSL REQUIRED)                       # OpenSSL::Crypto
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)                 # spdlog::spdlog
find_package(prometheus-cpp CONFIG REQUIRED)         # prometheus-cpp::core
find_package(CLI11 CONFIG REQUIRED)                  # CLI11::CLI11
find_package(tomlplusplus CONFIG REQUIRED)           # tomlplusplus::tomlplusplus
find_package(doctest CONFIG REQUIRED)                # doctest::doctest
find_package(PostgreSQL REQUIRED)                    # PostgreSQL::PostgreSQL

pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(LIBJWT REQUIRED IMPORTED_TARGET libjwt)
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(UUID REQUIRED IMPORTED_TARGET uuid)

# SOCI 4.0.3 ships neither a CMake config nor a .pc file.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql REQUIRED)
add_library(kemas_soci INTERFACE)
target_include_directories(kemas_soci SYSTEM INTERFACE ${SOCI_INCLUDE_DIR})
target_link_libraries(kemas_soci INTERFACE ${SOCI_POSTGRESQL_LIBRARY} ${SOCI_CORE_LIBRARY}
  PostgreSQL::PostgreSQL ${CMAKE_DL_LIBS})
