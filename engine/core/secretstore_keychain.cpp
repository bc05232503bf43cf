#include "core/secretstore_keychain.h"

#include <QEventLoop>
#include <QTimer>

#ifdef HUBSYNC_HAVE_QTKEYCHAIN
#include <qt6keychain/keychain.h>
#endif

namespace hubsync {

#ifdef HUBSYNC_HAVE_QTKEYCHAIN

namespace {

constexpr int JobTimeoutMs = 30'000; // the keychain may ask the user to unlock it: give them time

class KeychainSecretStore final : public SecretStore {
public:
    explicit KeychainSecretStore(QString service)
        : m_service(std::move(service)) {}
    Q_DISABLE_COPY_MOVE(KeychainSecretStore)
    ~KeychainSecretStore() override = default;

    Error write(const QString &name, const QByteArray &value) override {
        QKeychain::WritePasswordJob job(m_service);
        job.setAutoDelete(false);
        job.setKey(name);
        job.setBinaryData(value);
        return run(job, JobTimeoutMs);
    }

    std::optional<QByteArray> read(const QString &name, Error *error) override {
        QKeychain::ReadPasswordJob job(m_service);
        job.setAutoDelete(false);
        job.setKey(name);
        *error = run(job, JobTimeoutMs);
        if (job.error() == QKeychain::EntryNotFound) {
            *error = Error::none();
            return std::nullopt;
        }
        if (*error)
            return std::nullopt;
        return job.binaryData();
    }

    Error remove(const QString &name) override {
        QKeychain::DeletePasswordJob job(m_service);
        job.setAutoDelete(false);
        job.setKey(name);
        const Error e = run(job, JobTimeoutMs);
        return job.error() == QKeychain::EntryNotFound ? Error::none() : e;
    }

    [[nodiscard]] QString description() const override {
        return QStringLiteral("the desktop keychain (service \"%1\")").arg(m_service);
    }

    // Runs a job to completion in a local event loop; a keychain that never answers is an error.
    static Error run(QKeychain::Job &job, int timeoutMs) {
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        bool finished = false;
        QObject::connect(&job, &QKeychain::Job::finished, &loop, [&] {
            finished = true;
            loop.quit();
        });
        QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        timer.start(timeoutMs);
        job.start();
        if (!finished)
            loop.exec(QEventLoop::ExcludeUserInputEvents);
        if (!finished)
            return Error::make(Error::Kind::Io, QStringLiteral("the keychain did not answer"));
        if (job.error() == QKeychain::NoError)
            return {};
        return Error::make(Error::Kind::Io, QStringLiteral("keychain: %1").arg(job.errorString()));
    }

private:
    QString m_service;
};

} // namespace

std::unique_ptr<SecretStore> openKeychainSecretStore(const QString &service, QString *why) {
#if defined(Q_OS_UNIX) && !defined(Q_OS_MACOS)
    // Without a session bus qtkeychain would try to autolaunch one; there is no keychain to find then.
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        *why = QStringLiteral("no D-Bus session bus");
        return {};
    }
#endif
    // Probe by writing (and removing) an entry: a keychain that answers reads but cannot store (no
    // default collection and no prompt to create one, a locked keyring nobody can unlock) would fail
    // the first real write, at the end of the setup. Bounded: a keychain that never answers is none
    // (the bound leaves a person time to answer a prompt that creates the default keyring).
    auto store = std::make_unique<KeychainSecretStore>(service);
    QKeychain::WritePasswordJob probe(service);
    probe.setAutoDelete(false);
    probe.setKey(QStringLiteral("hubsync-probe"));
    probe.setBinaryData(QByteArrayLiteral("probe"));
    if (const Error e = KeychainSecretStore::run(probe, JobTimeoutMs)) {
        *why = e.message;
        return {};
    }
    store->remove(QStringLiteral("hubsync-probe"));
    return store;
}

bool keychainCompiledIn() {
    return true;
}

#else

std::unique_ptr<SecretStore> openKeychainSecretStore(const QString &, QString *why) {
    *why = QStringLiteral("this build has no keychain support (qtkeychain was not found)");
    return {};
}

bool keychainCompiledIn() {
    return false;
}

#endif

} // namespace hubsync
