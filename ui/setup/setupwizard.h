#pragma once

#include "facade/setup.h"
#include "ui/setup/savedsetup.h"

#include <QUrl>
#include <QWizard>

#include <functional>

class QSettings;

namespace hubsync {

class SecretStore;

// The first-run wizard: GitHub.com or an Enterprise Server, then a GitHub App (created from a manifest
// or an existing one, installed, with guidance when an organization owner must approve) or a personal
// access token, then the database (embedded or a connection string, tested live), then a summary.
// Finishing stores the secrets in the SecretStore and the rest in QSettings; main.cpp turns both into
// the Config the engine starts with. GitHub and the database are only reached through the facade.
class SetupWizard final : public QWizard {
    Q_OBJECT
public:
    enum PageId { ServerPageId, ConnectPageId, AppPageId, TokenPageId, DatabasePageId, SummaryPageId };
    enum class Method { CreateApp, ExistingApp, Token, ResumeApp };
    // Opens a URL in the user's browser (QDesktopServices by default). Tests follow it themselves.
    using BrowserOpener = std::function<bool(const QUrl &url)>;

    SetupWizard(QSettings &settings, SecretStore &store, QWidget *parent = nullptr);
    ~SetupWizard() override;
    Q_DISABLE_COPY_MOVE(SetupWizard)

    void setBrowserOpener(BrowserOpener opener) { m_opener = std::move(opener); }
    bool openBrowser(const QUrl &url);

    [[nodiscard]] SetupController *controller() { return &m_controller; }
    // How often the App page asks GitHub whether the App was installed (or an owner approved it).
    void setPollIntervalMs(int ms) { m_pollIntervalMs = ms; }
    [[nodiscard]] int pollIntervalMs() const { return m_pollIntervalMs; }
    [[nodiscard]] SecretStore &secretStore() { return m_store; }
    [[nodiscard]] Method method() const;

    // What the pages collected so far.
    SavedSetup &setup() { return m_setup; }
    SetupSecrets &secrets() { return m_secrets; }
    AccessCheck &access() { return m_access; }

    // An App the manifest flow created in an earlier run that did not finish (its key is in the secret
    // store, its id in the settings): the connect page offers to go on with it instead of creating
    // another one. nullptr when there is none, or it belongs to another server than the one chosen.
    [[nodiscard]] const SavedSetup *resumableApp() const;
    // The same App whatever server was chosen (the server page starts on its server).
    [[nodiscard]] const SavedSetup *unfinishedApp() const { return m_unfinished.appId ? &m_unfinished : nullptr; }
    // Remembers the App just created, so that an interrupted setup can go on with it (see resumableApp()).
    void rememberCreatedApp();

    // Why the last Finish did not complete (storing a secret failed); empty after success.
    [[nodiscard]] QString finishError() const { return m_finishError; }

    int nextId() const override;
    void accept() override;

private:
    QSettings &m_settings;
    SecretStore &m_store;
    SetupController m_controller;
    BrowserOpener m_opener;
    SavedSetup m_setup;
    SavedSetup m_unfinished; // an earlier run's created App, if its key is in the store
    SetupSecrets m_secrets;
    AccessCheck m_access;
    QString m_finishError;
    int m_pollIntervalMs = 5000;
};

} // namespace hubsync
