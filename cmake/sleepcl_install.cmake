# sleepcl as an installed C library (included by the top CMakeLists.txt): the shared libraries
# beside the static ones, `cmake --install` (libraries, headers, CMake package, pkg-config file,
# the program and its share/sleepcl files) and the .deb built by CPack (tools/package.sh).
#
# Installed layout under PREFIX:
#   lib*/libsleepcl.so.X (soname, version script: only what sleepcl.h declares), libsleepcl.a,
#   lib*/libsleepcl-app.so.X (the application layer's entry points for bindings: sleepcl_app.h),
#   include/sleepcl/{sleepcl.h,sleepcl_app.h}, lib*/pkgconfig/sleepcl.pc,
#   lib*/cmake/sleepcl/ (find_package(sleepcl): sleepcl::sleepcl, sleepcl::app,
#   sleepcl::sleepcl_static), bin/sleepcl, share/sleepcl/{configs,tools} (found beside the
#   program by scl_app_share_path, and by the Python package beside the library).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# One version, project(VERSION): the header's SCL_VERSION_STRING (what scl_version returns and
# `sleepcl --version` prints) must say the same, or the soname would lie about the code.
file(STRINGS ${CMAKE_SOURCE_DIR}/include/sleepcl/sleepcl.h scl_version_line
  REGEX "^#define SCL_VERSION_STRING ")
if(NOT scl_version_line MATCHES "\"([0-9.]+)\"" OR NOT CMAKE_MATCH_1 STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "include/sleepcl/sleepcl.h: SCL_VERSION_STRING (${scl_version_line}) "
                      "differs from project(VERSION ${PROJECT_VERSION}) in CMakeLists.txt")
endif()
set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/include/sleepcl/sleepcl.h)

# Before 1.0 a minor release may change the ABI, so the soname carries major.minor
# (libsleepcl.so.0.1); from 1.0 on, the major alone.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(SCL_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  set(SCL_COMPATIBILITY SameMinorVersion)
else()
  set(SCL_SOVERSION ${PROJECT_VERSION_MAJOR})
  set(SCL_COMPATIBILITY SameMajorVersion)
endif()
set(SCL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sleepcl)

# scl_shared_library(target OUTPUT name OBJECTS objlib HEADERS h...): a shared library of the
# objects that exports exactly the functions the headers declare (tools/gen_exports.cmake
# writes the version script at build time, so a new public function is exported with no edit
# here), with soname and version. --no-undefined makes the layering a link error: the
# application layer links against libsleepcl's public functions only.
function(scl_shared_library target)
  cmake_parse_arguments(S "" "OUTPUT;OBJECTS" "HEADERS" ${ARGN})
  set(map ${GEN}/${S_OUTPUT}.map)
  string(REPLACE ";" "," headers_arg "${S_HEADERS}")
  string(TOUPPER "${S_OUTPUT}" node)
  string(REPLACE "-" "_" node "${node}_${SCL_SOVERSION}")
  add_custom_command(OUTPUT ${map}
    COMMAND ${CMAKE_COMMAND} "-DHEADERS=${headers_arg}" -DNODE=${node} -DOUT=${map}
            -P ${CMAKE_SOURCE_DIR}/tools/gen_exports.cmake
    DEPENDS ${S_HEADERS} ${CMAKE_SOURCE_DIR}/tools/gen_exports.cmake
    COMMENT "Export list of lib${S_OUTPUT}.so from its public headers" VERBATIM)
  add_library(${target} SHARED $<TARGET_OBJECTS:${S_OBJECTS}> ${map})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${S_OUTPUT}
    VERSION ${PROJECT_VERSION} SOVERSION ${SCL_SOVERSION} LINK_DEPENDS ${map})
  target_link_options(${target} PRIVATE LINKER:--version-script=${map})
  # The sanitizers' runtime is the program's to load (clang leaves it undefined in libraries).
  if(NOT SCL_SANITIZE)
    target_link_options(${target} PRIVATE LINKER:--no-undefined)
  endif()
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endfunction()

set(SCL_PUBLIC_HEADER ${CMAKE_SOURCE_DIR}/include/sleepcl/sleepcl.h)
set(SCL_APP_HEADER ${CMAKE_SOURCE_DIR}/include/sleepcl/sleepcl_app.h)
if(SCL_SHARED)
  scl_shared_library(sleepcl_shared OUTPUT sleepcl OBJECTS sleepcl_objects
    HEADERS ${SCL_PUBLIC_HEADER})
  set_target_properties(sleepcl_shared PROPERTIES EXPORT_NAME sleepcl)
  target_link_libraries(sleepcl_shared PRIVATE ${SCL_LIB_DEPS})
  scl_shared_library(sleepcl_app_shared OUTPUT sleepcl-app OBJECTS scl_app_objects
    HEADERS ${SCL_APP_HEADER})
  # It finds libsleepcl beside itself wherever the tree is installed or moved: a program that
  # calls only the app layer has no direct need of libsleepcl to carry its directory.
  set_target_properties(sleepcl_app_shared PROPERTIES EXPORT_NAME app INSTALL_RPATH "$ORIGIN")
  target_link_libraries(sleepcl_app_shared PUBLIC sleepcl_shared
    PRIVATE ZLIB::ZLIB cjson PkgConfig::INIH m)
  # The Python package finds both in the build tree through SCL_LIBRARY_PATH (tests/CMakeLists.txt).
  add_custom_target(scl_shared_libs ALL DEPENDS sleepcl_shared sleepcl_app_shared)
endif()

# ---- install: libraries, headers, the CMake package and the pkg-config file
if(SCL_SHARED)
  install(TARGETS sleepcl_shared sleepcl_app_shared EXPORT sleepclTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT sleepclTargets NAMESPACE sleepcl:: DESTINATION ${SCL_CMAKE_DIR})
endif()
install(TARGETS sleepcl EXPORT sleepclStaticTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT sleepclStaticTargets NAMESPACE sleepcl:: DESTINATION ${SCL_CMAKE_DIR})
install(FILES ${SCL_PUBLIC_HEADER} ${SCL_APP_HEADER}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sleepcl)
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/sleepclConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/sleepclConfig.cmake INSTALL_DESTINATION ${SCL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/sleepclConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${SCL_COMPATIBILITY})
install(FILES ${CMAKE_BINARY_DIR}/cmake/sleepclConfig.cmake
  ${CMAKE_BINARY_DIR}/cmake/sleepclConfigVersion.cmake DESTINATION ${SCL_CMAKE_DIR})
# pkg-config: the prefix is found from the file's own place (${pcfiledir}), so the tree stays
# right under `cmake --install --prefix ANY` and inside the .deb.
file(RELATIVE_PATH SCL_PC_TO_PREFIX
  /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" SCL_PC_TO_PREFIX "${SCL_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/sleepcl.pc.in ${CMAKE_BINARY_DIR}/cmake/sleepcl.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/cmake/sleepcl.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- the program and the files it finds beside itself (scl_app_share_path)
install(TARGETS sleepcl_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/configs DESTINATION ${CMAKE_INSTALL_DATADIR}/sleepcl)
install(FILES ${CMAKE_SOURCE_DIR}/tools/bench_torch.py ${CMAKE_SOURCE_DIR}/tools/bench_tri_torch.py
  DESTINATION ${CMAKE_INSTALL_DATADIR}/sleepcl/tools)

# ---- the Python package (python/sleepcl), when a directory is given: tools/package.sh puts
# it where Debian's python3 looks (lib/python3/dist-packages), so that `import sleepcl` works
# anywhere once the .deb is installed. Off by default: a prefix's Python path varies.
set(SCL_PYTHON_INSTALL_DIR "" CACHE STRING
  "Install the Python package here (relative to the prefix); empty: not installed")
if(SCL_PYTHON_INSTALL_DIR)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/python/sleepcl DESTINATION ${SCL_PYTHON_INSTALL_DIR}
    PATTERN __pycache__ EXCLUDE)
endif()

# ---- the .deb (tools/package.sh: configured with prefix /usr, so that libraries go to the
# multiarch directory). The runtime dependencies are what the binaries load: libsleepcl
# ocl-icd-libopencl1, libclblast1, zlib1g, libcjson1; libsleepcl-app also libinih1; the program
# also libopenblas0 (`sleepcl bench`). dpkg-shlibdeps derives them, with minimum versions, from
# the binaries themselves; without it (not a Debian build host) they are declared by name.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sleepcl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "sleepcl")
set(CPACK_PACKAGE_CONTACT "sleepcl maintainers <sleepcl@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Sleep Replay Consolidation for ReLU networks on OpenCL: library, headers and program")
set(CPACK_PACKAGE_DESCRIPTION "libsleepcl (shared and static), libsleepcl-app (config reading \
for bindings), the C headers, CMake package and pkg-config file, the sleepcl program and its \
configs.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
find_program(SCL_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SCL_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # libsleepcl-app needs libsleepcl, which the package itself holds.
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR})
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "ocl-icd-libopencl1 | libopencl1, libclblast1, zlib1g, \
libcjson1, libinih1, libopenblas0")
endif()
# A CPU driver, so that the package runs on a machine without a GPU driver (any ICD will do),
# and NumPy for the Python package.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pocl-opencl-icd | opencl-icd, python3-numpy")
# shlibs for packages built against libsleepcl; ldconfig runs on install and removal.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
