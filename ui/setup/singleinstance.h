#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

namespace hubsync {

// One desktop HubSync per user and data directory. The first launch listens on a local socket; a later
// launch connects, sends "activate" and exits, and the first one raises its window (activated()).
class SingleInstance final : public QObject {
    Q_OBJECT
public:
    explicit SingleInstance(QString name, QObject *parent = nullptr);
    ~SingleInstance() override;
    Q_DISABLE_COPY_MOVE(SingleInstance)

    // The socket name for this user and data directory (short: socket paths are limited).
    static QString nameFor(const QString &dataDir);

    // True: this is the first instance (now listening). False: another instance runs and was asked to
    // show itself (or, with *error set, nothing could be done).
    bool claim(QString *error);

    static constexpr int MaxMessageBytes = 64;

Q_SIGNALS:
    void activated();

private:
    void onConnection();

    QString m_name;
    QLocalServer *m_server = nullptr;
};

} // namespace hubsync
