# installer/windows/CPackWindows.cmake: NSIS installer (+ a ZIP) for Windows. Included from
# installer/CPackConfig.cmake under if(WIN32). NOT verified: written for MSVC 2022 + Qt 6.4+ (the
# official online installer or vcpkg) + PostgreSQL's libpq + OpenSSL 3 + libpg_query; see the README.
#
# Build and package (Developer PowerShell, Qt's bin directory and NSIS 3 on PATH):
#   cmake -S . -B build\win -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="C:/Qt/6.4.2/msvc2019_64;C:/Program Files/PostgreSQL/15"
#   cmake --build build\win --target hubsync githubsim
#   cd build\win && cpack -G NSIS        -> hubsync-<version>-win64.exe
#
# Layout: %ProgramFiles%\HubSync\bin\{hubsync.exe, githubsim.exe, Qt and third-party DLLs, plugins}.
# githubsim.exe sits next to hubsync.exe, where `hubsync --sandbox` looks for it first.
#
# Deployment happens at install time (so for CPack, inside its staging directory):
#   1. windeployqt copies the Qt DLLs, the platform/style/TLS/network-information plugins and the
#      MSVC runtime (vc_redist) next to the executables. The equivalent manual command is
#        windeployqt --release --compiler-runtime --no-translations --dir <prefix>\bin <prefix>\bin\hubsync.exe
#   2. file(GET_RUNTIME_DEPENDENCIES) copies the non-Qt DLLs the executables import (libpq.dll and its
#      libssl/libcrypto/libintl/libiconv/zlib, pg_query.dll when built shared, qt6keychain.dll),
#      searched in the bin directories next to the import libraries CMake found.
#
# Limitation: the embedded default database looks for Unix-style initdb/pg_ctl paths and a Unix
# socket (engine/localpg); on Windows run HubSync with --database pointing at a PostgreSQL server.

set(CPACK_GENERATOR NSIS ZIP)
set(CPACK_PACKAGE_FILE_NAME "hubsync-${PROJECT_VERSION}-win64")
set(CPACK_NSIS_PACKAGE_NAME "HubSync")
set(CPACK_NSIS_DISPLAY_NAME "HubSync ${PROJECT_VERSION}")
set(CPACK_NSIS_MUI_ICON "${PROJECT_SOURCE_DIR}/resources/windows/hubsync.ico")
set(CPACK_NSIS_MUI_UNIICON "${PROJECT_SOURCE_DIR}/resources/windows/hubsync.ico")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\hubsync.exe")
set(CPACK_NSIS_URL_INFO_ABOUT "${HUBSYNC_HOMEPAGE}")
set(CPACK_NSIS_HELP_LINK "${HUBSYNC_HOMEPAGE}")
set(CPACK_NSIS_CONTACT "${HUBSYNC_MAINTAINER}")
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON) # upgrades replace the previous version in place
set(CPACK_NSIS_MODIFY_PATH OFF)
set(CPACK_NSIS_EXECUTABLES_DIRECTORY bin)
# Start-menu entry "HubSync" -> bin\hubsync.exe, and a desktop shortcut.
set(CPACK_PACKAGE_EXECUTABLES hubsync "HubSync")
set(CPACK_CREATE_DESKTOP_LINKS hubsync)
set(CPACK_PACKAGE_INSTALL_REGISTRY_KEY "HubSync")
# The uninstaller removes the program directory only; the user's data (%LOCALAPPDATA%\HubSync) stays.

# --- Qt deployment -------------------------------------------------------------------------------
get_target_property(_hubsync_qmake Qt6::qmake IMPORTED_LOCATION)
get_filename_component(_hubsync_qt_bin "${_hubsync_qmake}" DIRECTORY)
find_program(HUBSYNC_WINDEPLOYQT windeployqt HINTS "${_hubsync_qt_bin}" REQUIRED)

install(CODE "
    set(_bin \"\${CMAKE_INSTALL_PREFIX}/bin\")
    set(_exes \"\${_bin}/hubsync.exe\")
    if(EXISTS \"\${_bin}/githubsim.exe\")
        list(APPEND _exes \"\${_bin}/githubsim.exe\")
    endif()
    message(STATUS \"windeployqt: \${_exes}\")
    execute_process(COMMAND \"${HUBSYNC_WINDEPLOYQT}\" $<IF:$<CONFIG:Debug>,--debug,--release>
                            --compiler-runtime --no-translations --no-system-d3d-compiler --no-opengl-sw
                            --dir \"\${_bin}\" \${_exes}
                    COMMAND_ERROR_IS_FATAL ANY)
")

# --- Other DLLs (libpq, OpenSSL, libpg_query, qtkeychain) ------------------------------------------
set(_hubsync_dll_dirs "${_hubsync_qt_bin}")
foreach(_lib IN ITEMS "${PostgreSQL_LIBRARY}" "${OPENSSL_CRYPTO_LIBRARY}" "${OPENSSL_SSL_LIBRARY}" "${PG_QUERY_LIBRARY}")
    if(_lib)
        get_filename_component(_dir "${_lib}" DIRECTORY)
        list(APPEND _hubsync_dll_dirs "${_dir}" "${_dir}/../bin")
    endif()
endforeach()
# Quoted one by one for the generated script: these paths usually contain spaces (C:/Program Files/...).
set(_hubsync_dll_dirs_quoted "")
foreach(_dir IN LISTS _hubsync_dll_dirs)
    string(APPEND _hubsync_dll_dirs_quoted " \"${_dir}\"")
endforeach()
install(CODE "
    set(_bin \"\${CMAKE_INSTALL_PREFIX}/bin\")
    file(GLOB _exes \"\${_bin}/hubsync.exe\" \"\${_bin}/githubsim.exe\")
    file(GET_RUNTIME_DEPENDENCIES
         EXECUTABLES \${_exes}
         RESOLVED_DEPENDENCIES_VAR _resolved
         UNRESOLVED_DEPENDENCIES_VAR _unresolved
         DIRECTORIES ${_hubsync_dll_dirs_quoted}
         PRE_EXCLUDE_REGEXES \"^api-ms-\" \"^ext-ms-\" \"^[Qq]t6\"
         POST_EXCLUDE_REGEXES \".*[Ss]ystem32/.*\\\\.dll\" \".*[Ww]in[Ss]x[Ss]/.*\")
    foreach(_dll IN LISTS _resolved)
        file(INSTALL \"\${_dll}\" DESTINATION \"\${_bin}\")
    endforeach()
    if(_unresolved)
        message(WARNING \"not bundled (not found): \${_unresolved}\")
    endif()
    # Qt's OpenSSL TLS backend loads libssl at run time (not an import); ship it when present.
    foreach(_dir ${_hubsync_dll_dirs_quoted})
        file(GLOB _ssl \"\${_dir}/libssl-3*.dll\" \"\${_dir}/libcrypto-3*.dll\")
        foreach(_dll IN LISTS _ssl)
            file(INSTALL \"\${_dll}\" DESTINATION \"\${_bin}\")
        endforeach()
    endforeach()
")
