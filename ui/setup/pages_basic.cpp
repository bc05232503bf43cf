// The simple pages of the setup wizard: the GitHub server, the way to connect, and the summary.

#include "core/secretstore.h"
#include "ui/setup/pages.h"
#include "ui/setup/setupwizard.h"

#include <QButtonGroup>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QVBoxLayout>

namespace hubsync {

QLabel *pageLabel(QWidget *parent, const QString &name, const QString &text) {
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
    if (!name.isEmpty())
        label->setObjectName(name);
    return label;
}

void showOutcome(QLabel *label, bool ok, const QString &text) {
    label->setStyleSheet(ok ? QStringLiteral("color: #1b5e20") : QStringLiteral("color: #b00020"));
    label->setText(text);
}

ServerPage::ServerPage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("Where is your GitHub?"));
    // The subtitle says what to do here; the body what HubSync is (they used to say the same thing twice).
    setSubTitle(tr("Choose the GitHub to copy from."));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(pageLabel(this, QStringLiteral("serverIntro"),
                                tr("HubSync copies issues, pull requests, commits, releases, comments, "
                                   "discussions and more from GitHub into PostgreSQL, and keeps the tables "
                                   "current.")));
    m_dotCom = new QRadioButton(tr("GitHub.com"), this);
    m_dotCom->setObjectName(QStringLiteral("serverDotCom"));
    m_dotCom->setChecked(true);
    m_enterprise = new QRadioButton(tr("GitHub Enterprise Server"), this);
    m_enterprise->setObjectName(QStringLiteral("serverEnterprise"));
    m_address = new QLineEdit(this);
    m_address->setObjectName(QStringLiteral("serverAddress"));
    m_address->setAccessibleName(tr("GitHub Enterprise Server address"));
    m_address->setPlaceholderText(tr("https://github.example.com"));
    m_address->setEnabled(false);
    m_error = pageLabel(this, QStringLiteral("serverError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    connect(m_enterprise, &QRadioButton::toggled, m_address, &QLineEdit::setEnabled);
    connect(m_address, &QLineEdit::textEdited, m_error, &QLabel::clear);
    layout->addWidget(m_dotCom);
    layout->addWidget(m_enterprise);
    layout->addWidget(m_address);
    layout->addWidget(pageLabel(this, {},
                                tr("For an Enterprise Server, enter its address; HubSync talks to its API at "
                                   "/api/v3.")));
    layout->addWidget(m_error);
    layout->addStretch(1);
}

void ServerPage::initializePage() {
    // An interrupted setup starts on the server its App was created on.
    const SavedSetup *unfinished = m_wizard->unfinishedApp();
    if (!unfinished || unfinished->githubWebUrl.isEmpty())
        return;
    const QUrl web(unfinished->githubWebUrl);
    const bool dotCom = web.host().compare(QLatin1String("github.com"), Qt::CaseInsensitive) == 0;
    (dotCom ? m_dotCom : m_enterprise)->setChecked(true);
    if (!dotCom)
        m_address->setText(unfinished->githubWebUrl);
}

bool ServerPage::validatePage() {
    QString error;
    const std::optional<github::GitHubServer> server =
        github::resolveGitHubServer(m_enterprise->isChecked(), m_address->text(), &error);
    if (!server) {
        m_error->setText(error);
        return false;
    }
    m_error->clear();
    m_wizard->controller()->setServer(*server);
    m_wizard->setup().githubApiUrl = server->apiUrl.toString();
    m_wizard->setup().githubWebUrl = server->webUrl.toString();
    return true;
}

ConnectPage::ConnectPage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("How should HubSync sign in to GitHub?"));
    setSubTitle(tr("A GitHub App is recommended: it has its own rate limit and only the access you grant it."));
    auto *layout = new QVBoxLayout(this);
    m_choice = new QButtonGroup(this);
    const struct {
        const char *name;
        QString text;
        QString help;
    } choices[] = {
        {"connectCreateApp", tr("Create a GitHub App for HubSync (recommended)"),
         tr("Your browser opens GitHub, which creates the App with the permissions HubSync needs; then you choose "
            "the repositories it may read.")},
        {"connectExistingApp", tr("Use a GitHub App I already have"),
         tr("You need the App ID and a private key file (.pem) downloaded from the App's settings.")},
        {"connectToken", tr("Use a personal access token"),
         tr("Simplest, but it acts as you and shares your personal rate limit.")},
    };
    int id = 0;
    for (const auto &c : choices) {
        auto *button = new QRadioButton(c.text, this);
        button->setObjectName(QString::fromLatin1(c.name));
        m_choice->addButton(button, id++);
        layout->addWidget(button);
        auto *help = pageLabel(this, {}, c.help);
        help->setContentsMargins(24, 0, 0, 8);
        layout->addWidget(help);
    }
    // An App an interrupted setup created: going on with it beats creating another (GitHub wants App names
    // unique, and the earlier App's key exists nowhere but in HubSync's secret store).
    m_resume = new QWidget(this);
    auto *resumeLayout = new QVBoxLayout(m_resume);
    resumeLayout->setContentsMargins(0, 0, 0, 0);
    auto *resume =
        new QRadioButton(tr("Go on with the GitHub App created earlier"), m_resume); // named in initializePage()
    resume->setObjectName(QStringLiteral("connectResumeApp"));
    m_choice->addButton(resume, 3);
    resumeLayout->addWidget(resume);
    m_resumeHelp = pageLabel(m_resume, {});
    m_resumeHelp->setContentsMargins(24, 0, 0, 8);
    resumeLayout->addWidget(m_resumeHelp);
    layout->insertWidget(0, m_resume);
    m_resume->hide();
    m_choice->button(0)->setChecked(true);
    layout->addStretch(1);
}

void ConnectPage::initializePage() {
    const SavedSetup *unfinished = m_wizard->resumableApp();
    m_resume->setVisible(unfinished != nullptr);
    if (unfinished) {
        m_choice->button(3)->setText(
            tr("Go on with the App \"%1\" created earlier (id %2)").arg(unfinished->appSlug).arg(unfinished->appId));
        m_resumeHelp->setText(
            tr("The setup stopped after GitHub had created this App. HubSync kept the App's private key: %1.")
                .arg(m_wizard->secretStore().description()));
        m_choice->button(3)->setChecked(true);
    } else if (m_choice->checkedId() == 3) {
        m_choice->button(0)->setChecked(true);
    }
}

int ConnectPage::choice() const {
    return m_choice->checkedId();
}

SummaryPage::SummaryPage(SetupWizard *wizard)
    : QWizardPage(wizard)
    , m_wizard(wizard) {
    setTitle(tr("Ready"));
    setSubTitle(tr("Finish saves these choices; HubSync then starts copying."));
    setFinalPage(true);
    auto *layout = new QVBoxLayout(this);
    m_summary = pageLabel(this, QStringLiteral("summaryText"));
    m_summary->setTextFormat(Qt::RichText);
    m_error = pageLabel(this, QStringLiteral("summaryError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    layout->addWidget(m_summary);
    layout->addWidget(m_error);
    layout->addStretch(1);
}

void SummaryPage::initializePage() {
    const SavedSetup &s = m_wizard->setup();
    const AccessCheck &access = m_wizard->access();
    QStringList names;
    for (const RepositoryInfo &r : access.repositories.mid(0, 8))
        names << r.fullName.toHtmlEscaped();
    if (access.repositories.size() > names.size())
        names << tr("and %1 more").arg(access.repositories.size() - names.size());
    const QString who = s.auth == SavedSetup::Auth::App
                            ? tr("GitHub App <b>%1</b> (id %2), installation %3")
                                  .arg(s.appSlug.toHtmlEscaped())
                                  .arg(s.appId)
                                  .arg(s.installationId)
                            : tr("personal access token of <b>%1</b>").arg(s.login.toHtmlEscaped());
    const QString database = s.externalDatabase ? tr("the PostgreSQL database you gave")
                                                : tr("HubSync's own PostgreSQL cluster in its data directory");
    m_summary->setText(
        tr("<p>GitHub: <b>%1</b></p><p>Signed in as: %2</p><p>Repositories it can see: <b>%3</b>"
           "<br>%4</p><p>Database: %5</p><p>Secrets (keys, tokens, passwords) are kept in %6, never "
           "in the settings file.</p><p>All repositories are synced; change the selection later in "
           "the main window.</p>")
            .arg(s.githubWebUrl.toHtmlEscaped(), who)
            .arg(access.repositories.size())
            .arg(names.join(QStringLiteral(", ")), database, m_wizard->secretStore().description().toHtmlEscaped()));
    m_error->clear();
}

void SummaryPage::showError(const QString &message) {
    m_error->setText(message);
}

} // namespace hubsync
