# installer/CPackConfig.cmake: packaging (issue 8). Included at the end of the top-level CMakeLists.txt,
# after every target exists, so it can inspect what hubsync links.
#
#   Linux:   cpack -G DEB   -> hubsync_<version>_<arch>.deb   (Debian 12; installs under /usr)
#            cpack -G TGZ   -> hubsync-<version>-linux-<arch>.tar.gz (same tree under a versioned top
#                              directory, relative RPATH; needs the same runtime packages as the .deb)
#   Windows: cpack -G NSIS  (installer/windows/CPackWindows.cmake)
#   macOS:   cpack -G DragNDrop (installer/macos/CPackMacOS.cmake)
#
# `cmake --build <dir> --target package` builds every generator of the platform. The install tree itself
# is described next to the targets (app/CMakeLists.txt: binary, desktop entry, icons, metainfo;
# tests/githubsim: the simulator) and here (systemd unit, config examples).
include_guard(GLOBAL)

set(HUBSYNC_INSTALLER_DIR ${CMAKE_CURRENT_LIST_DIR})
set(HUBSYNC_HOMEPAGE "https://github.com/hubsync/hubsync" CACHE STRING "Homepage recorded in packages")
set(HUBSYNC_MAINTAINER "HubSync maintainers <hubsync@users.noreply.github.com>"
    CACHE STRING "Maintainer recorded in packages")

if(NOT TARGET githubsim)
    # Without the simulator `hubsync --sandbox` cannot work; it is built with the tests.
    message(STATUS "Packaging: githubsim is not built (HUBSYNC_BUILD_TESTS=OFF); packages will lack --sandbox")
endif()

# ---------------------------------------------------------------------------------------------------
# Metadata shared by every generator
set(CPACK_PACKAGE_NAME hubsync)
set(CPACK_PACKAGE_VENDOR "HubSync")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Keeps GitHub data in PostgreSQL")
set(CPACK_PACKAGE_DESCRIPTION
    "HubSync backfills everything a GitHub App installation or token can see
(repositories, pull requests, commits, issues, releases, comments,
discussions, labels, reactions, refs and users) into PostgreSQL tables and
keeps them current from webhooks, backstopped by polling. Edits to the issue
table made through its PostgreSQL proxy are applied to GitHub first.
It runs as a Qt desktop application or headless as a systemd service, with
an embedded PostgreSQL cluster or an existing server.")
set(CPACK_PACKAGE_HOMEPAGE_URL ${HUBSYNC_HOMEPAGE})
set(CPACK_PACKAGE_CONTACT ${HUBSYNC_MAINTAINER})
set(CPACK_PACKAGE_INSTALL_DIRECTORY HubSync)
set(CPACK_PACKAGE_ICON ${PROJECT_SOURCE_DIR}/resources/icons/hubsync-256.png)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build/" "/\\\\.cache/")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(_hubsync_arch x86_64)
else()
    string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _hubsync_arch)
endif()

# ---------------------------------------------------------------------------------------------------
# Linux: DEB + TGZ
if(UNIX AND NOT APPLE)
    set(CPACK_GENERATOR DEB TGZ)

    # Service integration. Relative destinations keep the tarball relocatable; in the .deb they land
    # under /usr (the unit in /usr/lib/systemd/system, which systemd reads on Debian 12).
    install(FILES ${HUBSYNC_INSTALLER_DIR}/systemd/hubsync@.service DESTINATION lib/systemd/system)
    install(FILES ${HUBSYNC_INSTALLER_DIR}/systemd/hubsync.conf.example
                  ${HUBSYNC_INSTALLER_DIR}/systemd/hubsync.env.example
            DESTINATION share/hubsync)

    # Relative RPATH: the binaries find libraries dropped into <prefix>/lib of an unpacked tarball
    # first; the Debian system libraries otherwise (in the .deb the path is /usr/lib, a no-op).
    foreach(_t hubsync githubsim)
        if(TARGET ${_t})
            set_target_properties(${_t} PROPERTIES INSTALL_RPATH "$ORIGIN/../lib")
        endif()
    endforeach()

    # The archive: <name>-<version>-linux-<arch>/{bin,lib,share}
    set(CPACK_PACKAGE_FILE_NAME "hubsync-${PROJECT_VERSION}-linux-${_hubsync_arch}")
    set(CPACK_ARCHIVE_COMPONENT_INSTALL OFF)

    # --- Debian package --------------------------------------------------------------------------
    set(CPACK_DEBIAN_PACKAGE_NAME hubsync)
    set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # hubsync_<version>_<arch>.deb
    set(CPACK_DEBIAN_PACKAGE_SECTION database)
    set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
    set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${HUBSYNC_MAINTAINER})
    set(CPACK_DEBIAN_PACKAGE_HOMEPAGE ${HUBSYNC_HOMEPAGE})
    # Synopsis: CPACK_PACKAGE_DESCRIPTION_SUMMARY; extended description: CPACK_PACKAGE_DESCRIPTION.
    set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
        ${HUBSYNC_INSTALLER_DIR}/debian/postinst ${HUBSYNC_INSTALLER_DIR}/debian/prerm
        ${HUBSYNC_INSTALLER_DIR}/debian/postrm)
    set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

    # Runtime dependencies, declared explicitly (no dpkg-shlibdeps at package time) for Debian 12.
    # Each library the executables can link maps to its Debian runtime package; only those actually
    # in the link closure of hubsync/githubsim are declared, so the list follows the code.
    # tests/packaging/package_test.sh cross-checks the result against dpkg-shlibdeps and installs it
    # into a clean Debian 12 root.
    set(_qtv "${Qt6_VERSION_MAJOR}.${Qt6_VERSION_MINOR}.${Qt6_VERSION_PATCH}")
    set(_hubsync_deb_map
        "Qt6::Core=libqt6core6 (>= ${_qtv})"
        "Qt6::Gui=libqt6gui6 (>= ${_qtv})"
        "Qt6::Widgets=libqt6widgets6 (>= ${_qtv})"
        "Qt6::Network=libqt6network6 (>= ${_qtv})"
        "Qt6::Sql=libqt6sql6 (>= ${_qtv}), libqt6sql6-psql (>= ${_qtv})"
        "Qt6::HttpServer=libqt6httpserver6 (>= ${_qtv})"
        "Qt6::WebSockets=libqt6websockets6 (>= ${_qtv})"
        "Qt6Keychain::Qt6Keychain=libqt6keychain1"
        "PostgreSQL::PostgreSQL=libpq5"
        "pg_query::pg_query=libpg-query1504.0"
        "OpenSSL::Crypto=libssl3 (>= 3.0.0)"
        "OpenSSL::SSL=libssl3 (>= 3.0.0)")

    # Every target reachable through LINK_LIBRARIES / INTERFACE_LINK_LIBRARIES ($<LINK_ONLY:...> of
    # static libraries included).
    function(_hubsync_link_closure out)
        set(seen "")
        set(queue ${ARGN})
        while(queue)
            list(POP_FRONT queue item)
            string(REGEX REPLACE "^\\$<LINK_ONLY:(.+)>$" "\\1" item "${item}")
            if(item MATCHES "^\\$<" OR NOT TARGET "${item}" OR item IN_LIST seen)
                continue()
            endif()
            list(APPEND seen "${item}")
            get_target_property(aliased "${item}" ALIASED_TARGET)
            if(aliased)
                list(APPEND queue "${aliased}")
            endif()
            get_target_property(imported "${item}" IMPORTED)
            set(props INTERFACE_LINK_LIBRARIES)
            if(NOT imported)
                list(APPEND props LINK_LIBRARIES)
            endif()
            foreach(prop IN LISTS props)
                get_target_property(deps "${item}" ${prop})
                if(deps)
                    list(APPEND queue ${deps})
                endif()
            endforeach()
        endwhile()
        set(${out} "${seen}" PARENT_SCOPE)
    endfunction()

    set(_hubsync_packaged_targets "")
    foreach(_t hubsync githubsim)
        if(TARGET ${_t})
            list(APPEND _hubsync_packaged_targets ${_t})
        endif()
    endforeach()
    _hubsync_link_closure(_hubsync_closure ${_hubsync_packaged_targets})

    # The toolchain's runtime on Debian 12 (what dpkg-shlibdeps reports for these binaries).
    set(_hubsync_depends "libc6 (>= 2.34)" "libstdc++6 (>= 11)" "libgcc-s1 (>= 3.0)")
    foreach(_entry IN LISTS _hubsync_deb_map)
        string(REGEX MATCH "^([^=]+)=(.+)$" _m "${_entry}")
        if(CMAKE_MATCH_1 IN_LIST _hubsync_closure AND NOT CMAKE_MATCH_2 IN_LIST _hubsync_depends)
            list(APPEND _hubsync_depends "${CMAKE_MATCH_2}")
        endif()
    endforeach()
    # Not linked but needed: the embedded default database runs initdb/pg_ctl of the server package
    # (engine/localpg), and postinst creates the service account with adduser.
    list(APPEND _hubsync_depends "postgresql-15" "adduser")
    list(JOIN _hubsync_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
    # The desktop UI needs a Qt platform plugin (xcb/wayland); a headless service host can skip it
    # with --no-install-recommends.
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-qpa-plugins")
    set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client-15")
    message(STATUS "Packaging: .deb Depends: ${CPACK_DEBIAN_PACKAGE_DEPENDS}")
endif()

# ---------------------------------------------------------------------------------------------------
# Windows and macOS recipes (not exercised on the Linux build machine; see README "Install from a package")
if(WIN32)
    include(${HUBSYNC_INSTALLER_DIR}/windows/CPackWindows.cmake)
elseif(APPLE)
    include(${HUBSYNC_INSTALLER_DIR}/macos/CPackMacOS.cmake)
endif()

include(CPack)
