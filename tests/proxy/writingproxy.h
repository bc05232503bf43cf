#pragma once

// A proxy with write-through to the GitHub simulator, for the write-through tests.

#include "core/config.h"
#include "proxy/proxyserver.h"
#include "proxy/writethrough.h"
#include "store/pg.h"
#include "sync/githubapi.h"

#include <memory>

namespace hubsync::test {

// One proxy with write-through using `config`'s token for GitHub.
struct WritingProxy {
    std::unique_ptr<sync::Api> api;
    std::unique_ptr<proxy::WriteThrough> writer;
    std::unique_ptr<proxy::ProxyServer> server;

    QString open(const QString &dsn, const Config &config) {
        Error error;
        api = sync::makeGitHubApi(config, nullptr, &error);
        if (error)
            return error.message;
        proxy::WriteThrough::Options options;
        options.conninfo = dsn;
        writer = std::make_unique<proxy::WriteThrough>(*api->client(), options);
        if (Error e = writer->open())
            return e.message;
        proxy::ProxyOptions proxyOptions;
        const DatabaseEndpoint endpoint = pg::endpointOf(dsn);
        proxyOptions.upstream.host = endpoint.host;
        proxyOptions.upstream.port = quint16(endpoint.port);
        server = std::make_unique<proxy::ProxyServer>(proxyOptions);
        server->setWriteThrough(writer.get());
        if (Error e = server->listen())
            return e.message;
        return {};
    }
    ~WritingProxy() {
        server.reset(); // sessions first: they reconcile through the writer
        writer.reset();
    }
};

} // namespace hubsync::test
