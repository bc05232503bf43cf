# installer/macos/CPackMacOS.cmake: drag-and-drop DMG for macOS. Included from
# installer/CPackConfig.cmake under if(APPLE). NOT verified: written for Xcode's clang + Homebrew
# (qt, libpq, openssl@3, libpg_query, postgresql@15); see the README.
#
# Build and package:
#   brew install cmake ninja qt libpq openssl@3 libpg_query postgresql@15
#   cmake -S . -B build/mac -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DCMAKE_PREFIX_PATH="$(brew --prefix qt);$(brew --prefix libpq);$(brew --prefix openssl@3)" \
#         [-DHUBSYNC_CODESIGN_IDENTITY="Developer ID Application: NAME (TEAMID)"]
#   cmake --build build/mac --target hubsync githubsim
#   (cd build/mac && cpack -G DragNDrop)        -> hubsync-<version>-macos.dmg
# Notarize a signed DMG (Apple ID app-specific password or an API key):
#   xcrun notarytool submit build/mac/hubsync-<version>-macos.dmg --keychain-profile PROFILE --wait
#   xcrun stapler staple build/mac/hubsync-<version>-macos.dmg
#
# The bundle: hubsync.app (Info.plist from resources/macos/Info.plist.in, configured by
# app/CMakeLists.txt; icon resources/macos/hubsync.icns). githubsim is moved into
# hubsync.app/Contents/MacOS, next to the executable, where `hubsync --sandbox` looks first.
# The DMG holds hubsync.app and the /Applications link CPack's DragNDrop generator adds.
#
# Deployment at install time (in CPack's staging directory):
#   1. macdeployqt copies the Qt frameworks and plugins into Contents/Frameworks and Contents/PlugIns
#      and rewrites the install names of hubsync and githubsim (and of Homebrew's libpq, libssl and
#      libpg_query, which it bundles too). The manual command is
#        macdeployqt hubsync.app -executable=hubsync.app/Contents/MacOS/githubsim -always-overwrite
#   2. With HUBSYNC_CODESIGN_IDENTITY set, every Mach-O file is signed with the hardened runtime and
#      installer/macos/hubsync.entitlements (inside out, as notarization requires).
#
# The embedded default database runs initdb/pg_ctl of an installed PostgreSQL (found through
# pg_config on PATH, e.g. Homebrew's postgresql@15 after `brew link postgresql@15`, or
# HUBSYNC_PG_BINDIR); it is not bundled.

set(CPACK_GENERATOR DragNDrop)
set(CPACK_PACKAGE_FILE_NAME "hubsync-${PROJECT_VERSION}-macos")
set(CPACK_DMG_VOLUME_NAME "HubSync ${PROJECT_VERSION}")
set(CPACK_DMG_FORMAT UDZO)
set(CPACK_PACKAGE_ICON "${PROJECT_SOURCE_DIR}/resources/macos/hubsync.icns")
set(CPACK_DMG_FILESYSTEM APFS)

set(HUBSYNC_CODESIGN_IDENTITY "" CACHE STRING "codesign identity for the macOS bundle (empty: ad-hoc signature)")
set(HUBSYNC_ENTITLEMENTS "${CMAKE_CURRENT_LIST_DIR}/hubsync.entitlements")

get_target_property(_hubsync_qmake Qt6::qmake IMPORTED_LOCATION)
get_filename_component(_hubsync_qt_bin "${_hubsync_qmake}" DIRECTORY)
find_program(HUBSYNC_MACDEPLOYQT macdeployqt HINTS "${_hubsync_qt_bin}" REQUIRED)

# Runs after every other install rule (this file is included last from the top-level CMakeLists.txt,
# and CMP0082 keeps install rules in declaration order), so hubsync.app and bin/githubsim exist.
install(CODE "
    set(_app \"\${CMAKE_INSTALL_PREFIX}/hubsync.app\")
    set(_deploy_args \"\${_app}\" -always-overwrite)
    if(EXISTS \"\${CMAKE_INSTALL_PREFIX}/bin/githubsim\")
        file(RENAME \"\${CMAKE_INSTALL_PREFIX}/bin/githubsim\" \"\${_app}/Contents/MacOS/githubsim\")
    endif()
    file(REMOVE_RECURSE \"\${CMAKE_INSTALL_PREFIX}/bin\")
    if(EXISTS \"\${_app}/Contents/MacOS/githubsim\")
        list(APPEND _deploy_args \"-executable=\${_app}/Contents/MacOS/githubsim\")
    endif()
    message(STATUS \"macdeployqt \${_deploy_args}\")
    execute_process(COMMAND \"${HUBSYNC_MACDEPLOYQT}\" \${_deploy_args} COMMAND_ERROR_IS_FATAL ANY)

    set(_identity \"${HUBSYNC_CODESIGN_IDENTITY}\")
    set(_ts --timestamp)
    if(_identity STREQUAL \"\")
        set(_identity -)   # ad-hoc: enough to run locally on Apple silicon, not to distribute
        set(_ts --timestamp=none)
    endif()
    # Inside out: libraries and plugins, frameworks, the helper executable, then the bundle.
    file(GLOB_RECURSE _dylibs \"\${_app}/Contents/*.dylib\")
    file(GLOB _frameworks LIST_DIRECTORIES true \"\${_app}/Contents/Frameworks/*.framework\")
    foreach(_item IN LISTS _dylibs _frameworks)
        execute_process(COMMAND codesign --force \${_ts} --options runtime --sign \"\${_identity}\" \"\${_item}\"
                        COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
    foreach(_item \"\${_app}/Contents/MacOS/githubsim\" \"\${_app}\")
        if(EXISTS \"\${_item}\")
            execute_process(COMMAND codesign --force \${_ts} --options runtime
                                    --entitlements \"${HUBSYNC_ENTITLEMENTS}\" --sign \"\${_identity}\" \"\${_item}\"
                            COMMAND_ERROR_IS_FATAL ANY)
        endif()
    endforeach()
    execute_process(COMMAND codesign --verify --deep --strict \"\${_app}\" COMMAND_ERROR_IS_FATAL ANY)
")
