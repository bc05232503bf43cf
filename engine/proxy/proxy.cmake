# engine/proxy: the Postgres proxy (included from engine/CMakeLists.txt; paths relative to engine/).
# So far: the statement classifier (libpg_query). Sessions, codecs and write-through are issue 6.
hubsync_engine_library(hubsync_proxy
    ${CMAKE_CURRENT_SOURCE_DIR}/proxy/classifier.cpp ${CMAKE_CURRENT_SOURCE_DIR}/proxy/classifier.h)
target_link_libraries(hubsync_proxy PUBLIC hubsync_core PRIVATE pg_query::pg_query)
