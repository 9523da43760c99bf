# Installing handinger-cpp (included by the top CMakeLists.txt):
#   cmake --install BUILD [--prefix DIR]
# puts the static library, the headers (the generated <handinger/version.hpp>
# included), a CMake package (find_package(handinger CONFIG), target
# handinger::handinger) and handinger.pc (pkg-config) under the prefix; the
# handinger CLI and handinger-sim install themselves from cli/ and sim/.
#   cpack -G DEB --config BUILD/CPackConfig.cmake
# makes one Debian package of all of it (see "Debian package" below).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS handinger EXPORT handingerTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# A stripped install (cmake --install --strip, and the .deb) keeps the static
# library's symbols and drops its debug information, as Debian's own -dev
# packages do (the programs are stripped by install(TARGETS) itself).
if(CMAKE_STRIP)
  install(CODE "
    if(CMAKE_INSTALL_DO_STRIP)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
        \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:handinger>\")
    endif()
  ")
endif()
install(DIRECTORY include/handinger DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/handinger/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/handinger)
set(HANDINGER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/handinger)
install(EXPORT handingerTargets NAMESPACE handinger:: DESTINATION ${HANDINGER_CMAKE_DIR})
configure_package_config_file(cmake/handingerConfig.cmake.in
  ${PROJECT_BINARY_DIR}/handingerConfig.cmake INSTALL_DESTINATION ${HANDINGER_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/handingerConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/handingerConfig.cmake ${PROJECT_BINARY_DIR}/handingerConfigVersion.cmake
        DESTINATION ${HANDINGER_CMAKE_DIR})

# handinger.pc. Its prefix is the one installed into (cmake --install
# --prefix, cpack's /usr), so the file is written at install time from a
# template made here; everything else is known now. Boost 1.81 has no .pc
# files: its libraries go in Libs (with -L/-I only when they are not in the
# compiler's own directories); OpenSSL's do exist: Requires.
set(HANDINGER_PC_PREFIX "@HANDINGER_INSTALL_PREFIX@") # filled at install time
set(HANDINGER_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(HANDINGER_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
set(HANDINGER_PC_DEFINES "")
foreach(_def ${HANDINGER_PUBLIC_DEFINITIONS})
  string(APPEND HANDINGER_PC_DEFINES " -D${_def}")
endforeach()
string(STRIP "${HANDINGER_PC_DEFINES}" HANDINGER_PC_DEFINES)
set(HANDINGER_PC_BOOST_CFLAGS "")
foreach(_dir ${Boost_INCLUDE_DIRS})
  # (Debian's Boost config names /usr/lib/include, which does not exist.)
  if(EXISTS ${_dir} AND NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES AND NOT _dir STREQUAL "/usr/include")
    string(APPEND HANDINGER_PC_BOOST_CFLAGS " -I${_dir}")
  endif()
endforeach()
set(HANDINGER_PC_BOOST_LIBS "")
foreach(_lib json url)
  get_target_property(_loc Boost::${_lib} LOCATION)
  if(_loc)
    get_filename_component(_dir ${_loc} DIRECTORY)
    if(NOT _dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES AND NOT "-L${_dir}" IN_LIST _boost_dirs)
      list(APPEND _boost_dirs "-L${_dir}")
      string(APPEND HANDINGER_PC_BOOST_LIBS " -L${_dir}")
    endif()
  endif()
  string(APPEND HANDINGER_PC_BOOST_LIBS " -lboost_${_lib}")
endforeach()
configure_file(cmake/handinger.pc.in ${PROJECT_BINARY_DIR}/handinger.pc.in @ONLY)
install(CODE "
  set(HANDINGER_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/handinger.pc.in\"
                 \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/handinger.pc\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/handinger.pc\")
")

# Debian package: one package, handinger-cpp, with the static library, the
# headers, the CMake package, handinger.pc and the programs (handinger,
# handinger-sim). One and not a runtime + -dev split: the library is static,
# so nothing but the programs runs from it, and they are small. It is a
# development package, so it depends on the -dev packages its headers and its
# CMake package need (Boost's headers, Boost.JSON and Boost.URL with their
# CMake configs, OpenSSL's headers and .pc); those bring the runtime
# libraries the programs link (libboost-json1.81.0, libboost-url1.81.0,
# libssl3), which are named too. Names from `dpkg -S` on Debian 12.
if(PROJECT_IS_TOP_LEVEL)
  set(CPACK_PACKAGE_NAME handinger-cpp)
  set(CPACK_PACKAGE_VENDOR "handinger-cpp developers")
  set(CPACK_PACKAGE_CONTACT "handinger-cpp developers")
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 client library and CLI for the Handinger Tasks API")
  set(CPACK_PACKAGE_DESCRIPTION
      "handinger-cpp: a Boost.Asio client of the Handinger Tasks API (static library, headers, CMake "
      "package, pkg-config file) and the handinger command-line tool with its bundled simulator.")
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  # Staged through DESTDIR, so that the install sees its real prefix (/usr),
  # which handinger.pc records.
  set(CPACK_SET_DESTDIR ON)
  set(CPACK_INSTALL_PREFIX /usr)
  set(CPACK_STRIP_FILES ON)
  set(CPACK_GENERATOR DEB)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "handinger-cpp developers")
  set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libboost1.81-dev, libboost-json1.81-dev, libboost-url1.81-dev, libssl-dev (>= 3), "
      "libboost-json1.81.0, libboost-url1.81.0, libssl3, libstdc++6 (>= 12), libc6, libgcc-s1")
  string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DEPENDS "${CPACK_DEBIAN_PACKAGE_DEPENDS}")
  set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
  include(CPack)
endif()
