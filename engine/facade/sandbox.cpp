#include "facade/sandbox.h"

#include "core/log.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>

#ifdef Q_OS_LINUX
#include <sys/prctl.h>

#include <csignal>
#endif

namespace hubsync {

Sandbox::Sandbox() = default;

Sandbox::~Sandbox() {
    stop();
}

QString Sandbox::findSimulator() {
    const QString fromEnv = qEnvironmentVariable("HUBSYNC_GITHUBSIM");
    if (!fromEnv.isEmpty())
        return QFileInfo(fromEnv).isExecutable() ? fromEnv : QString();
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/githubsim");
    if (QFileInfo(beside).isExecutable())
        return beside;
    return QStandardPaths::findExecutable(QStringLiteral("githubsim"));
}

Error Sandbox::start(const QString &dataset) {
    const QString program = findSimulator();
    if (program.isEmpty())
        return Error::make(Error::Kind::Usage,
                           QStringLiteral("--sandbox needs the bundled GitHub simulator (githubsim), "
                                          "which was not found next to hubsync"));
    // A fresh random token per run: the simulator only answers requests that carry it.
    m_token = QStringLiteral("ghp_sandbox%1").arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
    Log::instance().addSecret(m_token);
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
#ifdef Q_OS_LINUX
    // The simulator never outlives HubSync, even one killed with SIGKILL: the kernel stops it then.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    m_process->start(program, {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--dataset"),
                               dataset, QStringLiteral("--token"), m_token});
    if (!m_process->waitForStarted(10000))
        return Error::make(Error::Kind::Io,
                           QStringLiteral("cannot start the GitHub simulator: %1").arg(m_process->errorString()));
    QByteArray line;
    while (!line.contains('\n')) {
        if (!m_process->waitForReadyRead(30000))
            return Error::make(Error::Kind::Io, QStringLiteral("the GitHub simulator did not start listening"));
        line += m_process->readAllStandardOutput();
    }
    line = line.left(line.indexOf('\n')).trimmed();
    const QByteArray prefix("listening on ");
    if (!line.startsWith(prefix))
        return Error::make(
            Error::Kind::Io,
            QStringLiteral("unexpected first line from the GitHub simulator: %1").arg(QString::fromUtf8(line)));
    m_apiUrl = QString::fromUtf8(line.mid(prefix.size()));
    // Keep draining its stdout so the simulator never blocks on a full pipe.
    QProcess *process = m_process.get();
    QObject::connect(process, &QProcess::readyReadStandardOutput, process, [process] {
        const QByteArray chunk = process->readAllStandardOutput();
        for (const QByteArray &l : chunk.split('\n')) {
            if (!l.trimmed().isEmpty())
                logDebug(QStringLiteral("githubsim"), QString::fromUtf8(l));
        }
    });
    logInfo(QStringLiteral("sandbox"),
            QStringLiteral("GitHub simulator with the '%1' dataset at %2").arg(dataset, m_apiUrl));
    return {};
}

void Sandbox::deliverWebhooksTo(const QString &url, const QString &secret) {
    if (!m_network)
        m_network = std::make_unique<QNetworkAccessManager>();
    QNetworkRequest request(QUrl(m_apiUrl + QStringLiteral("/_sim/webhooks")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("url"), url},
                                                      {QStringLiteral("secret"), secret},
                                                      {QStringLiteral("mode"), QStringLiteral("deliver")}})
                                .toJson(QJsonDocument::Compact);
    QNetworkReply *reply = m_network->put(request, body);
    QObject::connect(reply, &QNetworkReply::finished, reply, [reply, url] {
        reply->deleteLater();
        if (reply->error() != QNetworkReply::NoError)
            logWarning(
                QStringLiteral("sandbox"),
                QStringLiteral("could not point the simulator's webhooks at %1: %2").arg(url, reply->errorString()));
        else
            logInfo(QStringLiteral("sandbox"), QStringLiteral("the simulator delivers webhooks to %1").arg(url));
    });
}

void Sandbox::stop() {
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return;
    m_process->terminate();
    if (!m_process->waitForFinished(5000)) {
        m_process->kill();
        m_process->waitForFinished(2000);
    }
}

} // namespace hubsync
