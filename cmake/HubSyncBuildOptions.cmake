# One INTERFACE target carries the language level, warnings and Qt defines for every HubSync target.
add_library(hubsync_options INTERFACE)
add_library(hubsync::options ALIAS hubsync_options)

target_compile_features(hubsync_options INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_definitions(hubsync_options INTERFACE
    QT_NO_KEYWORDS
    QT_NO_FOREACH
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_DISABLE_DEPRECATED_UP_TO=0x060400
    QT_USE_QSTRINGBUILDER
    HUBSYNC_VERSION="${PROJECT_VERSION}")

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(hubsync_options INTERFACE
        -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
        -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough -Wformat=2)
    if(HUBSYNC_WARNINGS_AS_ERRORS)
        target_compile_options(hubsync_options INTERFACE -Werror)
    endif()
    if(HUBSYNC_SANITIZERS)
        target_compile_options(hubsync_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                          -fno-sanitize-recover=undefined)
        target_link_options(hubsync_options INTERFACE -fsanitize=address,undefined)
    endif()
elseif(MSVC)
    target_compile_options(hubsync_options INTERFACE /W4 /permissive- /utf-8)
    if(HUBSYNC_WARNINGS_AS_ERRORS)
        target_compile_options(hubsync_options INTERFACE /WX)
    endif()
endif()
