# Installation and Debian packages (`make package`, i.e. cpack in build/):
#
#   corsd                 corsd, corsctl, the systemd unit, /etc/default/corsd,
#                         --help texts and the README under /usr/share/doc/corsd
#   libcorsd-client0.1    libcorsd-client.so.0.1 (the client library, C++ and C)
#   libcorsd-client-dev   the libcorsd-client.so link, the public headers, a
#                         CMake package (find_package(corsd CONFIG) ->
#                         corsd::client) and a pkg-config file (corsd-client)
#   libnginx-mod-http-corsd  ngx_http_corsd_module for Debian's nginx, enabled
#                         through /etc/nginx/modules-enabled (built only when
#                         nginx-dev is installed)
#
# Runtime dependencies are computed by dpkg-shlibdeps from the Debian
# libraries the binaries link, so they always match the build machine.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# --- corsd (server component) ---------------------------------------------
install(TARGETS corsd corsctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/corsd.service
        DESTINATION lib/systemd/system COMPONENT server)
# 0640: the file may hold a database password (CORSD_STORE); postinst gives
# it to group corsd. systemd reads it as root before starting the service.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/corsd.default
        DESTINATION /etc/default RENAME corsd COMPONENT server
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
# The --help texts, generated from the binaries themselves so they never drift.
set(CORSD_HELP_DIR ${CMAKE_BINARY_DIR}/help)
add_custom_command(
  OUTPUT ${CORSD_HELP_DIR}/corsd.txt ${CORSD_HELP_DIR}/corsctl.txt
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CORSD_HELP_DIR}
  COMMAND ${CMAKE_COMMAND} -DOUT=${CORSD_HELP_DIR} -DCORSD=$<TARGET_FILE:corsd>
          -DCORSCTL=$<TARGET_FILE:corsctl> -P ${PROJECT_SOURCE_DIR}/cmake/WriteHelpTexts.cmake
  DEPENDS corsd corsctl ${PROJECT_SOURCE_DIR}/cmake/WriteHelpTexts.cmake
  COMMENT "Writing corsd and corsctl --help texts")
add_custom_target(corsd_help_texts ALL
                  DEPENDS ${CORSD_HELP_DIR}/corsd.txt ${CORSD_HELP_DIR}/corsctl.txt)
install(FILES ${CORSD_HELP_DIR}/corsd.txt ${CORSD_HELP_DIR}/corsctl.txt
              ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/ARCHITECTURE.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server)

# --- libcorsd-client-dev (client component) ---------------------------------
install(TARGETS corsd_client_shared EXPORT corsdTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT client
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/client/include/corsd
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT client)
set(CORSD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/corsd)
install(EXPORT corsdTargets NAMESPACE corsd:: DESTINATION ${CORSD_CMAKE_DIR} COMPONENT client)
configure_package_config_file(${PROJECT_SOURCE_DIR}/packaging/corsdConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/corsdConfig.cmake
                              INSTALL_DESTINATION ${CORSD_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/corsdConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/corsdConfig.cmake ${CMAKE_BINARY_DIR}/corsdConfigVersion.cmake
        DESTINATION ${CORSD_CMAKE_DIR} COMPONENT client)
file(RELATIVE_PATH CORSD_PC_TO_PREFIX /usr/${CMAKE_INSTALL_LIBDIR}/pkgconfig /usr)
string(REGEX REPLACE "/$" "" CORSD_PC_TO_PREFIX "${CORSD_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/packaging/corsd-client.pc.in
               ${CMAKE_BINARY_DIR}/corsd-client.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/corsd-client.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT client)

# --- libnginx-mod-http-corsd (nginx component) --------------------------------
set(CORSD_PACKAGE_COMPONENTS server runtime client)
if(TARGET nginx-module)
  list(APPEND CORSD_PACKAGE_COMPONENTS nginx)
  get_target_property(CORSD_NGINX_MODULE nginx-module CORSD_MODULE_FILE)
  install(FILES ${CORSD_NGINX_MODULE} DESTINATION lib/nginx/modules COMPONENT nginx)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/nginx/mod-http-corsd.conf
          DESTINATION share/nginx/modules-available COMPONENT nginx)
  install(FILES ${PROJECT_SOURCE_DIR}/examples/nginx/corsd-module.conf
          DESTINATION share/doc/libnginx-mod-http-corsd/examples COMPONENT nginx)
  # The nginx ABI the module was built for, as Debian's nginx-dev names it
  # (the installed nginx Provides it).
  file(STRINGS ${CORSD_NGINX_SRC}/debian/libnginx-mod.abisubstvars CORSD_NGINX_ABI
       REGEX "^nginx:abi=")
  string(REGEX REPLACE "^nginx:abi=" "" CORSD_NGINX_ABI "${CORSD_NGINX_ABI}")
endif()

# --- CPack ---------------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME corsd)
set(CPACK_PACKAGE_VENDOR "corsd")
set(CPACK_PACKAGE_CONTACT "corsd maintainers <corsd@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "centralized CORS policy decision service")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${CORSD_PACKAGE_COMPONENTS})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libcorsd-client.so.0.1 is this project's own: the module's dependency on
# it is declared below, not looked up.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/corsd/corsd")

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME corsd)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_SERVER_DESCRIPTION [=[corsd keeps one CORS policy per tenant, validated before it is stored and
decided exactly as the WHATWG Fetch standard says; gateways ask it over gRPC
(or decide locally from watched policies). This package has the corsd server,
its systemd unit and corsctl, the operator CLI.]=])
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CORSD_RUNTIME_PACKAGE
    libcorsd-client${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME ${CORSD_RUNTIME_PACKAGE})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION [=[The corsd client library for gateways: remote CORS checks against corsd and
local decisions from watched policies, with a C++ and a C API. This package
has the shared library; libcorsd-client-dev has what building against it
needs.]=])

set(CPACK_DEBIAN_CLIENT_PACKAGE_NAME libcorsd-client-dev)
set(CPACK_DEBIAN_CLIENT_PACKAGE_SECTION libdevel)
# The headers include Abseil's; the CMake package finds it.
set(CPACK_DEBIAN_CLIENT_PACKAGE_DEPENDS
    "libabsl-dev, ${CORSD_RUNTIME_PACKAGE} (= ${CPACK_PACKAGE_VERSION})")
set(CPACK_DEBIAN_CLIENT_DESCRIPTION [=[The corsd client library for C++ gateways (development files): remote CORS
checks against corsd and local decisions from watched policies. Headers, the
shared library, a CMake package (find_package(corsd) gives corsd::client) and
a pkg-config file (corsd-client).]=])
set(CPACK_DEBIAN_NGINX_PACKAGE_NAME libnginx-mod-http-corsd)
set(CPACK_DEBIAN_NGINX_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_NGINX_PACKAGE_DEPENDS
    "${CORSD_NGINX_ABI}, ${CORSD_RUNTIME_PACKAGE} (= ${CPACK_PACKAGE_VERSION})")
set(CPACK_DEBIAN_NGINX_DESCRIPTION [=[ngx_http_corsd_module: nginx decides CORS in-process from the policies
corsd serves, watched by each worker: preflights answered in the access
phase, corsd's headers on every response, decisions going on through corsd
outages (with a snapshot file across restarts).]=])
set(CPACK_DEBIAN_NGINX_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/nginx/postinst
                                             ${PROJECT_SOURCE_DIR}/packaging/nginx/postrm)
include(CPack)
