#include "testbrowser.h"

#include <QNetworkReply>
#include <QRegularExpression>
#include <QUrlQuery>

namespace hubsync::test {

namespace {

QString unescape(QString s) {
    s.replace(QStringLiteral("&quot;"), QStringLiteral("\""));
    s.replace(QStringLiteral("&lt;"), QStringLiteral("<"));
    s.replace(QStringLiteral("&gt;"), QStringLiteral(">"));
    s.replace(QStringLiteral("&#39;"), QStringLiteral("'"));
    s.replace(QStringLiteral("&amp;"), QStringLiteral("&"));
    return s;
}

QString attribute(const QString &tag, const QString &name) {
    const QRegularExpression re(QStringLiteral("\\b%1=\"([^\"]*)\"").arg(name));
    const QRegularExpressionMatch m = re.match(tag);
    return m.hasMatch() ? unescape(m.captured(1)) : QString();
}

} // namespace

TestBrowser::TestBrowser() {
    m_network.setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

void TestBrowser::chooseRepositories(const QString &selection, const QStringList &ids) {
    m_selection = selection;
    m_ids = ids;
}

void TestBrowser::open(const QUrl &url) {
    ++m_visits;
    fetch(url, "GET", {}, 0);
}

void TestBrowser::fetch(const QUrl &url, const QByteArray &method, const QByteArray &body, int step) {
    QNetworkRequest request(url);
    QNetworkReply *reply = nullptr;
    if (method == "POST") {
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
        reply = m_network.post(request, body);
    } else {
        reply = m_network.get(request);
    }
    connect(reply, &QNetworkReply::finished, this, [this, reply, url, step] {
        reply->deleteLater();
        Page page{url, reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
        m_pages << page;
        if (page.status == 0) {
            m_error = reply->errorString();
            Q_EMIT finished(page);
            return;
        }
        if (step >= MaxSteps) {
            m_error = QStringLiteral("too many steps");
            Q_EMIT finished(page);
            return;
        }
        if (page.status >= 300 && page.status < 400) {
            fetch(url.resolved(QUrl::fromEncoded(reply->rawHeader("Location"))), "GET", {}, step + 1);
            return;
        }
        if (page.status == 200 && submitForm(page, step + 1))
            return;
        Q_EMIT finished(page);
    });
}

bool TestBrowser::submitForm(const Page &page, int step) {
    const QString html = QString::fromUtf8(page.body);
    static const QRegularExpression formRe(QStringLiteral("<form[^>]*>"));
    const QRegularExpressionMatch form = formRe.match(html);
    if (!form.hasMatch())
        return false;
    const QString formTag = form.captured(0);
    const QString action = attribute(formTag, QStringLiteral("action"));
    const QString method = attribute(formTag, QStringLiteral("method")).toUpper();
    QUrlQuery fields;
    static const QRegularExpression inputRe(QStringLiteral("<input[^>]*>"));
    for (auto it = inputRe.globalMatch(html, form.capturedEnd()); it.hasNext();) {
        const QString tag = it.next().captured(0);
        const QString type = attribute(tag, QStringLiteral("type"));
        const QString name = attribute(tag, QStringLiteral("name"));
        const QString value = attribute(tag, QStringLiteral("value"));
        if (name.isEmpty())
            continue;
        if (type == QLatin1String("radio") && name == QLatin1String("repository_selection")) {
            if (value == m_selection)
                fields.addQueryItem(name, value);
        } else if (type == QLatin1String("checkbox") && name == QLatin1String("repository_ids")) {
            if (m_selection == QLatin1String("selected") && m_ids.contains(value))
                fields.addQueryItem(name, value);
        } else if (type == QLatin1String("radio") || type == QLatin1String("checkbox")) {
            if (tag.contains(QLatin1String(" checked")))
                fields.addQueryItem(name, value);
        } else {
            fields.addQueryItem(name, value);
        }
    }
    const QUrl target = action.isEmpty() ? page.url : page.url.resolved(QUrl(action));
    // Form encoding: '+' and '&' inside values must be escaped (QUrlQuery leaves '+' alone).
    QByteArray body;
    for (const auto &[key, value] : fields.queryItems(QUrl::FullyDecoded)) {
        if (!body.isEmpty())
            body += '&';
        body += QUrl::toPercentEncoding(key) + '=' + QUrl::toPercentEncoding(value);
    }
    fetch(target, method == QLatin1String("POST") ? "POST" : "GET", body, step);
    return true;
}

} // namespace hubsync::test
