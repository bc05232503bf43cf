// The product's ProxyServer alone in front of a PostgreSQL, for bench_proxy.sh: the same options the engine
// gives it (Engine::startProxy), without a sync engine or GitHub credentials sharing its event loop, so
// that pgbench measures the proxy and nothing else.
//
// Usage: bench_proxy_server UPSTREAM_HOST_OR_SOCKET_DIR UPSTREAM_PORT [MAX_CONNECTIONS]
// Listens on 127.0.0.1 at a free port, prints "listening on PORT" once ready, runs until killed.

#include "proxy/epolldispatcher.h"
#include "proxy/proxyserver.h"

#include <QAbstractEventDispatcher>
#include <QCoreApplication>

#include <cstdio>

int main(int argc, char **argv) {
    // The product's proxy thread runs on this dispatcher (facade/proxyhost.cpp); HUBSYNC_PROXY_EVENT_LOOP=qt
    // measures Qt's own.
    if (QAbstractEventDispatcher *dispatcher = hubsync::proxy::createProxyEventDispatcher())
        QCoreApplication::setEventDispatcher(dispatcher);
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    bool portOk = false;
    bool maxOk = true;
    const quint16 upstreamPort = args.size() > 2 ? args.at(2).toUShort(&portOk) : 0;
    const int maxConnections = args.size() > 3 ? args.at(3).toInt(&maxOk) : 200;
    if (args.size() < 3 || args.size() > 4 || !portOk || !maxOk || maxConnections <= 0) {
        std::fprintf(stderr, "usage: bench_proxy_server UPSTREAM_HOST_OR_SOCKET_DIR UPSTREAM_PORT [MAX_CONNECTIONS]\n");
        return 2;
    }
    hubsync::proxy::ProxyOptions options;
    options.upstream.host = args.at(1);
    options.upstream.port = upstreamPort;
    options.maxConnections = maxConnections;
    // As the bench's pgbouncer: every server connection may be kept for the next client.
    options.serverPoolSize = maxConnections;
    hubsync::proxy::ProxyServer proxy(options);
    if (const hubsync::Error e = proxy.listen()) {
        std::fprintf(stderr, "bench_proxy_server: %s\n", qPrintable(e.message));
        return 1;
    }
    std::printf("listening on %u\n", unsigned(proxy.port()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}
