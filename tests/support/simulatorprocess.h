#pragma once

#include <QJsonDocument>
#include <QString>
#include <QStringList>

#include <memory>

class QProcess;

namespace hubsync::test {

// Runs the project's GitHub simulator (`githubsim` from the build's bin dir) for one test and talks to
// it over loopback HTTP. The ground truth of every sync test is what this simulator's REST API returns.
class SimulatorProcess final {
public:
    SimulatorProcess();
    ~SimulatorProcess();
    Q_DISABLE_COPY_MOVE(SimulatorProcess)

    // Starts `githubsim --listen 127.0.0.1:0 <arguments>`; returns false and sets error() on failure.
    bool start(const QStringList &arguments);
    void stop();

    [[nodiscard]] QString baseUrl() const { return m_baseUrl; }
    [[nodiscard]] QString error() const { return m_error; }

    struct Response {
        int status = 0;
        QByteArray body;
        QByteArray link;
        QByteArray etag;
        QJsonDocument json() const { return QJsonDocument::fromJson(body); }
    };
    // Synchronous request for tests (runs a local event loop).
    Response request(const QByteArray &verb, const QString &pathOrUrl, const QByteArray &token = {},
                     const QByteArray &body = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;
    // Walks every page of a list endpoint (Link rel="next") and returns all items.
    QJsonArray listAll(const QString &path, const QByteArray &token, const QString &wrapperKey = {}) const;

    static QString binary();

private:
    std::unique_ptr<QProcess> m_process;
    QString m_baseUrl;
    QString m_error;
};

} // namespace hubsync::test
