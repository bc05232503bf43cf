# engine/proxy: the Postgres proxy (included from engine/CMakeLists.txt; paths relative to engine/).
# The statement classifier (libpg_query), the protocol v3 codecs (proxy/protocol: pure encoders/decoders on
# byte buffers, Qt Core only), the pass-through server (ProxyServer, Session over ByteStreams; Qt Network)
# and write-through to GitHub (WriteThrough, with one TableWriter per written table in proxy/writers).
set(_hubsync_proxy_dir ${CMAKE_CURRENT_SOURCE_DIR}/proxy)
set(_hubsync_protocol_dir ${CMAKE_CURRENT_SOURCE_DIR}/proxy/protocol)
hubsync_engine_library(hubsync_proxy
    ${_hubsync_proxy_dir}/backendstream.cpp ${_hubsync_proxy_dir}/backendstream.h
    ${_hubsync_proxy_dir}/bytestream.cpp ${_hubsync_proxy_dir}/bytestream.h
    ${_hubsync_proxy_dir}/classifier.cpp ${_hubsync_proxy_dir}/classifier.h
    ${_hubsync_proxy_dir}/epolldispatcher.cpp ${_hubsync_proxy_dir}/epolldispatcher.h
    ${_hubsync_proxy_dir}/proxyserver.cpp ${_hubsync_proxy_dir}/proxyserver.h
    ${_hubsync_proxy_dir}/serverpool.cpp ${_hubsync_proxy_dir}/serverpool.h
    ${_hubsync_proxy_dir}/session.cpp ${_hubsync_proxy_dir}/session.h
    ${_hubsync_proxy_dir}/session_backend.cpp
    ${_hubsync_proxy_dir}/session_frontend.cpp
    ${_hubsync_proxy_dir}/session_startup.cpp
    ${_hubsync_proxy_dir}/session_writethrough.cpp
    ${_hubsync_proxy_dir}/session_wtsteps.cpp
    ${_hubsync_proxy_dir}/statementgate.cpp ${_hubsync_proxy_dir}/statementgate.h
    ${_hubsync_proxy_dir}/tablewriter.cpp ${_hubsync_proxy_dir}/tablewriter.h
    ${_hubsync_proxy_dir}/upstream.cpp ${_hubsync_proxy_dir}/upstream.h
    ${_hubsync_proxy_dir}/writethrough.cpp ${_hubsync_proxy_dir}/writethrough.h
    ${_hubsync_proxy_dir}/writethrough_store.cpp
    ${_hubsync_proxy_dir}/writers/commentwriter.cpp
    ${_hubsync_proxy_dir}/writers/discussionwriter.cpp
    ${_hubsync_proxy_dir}/writers/issuewriter.cpp
    ${_hubsync_proxy_dir}/writers/labellinkwriter.cpp
    ${_hubsync_proxy_dir}/writers/labelwriter.cpp
    ${_hubsync_proxy_dir}/writers/pullrequestwriter.cpp
    ${_hubsync_proxy_dir}/writers/reactionwriter.cpp
    ${_hubsync_proxy_dir}/writers/refwriter.cpp
    ${_hubsync_proxy_dir}/writers/releasewriter.cpp
    ${_hubsync_proxy_dir}/writers/restwriter.cpp ${_hubsync_proxy_dir}/writers/restwriter.h
    ${_hubsync_proxy_dir}/writers/writers.cpp ${_hubsync_proxy_dir}/writers/writers.h
    ${_hubsync_protocol_dir}/auth.cpp ${_hubsync_protocol_dir}/auth.h
    ${_hubsync_protocol_dir}/copy.cpp ${_hubsync_protocol_dir}/copy.h
    ${_hubsync_protocol_dir}/errorfields.cpp ${_hubsync_protocol_dir}/errorfields.h
    ${_hubsync_protocol_dir}/framing.cpp ${_hubsync_protocol_dir}/framing.h
    ${_hubsync_protocol_dir}/messages_backend.cpp ${_hubsync_protocol_dir}/messages_backend.h
    ${_hubsync_protocol_dir}/messages_frontend.cpp ${_hubsync_protocol_dir}/messages_frontend.h
    ${_hubsync_protocol_dir}/startup.cpp ${_hubsync_protocol_dir}/startup.h
    ${_hubsync_protocol_dir}/wire.cpp ${_hubsync_protocol_dir}/wire.h)
target_link_libraries(hubsync_proxy PUBLIC hubsync_core Qt6::Core Qt6::Network PRIVATE hubsync_catalog hubsync_github hubsync_store pg_query::pg_query)
