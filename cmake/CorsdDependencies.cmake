# Finds every third-party dependency corsd uses. All of them come from Debian
# packages (scripts/install-deps installs them); nothing is downloaded.

find_package(absl CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBPSL REQUIRED IMPORTED_TARGET libpsl)

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)

# The fuzz preset builds only the parsers' libraries (see the top-level
# CMakeLists.txt); the rest is not needed there.
if(CORSD_FUZZ)
  return()
endif()

find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(LIBPQXX REQUIRED IMPORTED_TARGET libpqxx)
