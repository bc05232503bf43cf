#include "simulatorprocess.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

namespace hubsync::test {

SimulatorProcess::SimulatorProcess() = default;

SimulatorProcess::~SimulatorProcess() {
    stop();
}

QString SimulatorProcess::binary() {
    return qEnvironmentVariable("HUBSYNC_BIN_DIR") + QStringLiteral("/githubsim");
}

bool SimulatorProcess::start(const QStringList &arguments) {
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->start(binary(), QStringList{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} + arguments);
    if (!m_process->waitForStarted(10000)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(binary(), m_process->errorString());
        return false;
    }
    QByteArray out;
    while (!out.contains('\n')) {
        if (!m_process->waitForReadyRead(60000)) {
            m_error = QStringLiteral("githubsim printed no 'listening on' line");
            return false;
        }
        out += m_process->readAllStandardOutput();
    }
    const QByteArray line = out.left(out.indexOf('\n')).trimmed();
    if (!line.startsWith("listening on ")) {
        m_error = QStringLiteral("unexpected first line: ") + QString::fromUtf8(line);
        return false;
    }
    m_baseUrl = QString::fromUtf8(line.mid(13));
    // Drain further output so the simulator never blocks on a full pipe.
    QProcess *process = m_process.get();
    QObject::connect(process, &QProcess::readyReadStandardOutput, process,
                     [process] { process->readAllStandardOutput(); });
    return true;
}

void SimulatorProcess::stop() {
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

SimulatorProcess::Response SimulatorProcess::request(const QByteArray &verb, const QString &pathOrUrl,
                                                     const QByteArray &token, const QByteArray &body,
                                                     const QList<QPair<QByteArray, QByteArray>> &headers) const {
    QNetworkAccessManager nam;
    QNetworkRequest r(QUrl(pathOrUrl.startsWith(QLatin1Char('/')) ? m_baseUrl + pathOrUrl : pathOrUrl));
    r.setRawHeader("Accept", "application/vnd.github+json");
    if (!token.isEmpty())
        r.setRawHeader("Authorization", "Bearer " + token);
    if (!body.isEmpty())
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[name, value] : headers)
        r.setRawHeader(name, value);
    QNetworkReply *reply = nam.sendCustomRequest(r, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(60000, &loop, &QEventLoop::quit);
    loop.exec();
    Response response;
    response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    response.body = reply->readAll();
    response.link = reply->rawHeader("Link");
    response.etag = reply->rawHeader("ETag");
    delete reply;
    return response;
}

QJsonArray SimulatorProcess::listAll(const QString &path, const QByteArray &token, const QString &wrapperKey) const {
    QJsonArray all;
    QString next = path;
    static const QRegularExpression nextLink(QStringLiteral(R"re(<([^>]*)>\s*;\s*rel="next")re"));
    int guard = 0;
    while (!next.isEmpty() && guard++ < 100000) {
        const Response r = request("GET", next, token);
        if (r.status != 200)
            break;
        const QJsonArray items =
            wrapperKey.isEmpty() ? r.json().array() : r.json().object().value(wrapperKey).toArray();
        for (const QJsonValue &v : items)
            all.append(v);
        const auto m = nextLink.match(QString::fromUtf8(r.link));
        next = m.hasMatch() ? m.captured(1) : QString();
    }
    return all;
}

} // namespace hubsync::test
