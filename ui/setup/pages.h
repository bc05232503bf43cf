#pragma once

#include "facade/setup.h"
#include "ui/setup/savedsetup.h"

#include <QWizardPage>

class QComboBox;

class QButtonGroup;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QStackedWidget;

namespace hubsync {

class SetupWizard;

// A word-wrapping, selectable label for the pages' explanations and results (object name for tests).
QLabel *pageLabel(QWidget *parent, const QString &name = {}, const QString &text = {});
// Shows a result in green (ok) or red.
void showOutcome(QLabel *label, bool ok, const QString &text);

// Widgets carry object names (e.g. "serverAddress") so tests and accessibility tools find them.

// GitHub.com or a GitHub Enterprise Server address.
class ServerPage final : public QWizardPage {
    Q_OBJECT
public:
    explicit ServerPage(SetupWizard *wizard);
    void initializePage() override;
    bool validatePage() override;

private:
    SetupWizard *m_wizard;
    QRadioButton *m_dotCom;
    QRadioButton *m_enterprise;
    QLineEdit *m_address;
    QLabel *m_error;
};

// How to connect: create a GitHub App, use an existing App, or a personal access token.
class ConnectPage final : public QWizardPage {
    Q_OBJECT
public:
    explicit ConnectPage(SetupWizard *wizard);
    void initializePage() override;
    [[nodiscard]] int choice() const;

private:
    SetupWizard *m_wizard;
    QButtonGroup *m_choice;
    QWidget *m_resume; // the resume choice and its help, shown only when there is an App to resume
    QLabel *m_resumeHelp;
};

// Creating (manifest flow) or checking an existing App, installing it, and the permission guidance
// when an organization owner has to approve the installation.
class AppPage final : public QWizardPage {
    Q_OBJECT
public:
    explicit AppPage(SetupWizard *wizard);
    void initializePage() override;
    bool isComplete() const override;
    void cleanupPage() override;

private:
    void createApp();
    void connectExistingApp();
    void resumeApp(const SavedSetup &unfinished);
    void chooseKeyFile();
    void install(bool elsewhere = false);
    void showChoice(const QList<github::InstallationInfo> &installations);
    void showApp(const AppConnection &app);
    void showRequested();
    void showInstalled(qint64 installationId);
    void showAccess(const AccessCheck &access);
    void showError(const Error &error);

    SetupWizard *m_wizard;
    QStackedWidget *m_modes;
    QLineEdit *m_appName;
    QLineEdit *m_organization;
    QPushButton *m_create;
    QLineEdit *m_appId;
    QLineEdit *m_keyFile;
    QPushButton *m_connect;
    QLabel *m_appStatus;
    QPushButton *m_install;
    QPushButton *m_installElsewhere; // once an installation is in use: install on another account instead
    QWidget *m_choice;               // several installations: which one to use
    QComboBox *m_choiceBox;
    QLabel *m_guidance;
    QPushButton *m_retry;
    QPushButton *m_recheck;
    QLabel *m_waiting;
    QLabel *m_result;
    bool m_ready = false;
    bool m_resuming = false; // checking an App created by an earlier run: its secrets came from the store
    qint64 m_resumedAppId = 0;
};

// A personal access token, checked live (GET /user and the repository list).
class TokenPage final : public QWizardPage {
    Q_OBJECT
public:
    explicit TokenPage(SetupWizard *wizard);
    bool isComplete() const override;
    void initializePage() override;

private:
    void check();
    void showResult(const AccessCheck &result);

    SetupWizard *m_wizard;
    QLineEdit *m_token;
    QPushButton *m_check;
    QLabel *m_result;
    QString m_checkedToken; // the token the last successful check was for
};

// The embedded cluster (default) or a connection string tested live.
class DatabasePage final : public QWizardPage {
    Q_OBJECT
public:
    explicit DatabasePage(SetupWizard *wizard);
    bool isComplete() const override;
    bool validatePage() override;

private:
    void test();
    void showResult(const DatabaseCheck &result);

    SetupWizard *m_wizard;
    QRadioButton *m_embedded;
    QRadioButton *m_external;
    QLineEdit *m_conninfo;
    QPushButton *m_test;
    QLabel *m_result;
    QString m_testedConninfo; // the string the last successful test was for
    bool m_testing = false;
};

// What will be saved, where the secrets go, what the credentials can see.
class SummaryPage final : public QWizardPage {
    Q_OBJECT
public:
    explicit SummaryPage(SetupWizard *wizard);
    void initializePage() override;
    void showError(const QString &message);

private:
    SetupWizard *m_wizard;
    QLabel *m_summary;
    QLabel *m_error;
};

} // namespace hubsync
