#pragma once

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QUrl>

namespace hubsync::test {

// Stands in for the user's web browser in the setup wizard tests: opens a URL the wizard hands it,
// follows redirects, and submits the one form a page shows (the way a user clicks its button), with the
// choices the test set. No script runs: the manifest page's form is submitted like its button would be.
class TestBrowser final : public QObject {
    Q_OBJECT
public:
    struct Page {
        QUrl url;
        int status = 0;
        QByteArray body;
    };

    TestBrowser();

    // The install form's choices: "all", or "selected" with repository ids.
    void chooseRepositories(const QString &selection, const QStringList &ids = {});
    // Starts a visit (asynchronous); the pages seen are appended to pages().
    void open(const QUrl &url);

    [[nodiscard]] const QList<Page> &pages() const { return m_pages; }
    [[nodiscard]] int visits() const { return m_visits; }
    [[nodiscard]] QString lastError() const { return m_error; }

    static constexpr int MaxSteps = 12; // redirects and form submissions per visit

Q_SIGNALS:
    void finished(const hubsync::test::TestBrowser::Page &page);

private:
    void fetch(const QUrl &url, const QByteArray &method, const QByteArray &body, int step);
    bool submitForm(const Page &page, int step);

    QNetworkAccessManager m_network;
    QList<Page> m_pages;
    QString m_selection = QStringLiteral("all");
    QStringList m_ids;
    int m_visits = 0;
    QString m_error;
};

} // namespace hubsync::test
