# engine/proxy: the Postgres proxy (included from engine/CMakeLists.txt; paths relative to engine/).
# So far: the statement classifier (libpg_query) and the protocol v3 codecs (proxy/protocol: pure
# encoders/decoders on byte buffers, Qt Core only). Sessions and write-through are issue 6.
set(_hubsync_protocol_dir ${CMAKE_CURRENT_SOURCE_DIR}/proxy/protocol)
hubsync_engine_library(hubsync_proxy
    ${CMAKE_CURRENT_SOURCE_DIR}/proxy/classifier.cpp ${CMAKE_CURRENT_SOURCE_DIR}/proxy/classifier.h
    ${_hubsync_protocol_dir}/auth.cpp ${_hubsync_protocol_dir}/auth.h
    ${_hubsync_protocol_dir}/copy.cpp ${_hubsync_protocol_dir}/copy.h
    ${_hubsync_protocol_dir}/errorfields.cpp ${_hubsync_protocol_dir}/errorfields.h
    ${_hubsync_protocol_dir}/framing.cpp ${_hubsync_protocol_dir}/framing.h
    ${_hubsync_protocol_dir}/messages_backend.cpp ${_hubsync_protocol_dir}/messages_backend.h
    ${_hubsync_protocol_dir}/messages_frontend.cpp ${_hubsync_protocol_dir}/messages_frontend.h
    ${_hubsync_protocol_dir}/startup.cpp ${_hubsync_protocol_dir}/startup.h
    ${_hubsync_protocol_dir}/wire.cpp ${_hubsync_protocol_dir}/wire.h)
target_link_libraries(hubsync_proxy PUBLIC hubsync_core Qt6::Core PRIVATE pg_query::pg_query)
