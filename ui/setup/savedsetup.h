#pragma once

#include "core/config.h"
#include "core/errors.h"

#include <QByteArray>
#include <QString>

class QSettings;

namespace hubsync {

class SecretStore;

// What the setup wizard remembers across restarts. Non-secret choices live in QSettings (group
// "setup"); secrets (key, webhook and client secrets, token, a connection string that may carry a
// password) only in the SecretStore, under the names below.
struct SavedSetup {
    enum class Auth { None, App, Token };

    bool complete = false;
    QString githubApiUrl;
    QString githubWebUrl;
    Auth auth = Auth::None;
    qint64 appId = 0;
    QString appSlug;
    QString appHtmlUrl;
    qint64 installationId = 0;
    QString login; // the token's user, for display
    bool externalDatabase = false;

    static SavedSetup load(QSettings &settings);
    void save(QSettings &settings) const;
};

// The secrets that go with a SavedSetup (in memory only on their way to or from the store).
struct SetupSecrets {
    QByteArray appPrivateKey;
    QByteArray webhookSecret;
    QByteArray clientSecret;
    QByteArray token;
    QByteArray databaseConninfo;
};

namespace secretnames {
QString appPrivateKey(qint64 appId);
QString appWebhookSecret(qint64 appId);
QString appClientSecret(qint64 appId);
QString token();
QString databaseConninfo();
} // namespace secretnames

// Writes every secret the setup produced; stops at the first failure.
Error storeSetupSecrets(SecretStore &store, const SavedSetup &setup, const SetupSecrets &secrets);

// The Config the engine starts with: `base` (command line, environment, --config file) completed with the
// saved setup and its secrets. The App key is handed to the engine without touching the disk (see
// appKeyPath in savedsetup.cpp). Returns a Usage error when a secret the setup needs is missing.
Error applySavedSetup(const SavedSetup &setup, SecretStore &store, Config *config);

// True when the command line or environment already says how to reach GitHub (then the saved setup and
// the wizard are not used: an explicit configuration wins).
bool hasExplicitCredentials(const Config &config);

} // namespace hubsync
