#include "facade/proxyhost.h"

#include "proxy/epolldispatcher.h"
#include "proxy/writethrough.h"
#include "sync/api.h"
#include "sync/githubapi.h"

#include <QAbstractEventDispatcher>

namespace hubsync {

ProxyHost::ProxyHost(proxy::ProxyOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options)) {
    m_thread.setObjectName(QStringLiteral("hubsync-proxy"));
    if (QAbstractEventDispatcher *dispatcher = proxy::createProxyEventDispatcher())
        m_thread.setEventDispatcher(dispatcher); // one epoll set for every socket of the thread
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
}

ProxyHost::~ProxyHost() {
    runOnThread([this] {
        m_proxy.reset();
        m_writeThrough.reset();
        m_api.reset();
    });
    m_thread.quit();
    m_thread.wait();
}

template <typename Fn>
void ProxyHost::runOnThread(Fn fn) {
    QMetaObject::invokeMethod(m_context, std::move(fn), Qt::BlockingQueuedConnection);
}

Error ProxyHost::listen() {
    Error error;
    runOnThread([this, &error] {
        m_proxy = std::make_unique<proxy::ProxyServer>(m_options);
        error = m_proxy->listen();
        if (error)
            m_proxy.reset();
        else
            m_port = m_proxy->port();
    });
    return error;
}

Error ProxyHost::enableWriteThrough(const Config &github, const QString &conninfo) {
    Error error;
    runOnThread([this, &github, &conninfo, &error] {
        if (!m_proxy)
            return;
        m_api = sync::makeGitHubApi(github, nullptr, &error);
        if (error || !m_api || !m_api->client()) {
            m_api.reset();
            return;
        }
        proxy::WriteThrough::Options options;
        options.schema = m_options.schema;
        options.conninfo = conninfo;
        auto writer = std::make_unique<proxy::WriteThrough>(*m_api->client(), options);
        if ((error = writer->open()))
            return;
        m_writeThrough = std::move(writer);
        connect(m_writeThrough.get(), &proxy::WriteThrough::busyChanged, this, [this](bool busy) {
            m_writing.store(busy ? 1 : 0);
            if (!busy)
                Q_EMIT writesIdle();
        });
        m_proxy->setWriteThrough(m_writeThrough.get());
    });
    return error;
}

} // namespace hubsync
