# engine/github: GitHub REST + GraphQL client (included from engine/CMakeLists.txt; paths relative to engine/).
set(_gh ${CMAKE_CURRENT_SOURCE_DIR}/github)
hubsync_engine_library(hubsync_github
    ${_gh}/clock.cpp ${_gh}/clock.h
    ${_gh}/credentials.cpp ${_gh}/credentials.h
    ${_gh}/errormapping.cpp ${_gh}/errormapping.h
    ${_gh}/etagstore.cpp ${_gh}/etagstore.h
    ${_gh}/githubclient.cpp ${_gh}/githubclient_reply.cpp ${_gh}/githubclient.h ${_gh}/githubclient_p.h
    ${_gh}/githubresponse.h
    ${_gh}/jwt.cpp ${_gh}/jwt.h
    ${_gh}/linkheader.cpp ${_gh}/linkheader.h
    ${_gh}/pgetagstore.cpp ${_gh}/pgetagstore.h
    ${_gh}/quotaplanner.cpp ${_gh}/quotaplanner.h
    ${_gh}/ratelimit.cpp ${_gh}/ratelimit.h
    ${_gh}/trust.cpp ${_gh}/trust.h)
target_link_libraries(hubsync_github PUBLIC hubsync_core hubsync_store Qt6::Network OpenSSL::Crypto)
unset(_gh)
